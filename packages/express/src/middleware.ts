/**
 * Express 5 middleware over `@tokenward/core`: `authenticate` turns the request into core's
 * `RequestLike`, verifies it and sets `req.auth`; the policy middlewares wrap core's policies.
 * Core errors become RFC 6750 responses (or `next(err)`); no token logic lives here.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import {
  createVerifier,
  DEFAULT_REALM,
  MissingTokenError,
  requireAnyRole as anyRolePolicy,
  requireAnyScope as anyScopePolicy,
  requireClaim as claimPolicy,
  requireRoles as rolesPolicy,
  requireScopes as scopesPolicy,
  runPolicies,
  TokenwardError,
  type AccessToken,
  type ClaimPath,
  type Policy,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { presentRejection, verifyRequestFromCache } from '@tokenward/core/internal';

declare global {
  // Declaration merging is how Express types request extensions (@types/express-serve-static-core).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access token, set by `authenticate()`. Absent when authentication is
       * optional (`credentialsRequired: false`) and the request carried no token.
       */
      auth?: AccessToken;
    }
  }
}

/** What to do with a failure: answer it per RFC 6750, or hand it to Express error handlers. */
export type ErrorHandling = 'respond' | 'next';

/** Options of {@link authenticate}, beyond the verifier itself. */
export interface AuthenticateOptions {
  /**
   * Whether a request must carry a token. Default true. With false, a request without a bearer
   * token goes on without `req.auth`; a request with a bad token still fails (401 or 400).
   */
  credentialsRequired?: boolean;
  /**
   * `'respond'` (default): answer failures with the RFC 6750 status, `WWW-Authenticate` header
   * and JSON body. `'next'`: call `next(err)` with the `TokenwardError` (it carries `status`,
   * `headers` and `toJSON()`), for applications with their own error handler. The policy
   * middlewares after this `authenticate` follow the same choice.
   */
  errorHandling?: ErrorHandling;
  /**
   * Where the application finds its token besides the RFC 6750 locations (a cookie, a custom
   * header): returns it, or `undefined`/`null` when that place is empty (the Authorization
   * header, and the query or body when the verifier enables them, are then read as usual). A
   * returned token gets the same checks: RFC 6750 §2.1 syntax (400 otherwise), and one method
   * only (RFC 6750 §2): a request that also carries a Bearer Authorization header or an
   * `access_token` query or form parameter is refused with 400 `ERR_REQUEST_MULTIPLE_TOKENS`.
   *
   * @example `authenticate(options, { getToken: (req) => req.cookies?.access_token })`
   */
  getToken?: (req: Request) => string | null | undefined;
}

const AUTHENTICATE_OPTIONS = new Set(['credentialsRequired', 'errorHandling', 'getToken']);

interface RequestState {
  readonly realm: string;
  readonly errorHandling: ErrorHandling;
  /** The verifier, whose realm, error descriptions and onRejection hook policy failures use. */
  readonly verifier?: Verifier;
}

// What authenticate() decided for a request, for the policy middlewares that follow it. A
// symbol-keyed property: nothing can collide with it, JSON and Object.keys skip it, and unlike a
// WeakMap entry it costs the garbage collector nothing extra per request.
const STATE = Symbol('tokenward.state');
type WithState = Request & { [STATE]?: RequestState };

// A policy with no authenticate() before it answers like a request without a token (fail closed).
const UNAUTHENTICATED: RequestState = { realm: DEFAULT_REALM, errorHandling: 'respond' };

/**
 * Answers a tokenward error per RFC 6750: its status, its `WWW-Authenticate` challenge and its
 * JSON body (`{ error, error_description }`, or `{}` when the request carried no token, §3.1).
 */
function respond(res: Response, error: TokenwardError): void {
  res.status(error.status).set(error.headers).json(error.toJSON());
}

function fail(error: unknown, state: RequestState, res: Response, next: NextFunction): void {
  // Anything that is not a TokenwardError is a bug (a throwing claim predicate, a custom
  // verifier): Express's error handling deals with it, never an RFC 6750 answer.
  if (!(error instanceof TokenwardError) || state.errorHandling === 'next' || res.headersSent) {
    next(error);
    return;
  }
  respond(res, error);
}

function isVerifier(value: unknown): value is Verifier {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Verifier).verifyRequest === 'function'
  );
}

/**
 * Creates middleware that verifies the request's bearer token (RFC 6750 §2: the Authorization
 * header by default) and sets `req.auth` to the verified {@link AccessToken}.
 *
 * @param verifier A core `Verifier`, or `VerifierOptions` to create one from (checked here, once:
 *   a `TypeError` names a bad option when the app is set up, never mid-request).
 * @param options See {@link AuthenticateOptions}.
 * @example
 * ```ts
 * app.use(authenticate({ issuer, audience: 'https://api.example.com', keys: jwks, decryptionKeys }))
 * app.get('/api/messages', requireScopes('messages:read'), (req, res) => res.json(req.auth!.subject))
 * ```
 */
