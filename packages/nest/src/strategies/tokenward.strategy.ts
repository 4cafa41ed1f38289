/**
 * A passport strategy for `@nestjs/passport` users: `AuthGuard('tokenward')` verifies the request
 * with the module's verifier. It takes passport-jwt's `jwtFromRequest` extractors, so an app built
 * on passport-jwt switches by replacing its strategy class and keeps its guards and `req.user`.
 *
 * `passport` is an optional peer dependency: it is loaded when a strategy is constructed, so
 * applications that only use {@link AccessTokenGuard} do not need it installed.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { bindingContext, presentRejection } from '@tokenward/core/internal';
import {
  extractBearerToken,
  InvalidRequestError,
  InvalidTokenError,
  MissingTokenError,
  TokenwardError,
  type AccessToken,
  type RequestLike,
  type Verifier,
} from '@tokenward/core';
import {
  TOKENWARD_REQUEST_PROPERTY,
  TOKENWARD_STRATEGY_NAME,
  TOKENWARD_VERIFIER,
} from '../tokenward.constants';
import { responseHeaders, toHttpException } from '../tokenward.exception';
import { setResponseHeaders } from './response-link';

/** A passport-jwt style extractor, such as `ExtractJwt.fromAuthHeaderAsBearerToken()`. */
export type TokenExtractor = (request: never) => string | null | undefined;

/** Options of {@link TokenwardStrategy}. */
export interface TokenwardStrategyOptions {
  /**
   * Where to read the token from, as passport-jwt's option of the same name (any `ExtractJwt`
   * extractor works). Default: the verifier's own RFC 6750 extraction (Authorization header, plus
   * the query or body when its `tokenSources` allow), which also rejects a request carrying
   * several tokens (400).
   */
  jwtFromRequest?: TokenExtractor;
  /** Call `validate(request, token)` instead of `validate(token)`, as passport-jwt does. Default false. */
  passReqToCallback?: boolean;
  /** Name to register with passport (`AuthGuard(name)`). Default `'tokenward'`. */
  name?: string;
}

/**
 * The methods passport adds to the per-request copy of a strategy it makes for
 * {@link TokenwardStrategy.authenticate}; a strategy reports its outcome through them.
 */
export interface PassportActions {
  /** Authentication succeeded: `user` becomes `request.user`. */
  success(user: unknown, info?: unknown): void;
  /** Authentication failed with a challenge (unused here: failures are reported as errors). */
  fail(challenge?: unknown, status?: number): void;
  /** Authentication could not complete; `AuthGuard` throws `error`. */
  error(error: unknown): void;
}

/**
 * The request passport hands a strategy: Express's request, or Fastify's (`FastifyRequest`, whose
 * Node request is `raw`). The strategy puts the verified token on its `auth` property.
 */
export interface PassportRequest {
  [key: string]: unknown;
}

interface PassportLike {
  use(name: string, strategy: unknown): unknown;
}

function loadPassport(): PassportLike {
  try {
    // An optional peer dependency, so it is loaded here rather than imported at the top.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('passport') as PassportLike;
  } catch (cause) {
    throw new Error('TokenwardStrategy needs the "passport" package (and @nestjs/passport)', {
      cause,
    });
  }
}

/**
 * Passport strategy verifying access tokens with tokenward. Register it as a provider
 * (`providers: [TokenwardStrategy]`) for the defaults, or extend it to pass options and a
 * `validate`, as you would extend `PassportStrategy(Strategy)` for passport-jwt. Its `validate(token)` result becomes
 * `request.user` (default: the {@link AccessToken} itself); the token is also put on
 * `request.auth` for `@Auth()`.
 *
 * Every failure (no token, bad token, an error thrown by `validate`) is reported to passport as an
 * error carrying a {@link TokenwardHttpException}, so `AuthGuard` answers per RFC 6750: status,
 * `{ error, error_description }`, and `WWW-Authenticate` (RFC 9110 §11.6.1), which the strategy
 * sets on the response itself, on Express and on Fastify (through the middleware
 * `TokenwardModule` applies), since Nest's base exception filter drops exception headers.
 * Failures found here (not by the verifier) are presented as the verifier presents its own: its
 * realm, its `errorDescriptions`, its `onRejection` hook. The consequence: in a chain
 * `AuthGuard(['tokenward', 'other'])` a request failing here does not fall through to `other`.
 * A falsy `validate` result is answered 401 `invalid_token` (`ERR_TOKEN_REJECTED`); throw a core
 * error (e.g. `InsufficientScopeError`) from `validate` for a more precise one.
 *
 * Whatever `jwtFromRequest` reads, the request is first held to the guard's RFC 6750 checks: a
 * malformed Authorization header (`Bearer <t> garbage`, `Bearer<TAB><t>`) or two Authorization
 * lines answer 400, and so does a token in a standard place (header, `access_token` query
 * parameter or form field) that differs from the one the extractor returns (two methods).
 *
 * The strategy does not evaluate route requirements (`@Scopes`, `@Roles`, …): it does not know
 * the route. Such a route needs an {@link AccessTokenGuard} too (the global one, or
 * `@UseGuards(AuthGuard('tokenward'), AccessTokenGuard)`), or the application refuses to start.
 *
 * @example
 * ```ts
 * // Before (passport-jwt):
 * //   class JwtStrategy extends PassportStrategy(Strategy) {
 * //     constructor() { super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey }) }
 * //     validate(payload) { return { userId: payload.sub } }
 * //   }
 * @Injectable()
 * export class JwtStrategy extends TokenwardStrategy {
 *   constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
 *     super(verifier, { name: 'jwt', jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() })
 *   }
 *   override validate(token: AccessToken) { return { userId: token.subject } }
 * }
 * ```
 */
