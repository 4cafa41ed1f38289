import {
  Inject,
  Injectable,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  bindingContext,
  routeContexts,
  runRouteStep,
  usesBindingContext,
  verifyRequestFromCache,
} from '@tokenward/core/internal';
import {
  TokenwardError,
  type AccessToken,
  type Policy,
  type RequestLike,
  type Verifier,
  type VerifyContext,
} from '@tokenward/core';
import { routeDeclarations } from '../decorators/route-metadata';
import { TOKENWARD_REQUEST_PROPERTY, TOKENWARD_VERIFIER } from '../tokenward.constants';
import { responseHeaders, toHttpException } from '../tokenward.exception';

/**
 * The route template Nest registered for the request: Express's `req.route.path`, Fastify's
 * `request.routeOptions.url`; never the raw URL.
 */
function routeTemplate(request: RequestLike): string | undefined {
  const r = request as { route?: { path?: unknown }; routeOptions?: { url?: unknown } };
  const path = r.route?.path ?? r.routeOptions?.url;
  return typeof path === 'string' ? path : undefined;
}

/** What a route requires, read once from its metadata (decorators are static). */
interface RoutePlan {
  /** `@Public()` and no requirement on the route: the request passes untouched. */
  readonly public: boolean;
  /** Controller requirements, then handler requirements. */
  readonly policies: readonly Policy[];
  /** `@OptionalAuth()` and no requirements: a request without a token passes. */
  readonly optional: boolean;
}

type Target = ReturnType<ExecutionContext['getHandler']>;