export function authenticate(
  verifier: Verifier | VerifierOptions,
  options: AuthenticateOptions = {},
): RequestHandler {
  if (typeof verifier !== 'object' || verifier === null) {
    throw new TypeError('authenticate: expected a Verifier or VerifierOptions');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('authenticate: the second argument must be an options object');
  }
  const unknown = Object.keys(options).filter((key) => !AUTHENTICATE_OPTIONS.has(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `authenticate: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${[...AUTHENTICATE_OPTIONS].join(', ')}`,
    );
  }
  const { getToken } = options;
  if (getToken !== undefined && typeof getToken !== 'function') {
    throw new TypeError('getToken: expected a function (req) => string | undefined');
  }
  const credentialsRequired = options.credentialsRequired ?? true;
  if (typeof credentialsRequired !== 'boolean') {
    throw new TypeError('credentialsRequired: expected a boolean');
  }
  const errorHandling = options.errorHandling ?? 'respond';
  if (errorHandling !== 'respond' && errorHandling !== 'next') {
    throw new TypeError(`errorHandling: expected 'respond' or 'next'`);
  }
  const resolved = isVerifier(verifier) ? verifier : createVerifier(verifier);
  const state: RequestState = { realm: resolved.realm, errorHandling, verifier: resolved };
  // Express's request is the RequestLike the getter is handed back.
  const context = getToken && {
    getToken: (request: unknown) => getToken(request as Request),
  };

  // Not an `async` function: Express 5 would attach its own handlers to the returned promise,
  // one more promise per request for nothing (failures are all handled here).
  return (req, res, next) => {
    (req as WithState)[STATE] = state;
    // Express's request already has the RequestLike shape: method, url, headers, and the
    // parsed query and body (when a body parser ran) for the opt-in token locations.
    // A token verified before is answered synchronously: no promise, no extra event-loop job.
    const cached = verifyRequestFromCache(resolved, req, context);
    if (cached !== undefined) {
      req.auth = cached;
      next();
      return;
    }
    resolved.verifyRequest(req, context).then(
      (auth: AccessToken) => {
        req.auth = auth;
        next();
      },
      (error: unknown) => {
        if (!credentialsRequired && error instanceof MissingTokenError) {
          delete req.auth;
          next();
          return;
        }
        fail(error, state, res, next);
      },
    );
  };
}

/**
 * Creates middleware that runs a core policy on `req.auth` (`allOf`/`anyOf` compositions too).
 * Without a token it fails with 401 and a bare challenge: when authentication was optional, or
 * when no `authenticate()` ran before it (a setup mistake that fails closed; the error message,
 * seen in `next` mode and logs, says so).
 *
 * @example `app.delete('/api/items/:id', authorize(anyOf(requireScopes('items:admin'), requireRoles('admin'))), handler)`
 */
export function authorize(policy: Policy): RequestHandler {
  if (typeof policy !== 'function') throw new TypeError('authorize: expected a policy function');
  const policies = [policy];
  // Not an `async` function: the built-in policies are synchronous, and Express 5 would chain its
  // own handlers on a returned promise. An asynchronous policy (revocation look-up) is awaited.
  return (req, res, next) => {
    const authenticated = (req as WithState)[STATE];
    const state = authenticated ?? UNAUTHENTICATED;
    const failed = (error: unknown): void => {
      // Policies are verifier-independent; the failure is presented as the verifier presents its
      // own (realm, terse descriptions, onRejection hook).
      const presented =
        state.verifier !== undefined
          ? presentRejection(state.verifier, error, req)
          : error instanceof TokenwardError
            ? error.withRealm(state.realm)
            : error;
      fail(presented, state, res, next);
    };
    let pending: Promise<void> | undefined;
    try {
      if (req.auth === undefined) {
        throw new MissingTokenError(
          authenticated === undefined
            ? 'the request was not authenticated: mount authenticate() before this middleware'
            : undefined,
        );
      }
      pending = runPolicies(req.auth, policies);
    } catch (error) {
      failed(error);
      return;
    }
    if (pending === undefined) next();
    else pending.then(() => next(), failed);
  };
}

/**
 * Requires every listed scope (403 `insufficient_scope` with `scope="…"` otherwise).
 *
 * @example `router.post('/messages', requireScopes('messages:write'), handler)`
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  return authorize(scopesPolicy(...scopes));
}

/** Requires at least one of the listed scopes (403 `insufficient_scope` otherwise). */
export function requireAnyScope(...scopes: string[]): RequestHandler {
  return authorize(anyScopePolicy(...scopes));
}

/** Requires every listed role (403 `insufficient_scope` otherwise). */
export function requireRoles(...roles: string[]): RequestHandler {
  return authorize(rolesPolicy(...roles));
}

/** Requires at least one of the listed roles (403 `insufficient_scope` otherwise). */
export function requireAnyRole(...roles: string[]): RequestHandler {
  return authorize(anyRolePolicy(...roles));
}

/**
 * Requires a claim to equal a value (or, for an array claim, contain it) or to satisfy a
 * predicate (403 `insufficient_scope` otherwise). A predicate that throws is an application
 * error and goes to `next(err)`.
 *
 * @example `requireClaim('tenant', 'acme')`, `requireClaim('amr', (amr) => Array.isArray(amr) && amr.includes('mfa'))`
 */
export function requireClaim(
  path: ClaimPath,
  predicate: (value: unknown, token: AccessToken) => boolean,
): RequestHandler;
export function requireClaim(path: ClaimPath, expected: unknown): RequestHandler;
// The overloads exist so a predicate's parameters are typed: `unknown | Function` is `unknown`.
export function requireClaim(path: ClaimPath, expected: unknown): RequestHandler {
  return authorize(claimPolicy(path, expected));
}

/**
 * An Express error handler for `errorHandling: 'next'` apps that answers tokenward errors per
 * RFC 6750 and passes every other error on. Mount it after your routes, after any logging.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => { log(err.code); next(err) })
 * app.use(tokenwardErrorHandler())
 * ```
 */
export function tokenwardErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (error instanceof TokenwardError && !res.headersSent) respond(res, error);
    else next(error);
  };
}