@Injectable()
export class TokenwardStrategy {
  /** The passport strategy name. */
  readonly name: string;
  private readonly extractor: TokenExtractor | undefined;
  private readonly passReqToCallback: boolean;

  constructor(
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
    // Options come from a subclass's super() call, as with passport-jwt: a second injected
    // token here would be inherited by every subclass's constructor metadata. @Optional lets
    // Nest construct the base class itself with the defaults.
    @Optional() options: TokenwardStrategyOptions = {},
  ) {
    if (typeof verifier?.verify !== 'function') {
      throw new TypeError('TokenwardStrategy: expected a Verifier (import TokenwardModule)');
    }
    if (options.jwtFromRequest !== undefined && typeof options.jwtFromRequest !== 'function') {
      throw new TypeError('jwtFromRequest: expected an extractor function');
    }
    this.name = options.name ?? TOKENWARD_STRATEGY_NAME;
    this.extractor = options.jwtFromRequest;
    this.passReqToCallback = options.passReqToCallback === true;
    loadPassport().use(this.name, this);
  }

  /**
   * Maps the verified token to `request.user`. Override it as you would passport-jwt's verify
   * callback; nothing more is checked after it. Receives `(request, token)` when
   * `passReqToCallback` is set.
   */
  validate(...args: unknown[]): unknown {
    return args[args.length - 1] as AccessToken;
  }

  /**
   * Passport's entry point; called on a per-request copy that has `success`/`fail`/`error`.
   *
   * @param request The request to authenticate.
   */
  authenticate(this: TokenwardStrategy & PassportActions, request: PassportRequest): void {
    void this.run(request).then(
      (user) => this.success(user),
      (error: unknown) => {
        if (error instanceof TokenwardError) {
          // A hand-written verifier's errors may not name its realm; the challenge does.
          const bound = error.withRealm(this.verifier.realm);
          setResponseHeaders(request, responseHeaders(bound));
          this.error(toHttpException(bound));
          return;
        }
        this.error(toHttpException(error));
      },
    );
  }

  /**
   * Verifies the request and maps the token with `validate`. Rejects with the failure as it is
   * answered: the verifier presents its own; the others go through {@link presentRejection}
   * here, once each, so the `onRejection` hook sees every failure exactly once.
   */
  private async run(request: PassportRequest): Promise<unknown> {
    const token =
      this.extractor === undefined
        ? await this.verifier.verifyRequest(
            request as never,
            // With DPoP: the origin the platform derived, and a fresh DPoP-Nonce on success.
            bindingContext(this.verifier, request as never, undefined, (name, value) =>
              setResponseHeaders(request, { [name]: value }),
            ),
          )
        : await this.verifier.verify(this.extract(request, this.extractor));
    request[TOKENWARD_REQUEST_PROPERTY] = token;
    let user: unknown;
    try {
      user = await (this.passReqToCallback ? this.validate(request, token) : this.validate(token));
      // A refusal by validate() is still an RFC 6750 answer: 401 with a challenge (RFC 9110
      // §11.6.1 requires WWW-Authenticate on every 401), not passport's bare fail.
      if (!user)
        throw new InvalidTokenError('ERR_TOKEN_REJECTED', 'the access token is not accepted');
    } catch (error) {
      // validate() decided about a verified token: the route step's decision, on the trail.
      throw presentRejection(this.verifier, error, request as unknown as RequestLike, { token });
    }
    return user;
  }

  /** The token `extractor` returns, after the RFC 6750 checks of the request. */
  private extract(request: PassportRequest, extractor: TokenExtractor): string {
    try {
      const standard = standardToken(request as unknown as RequestLike);
      const raw = extractor(request as never);
      if (typeof raw !== 'string' || raw === '') throw new MissingTokenError();
      // RFC 6750 §2: clients MUST NOT use more than one method. A token the extractor found
      // elsewhere (a custom query parameter, a cookie) beside a different one in a standard
      // place means two methods, and a forged header must not ride along unchecked.
      if (standard !== undefined && standard !== raw) {
        throw new InvalidRequestError(
          'ERR_REQUEST_MULTIPLE_TOKENS',
          'the request carries an access token in more than one place',
        );
      }
      return raw;
    } catch (error) {
      throw presentRejection(this.verifier, error, request as unknown as RequestLike, {
        stage: 'authentication',
      });
    }
  }
}

/**
 * The token in a standard place (RFC 6750 §2: Authorization header, `access_token` query
 * parameter or form field), after the checks the guard makes: one Authorization line (RFC 9110
 * §5.3), `Bearer <b64token>` syntax (RFC 6750 §2.1), one method only. `undefined` when there is
 * none. Made whatever the extractor, so a custom extractor cannot bypass them.
 */
function standardToken(request: RequestLike): string | undefined {
  try {
    return extractBearerToken(request, { query: true, body: true });
  } catch (error) {
    if (error instanceof MissingTokenError) return undefined;
    throw error;
  }
}