/**
 * Authenticates requests with the module's verifier and enforces the route's requirements.
 *
 * With `TokenwardModule` it is global by default (`guard: 'global'`); with `guard: 'manual'` apply
 * it with `@UseGuards`. A subclass counts as the guard for the start-up check.
 *
 * Per route, in this order:
 * 1. `@Public()` on the handler or its controller, and no requirement on the route at all: the
 *    request passes untouched. (Requirements win; the module's start-up check refuses such a
 *    route before it can be called.)
 * 2. The bearer token is extracted (RFC 6750 §2) and verified; the {@link AccessToken} is put on
 *    `request.auth` (read it with `@Auth()`). Without a token, an `@OptionalAuth()` route with no
 *    requirements passes; any other route answers 401.
 * 3. Every requirement of the controller, then of the handler, must hold (403 otherwise; 429
 *    for a used-up `@RateLimit`, whose `RateLimit` fields are set on the response).
 *
 * Failures are thrown as {@link TokenwardHttpException}; the `WWW-Authenticate` header is set on
 * the response here, because Nest's default exception filter sends only status and body.
 *
 * @example
 * ```ts
 * @UseGuards(AccessTokenGuard)
 * @Scopes('messages:read')
 * @Controller('messages')
 * export class MessagesController { ... }
 * ```
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  // Per controller class, then handler: the same method can be inherited by two controllers with
  // different class-level metadata. Weak keys: a dropped module takes its plans with it.
  private readonly plans = new WeakMap<Target, WeakMap<Target, RoutePlan>>();
  /** The verify context of each route template, made once per template. */
  private readonly routeContext = routeContexts(undefined);

  /**
   * @param verifier The module's verifier (`TOKENWARD_VERIFIER`).
   * @param reflector Nest's reflector, for subclasses reading metadata of their own.
   * @param adapterHost Sets `WWW-Authenticate` on the platform's response (Express, Fastify).
   */
  constructor(
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
    protected readonly reflector: Reflector,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.planOf(context);
    if (plan.public) return true;

    let request: RequestLike;
    try {
      request = this.getRequest(context);
    } catch (error) {
      // Failures always come as a rejected promise, whichever path a request takes.
      return Promise.reject(error);
    }
    // The route template, for the audit events of this request's decisions.
    const route = routeTemplate(request);
    // With DPoP, also the public origin the platform derived (its trust-proxy setting) and a
    // setter for a fresh DPoP-Nonce on the response, through the platform's adapter.
    // Without DPoP a route's context is the same for every request on it: made once per route.
    const base = this.routeContext(route);
    const verifyContext = !usesBindingContext(this.verifier)
      ? base
      : bindingContext(this.verifier, request, base, (name, value) =>
          this.adapterHost?.httpAdapter.setHeader(
            context.switchToHttp().getResponse<unknown>(),
            name,
            value,
          ),
        );
    // A token verified before is answered without a promise while the policies are synchronous
    // (the built-in ones are); anything else takes the asynchronous path below.
    const cached = verifyRequestFromCache(this.verifier, request, verifyContext);
    if (cached === undefined)
      return this.authenticate(context, request, plan, route, verifyContext);
    (request as unknown as Record<string, unknown>)[TOKENWARD_REQUEST_PROPERTY] = cached;
    let pending: Promise<void> | undefined;
    try {
      pending = runRouteStep(
        this.verifier,
        cached,
        plan.policies,
        request,
        route,
        this.headerSetter(context, plan),
      );
    } catch (error) {
      return Promise.reject(this.failure(context, error));
    }
    if (pending === undefined) return true;
    return pending.then(
      () => true,
      (error: unknown) => {
        throw this.failure(context, error);
      },
    );
  }

  private async authenticate(
    context: ExecutionContext,
    request: RequestLike,
    plan: RoutePlan,
    route: string | undefined,
    verifyContext: VerifyContext | undefined,
  ): Promise<boolean> {
    let token: AccessToken;
    try {
      token = await this.verifier.verifyRequest(request, verifyContext);
    } catch (error) {
      if (plan.optional && error instanceof TokenwardError && error.code === 'ERR_TOKEN_MISSING') {
        return true;
      }
      // The verifier presented it already (realm, descriptions, onRejection).
      throw this.failure(context, error);
    }
    (request as unknown as Record<string, unknown>)[TOKENWARD_REQUEST_PROPERTY] = token;
    try {
      // Presents a failure as the verifier presents its own (realm, terse descriptions,
      // onRejection) and records the decision on its audit trail.
      await runRouteStep(
        this.verifier,
        token,
        plan.policies,
        request,
        route,
        this.headerSetter(context, plan),
      );
    } catch (error) {
      throw this.failure(context, error);
    }
    return true;
  }

  /** The exception to throw for a failure, with the challenge set on the response. */
  private failure(context: ExecutionContext, error: unknown): unknown {
    if (error instanceof TokenwardError) {
      // A hand-written verifier's errors may not name its realm; the challenge does.
      const bound = error.withRealm(this.verifier.realm);
      this.setChallenge(context, bound);
      return toHttpException(bound);
    }
    return toHttpException(error);
  }

  /**
   * The request to authenticate. Override for non-HTTP transports (GraphQL: take it from the
   * GraphQL context), as with `AuthGuard.getRequest` of @nestjs/passport.
   */
  protected getRequest(context: ExecutionContext): RequestLike {
    if (context.getType() !== 'http') {
      throw new TypeError(
        `AccessTokenGuard: ${context.getType()} contexts are not supported; extend the guard and override getRequest()`,
      );
    }
    return context.switchToHttp().getRequest<RequestLike>();
  }

  /** The route's plan, read from its metadata on its first request only. */
  private planOf(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.plans.get(controller);
    const cached = byHandler?.get(handler);
    if (cached !== undefined) return cached;
    const declared = routeDeclarations(handler, controller);
    // Requirements win over @Public wherever either is written (fail closed).
    const isPublic = declared.public && declared.policies.length === 0;
    const plan: RoutePlan = Object.freeze({
      public: isPublic,
      policies: Object.freeze(isPublic ? [] : declared.policies),
      optional: !isPublic && declared.policies.length === 0 && declared.optional,
    });
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.plans.set(controller, byHandler);
    }
    byHandler.set(handler, plan);
    return plan;
  }

  /**
   * Sets headers of route requirements (a rate limit's `RateLimit` fields) on the platform's
   * response, as the challenge is set; `undefined` outside HTTP or without the adapter.
   */
  private headerSetter(
    context: ExecutionContext,
    plan: RoutePlan,
  ): ((name: string, value: string) => void) | undefined {
    const adapter = this.adapterHost?.httpAdapter;
    // A route without requirements allocates nothing for them.
    if (plan.policies.length === 0 || adapter === undefined || context.getType() !== 'http') {
      return undefined;
    }
    const response: unknown = context.switchToHttp().getResponse();
    return (name, value) => void adapter.setHeader(response, name, value);
  }

  private setChallenge(context: ExecutionContext, error: TokenwardError): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter === undefined || context.getType() !== 'http') return;
    const response: unknown = context.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(responseHeaders(error))) {
      adapter.setHeader(response, name, value);
    }
  }
}
