/**
 * The synchronous cache-hit path of a verifier, for first-party adapters only: kept under a
 * module-private symbol, so it is no member of the public {@link Verifier} interface. The symbol
 * is an own enumerable property, so a verifier copied with spread (`{ ...verifier, … }`, a
 * wrapper that counts calls, say) keeps its cache path, as it kept every method. Exported to
 * applications as `@tokenward/core/internal`, which is not covered by semver.
 */
import { TokenwardError } from '../errors/errors';
import type { RequestLike } from '../http/request';
import type { AccessToken } from './access-token';
import { runPolicies, type Policy, type ResponseHeaderSetter } from '../authz/policies';
import type { AuditStage } from '../audit/audit-event';
import type { Verifier, VerifyContext } from './types';
import { frameworkOrigin, type FrameworkRequest } from '../http/public-origin';

type CachePath = (request: RequestLike, context?: VerifyContext) => AccessToken | undefined;

const CACHE_PATH = Symbol('tokenward.cachePath');

type WithCachePath = Verifier & { readonly [CACHE_PATH]?: CachePath };

/**
 * Records the cache path of a verifier `createVerifier` built.
 *
 * @internal
 */
export function registerCachePath(verifier: Verifier, path: CachePath): void {
  Object.defineProperty(verifier, CACHE_PATH, { value: path, enumerable: true });
}

/**
 * The synchronous cache-only form of `verifier.verifyRequest`: the verified {@link AccessToken}
 * when the request's token was completely verified before and is still in the verified-token
 * cache and within its time claims; otherwise `undefined` (never throws). The token is extracted
 * with exactly the same RFC 6750 checks. Adapters try this first and call `verifyRequest` on
 * `undefined`, which verifies the token or reports what is wrong, so a cache hit costs no promise
 * and no event-loop turn. Always `undefined` with `cache: false`, and for a verifier that
 * `createVerifier` did not build (a hand-written one).
 *
 * For first-party adapters; not covered by semver.
 *
 * @param verifier A verifier from `createVerifier`.
 * @param request The request, as for `verifyRequest`.
 * @param context The time to check against, as for `verifyRequest`.
 * @example
 * ```ts
 * const cached = verifyRequestFromCache(verifier, req)
 * if (cached !== undefined) return done(cached)
 * return verifier.verifyRequest(req).then(done, fail)
 * ```
 */
export function verifyRequestFromCache(
  verifier: Verifier,
  request: RequestLike,
  context?: VerifyContext,
): AccessToken | undefined {
  const path = (verifier as WithCachePath)[CACHE_PATH];
  return typeof path === 'function' ? path(request, context) : undefined;
}

/** How a verifier `createVerifier` built records the adapters' route-step decisions. */
export interface RouteDecisions {
  /** Every requirement held: an `authz_success` event. */
  readonly allow: (token: AccessToken, request: RequestLike, route: string | undefined) => void;
  /**
   * A failure at the route step, presented as the verifier presents its own (realm, terse
   * descriptions, `onRejection`) and recorded as an `authz_fail` event.
   */
  readonly deny: (
    error: TokenwardError,
    request: RequestLike | undefined,
    place: RejectionPlace,
  ) => TokenwardError;
}

/** Where an adapter found a failure, for its audit event. */
export interface RejectionPlace {
  /** Default `'authorization'`: the route step. `'authentication'`: before a token was verified. */
  readonly stage?: AuditStage;
  /** The route template. */
  readonly route?: string | undefined;
  /** The verified token a requirement refused, if there was one. */
  readonly token?: AccessToken | undefined;
}

const BINDING_CONTEXT = Symbol('tokenward.bindingContext');

/**
 * Where a verifier that checks DPoP proofs takes the public origin from: the framework's request
 * (`'framework'`), or its own `dpop.origin` (`'configured'`), which wins over any other.
 */
type OriginSource = 'framework' | 'configured';

type WithBindingContext = Verifier & { readonly [BINDING_CONTEXT]?: OriginSource };

/**
 * Records that a verifier `createVerifier` built checks DPoP proofs, so adapters pass a
 * response-header setter, and the request's origin unless `origin` is `'configured'` (the
 * verifier's `dpop.origin` is the one used, so reading the framework's is wasted work).
 *
 * @internal
 */
export function registerBindingContext(verifier: Verifier, origin: OriginSource): void {
  Object.defineProperty(verifier, BINDING_CONTEXT, { value: origin, enumerable: true });
}

/** Most route templates whose verify context one adapter instance keeps. */
const MAX_ROUTE_CONTEXTS = 1000;

/**
 * The verify context of each route template, made once per template: a route's context without
 * DPoP is the same for every request on it, so a cache hit allocates none. At most
 * MAX_ROUTE_CONTEXTS templates are kept (a router mounted on a parameterised path reports as many
 * as paths); past them a context is made per request.
 *
 * For first-party adapters; not covered by semver.
 *
 * @param base What every context holds besides the route (the adapter's token getter).
 * @returns The context of a route template; `base` for a request with none.
 * @example
 * ```ts
 * const contextOf = routeContexts(undefined)
 * contextOf('/api/messages/:id') // { route: '/api/messages/:id' }, the same object each time
 * ```
 */
export function routeContexts(
  base: VerifyContext | undefined,
): (route: string | undefined) => VerifyContext | undefined {
  const contexts = new Map<string, VerifyContext>();
  return (route) => {
    if (route === undefined) return base;
    let context = contexts.get(route);
    if (context === undefined) {
      context = { ...base, route };
      if (contexts.size < MAX_ROUTE_CONTEXTS) contexts.set(route, context);
    }
    return context;
  };
}

/**
 * Whether `verifier` checks DPoP proofs, so that {@link bindingContext} adds to an adapter's
 * context. Asked once when an adapter is set up: without DPoP, an adapter need not allocate a
 * header setter for every request only for `bindingContext` to drop it.
 *
 * For first-party adapters; not covered by semver.
 *
 * @example `const perRequest = usesBindingContext(verifier)`
 */
export function usesBindingContext(verifier: Verifier): boolean {
  return (verifier as WithBindingContext)[BINDING_CONTEXT] !== undefined;
}

/**
 * The verify context of one request: `base` (the route, the getter), plus, for a verifier that
 * checks DPoP proofs, the public origin the framework determined and `setHeader` for a fresh
 * `DPoP-Nonce`. Without DPoP, `base` itself: nothing is allocated on the cache-hit path.
 *
 * For first-party adapters; not covered by semver.
 *
 * @param verifier The adapter's verifier.
 * @param request The framework's request (Express or Fastify).
 * @param base The context the adapter built.
 * @param setHeader Sets a header on this request's response.
 * @example
 * ```ts
 * const context = bindingContext(verifier, req, { route }, (n, v) => res.setHeader(n, v))
 * ```
 */
export function bindingContext(
  verifier: Verifier,
  request: FrameworkRequest,
  base: VerifyContext | undefined,
  setHeader: (name: string, value: string) => void,
): VerifyContext | undefined {
  const source = (verifier as WithBindingContext)[BINDING_CONTEXT];
  if (source === undefined) return base;
  // Express's protocol and hostname getters each consult its trust-proxy function: read only
  // when the verifier has no origin of its own.
  const origin = source === 'framework' ? frameworkOrigin(request) : undefined;
  return { ...base, ...(origin !== undefined && { origin }), setHeader };
}

const ROUTE_DECISIONS = Symbol('tokenward.routeDecisions');

type WithRouteDecisions = Verifier & { readonly [ROUTE_DECISIONS]?: RouteDecisions };

/**
 * Records how a verifier `createVerifier` built reports route-step decisions.
 *
 * @internal
 */
export function registerRouteDecisions(verifier: Verifier, decisions: RouteDecisions): void {
  Object.defineProperty(verifier, ROUTE_DECISIONS, { value: decisions, enumerable: true });
}

/**
 * A failure found by an adapter after verification (a policy's 403, a missing token before a
 * policy), presented as the verifier presents its own: its realm, terse when configured, reported
 * to its `onRejection` hook and recorded on its audit trail as an `authz_fail` decision. For a
 * hand-written verifier: the error under its realm. A value that is not a TokenwardError (a
 * throwing claim predicate) is returned as it is.
 *
 * For first-party adapters; not covered by semver.
 *
 * @param verifier The verifier of the adapter.
 * @param error What the policy threw.
 * @param request The request, for the event's method, ip and request id.
 * @param place The stage (default the route step), route template and refused token.
 * @example
 * ```ts
 * fail(presentRejection(verifier, new MissingTokenError(), req, { route: '/messages/:id' }))
 * ```
 */
export function presentRejection(
  verifier: Verifier,
  error: unknown,
  request?: RequestLike,
  place: RejectionPlace = {},
): unknown {
  if (!(error instanceof TokenwardError)) return error;
  const decisions = (verifier as WithRouteDecisions)[ROUTE_DECISIONS];
  return decisions !== undefined
    ? decisions.deny(error, request, place)
    : error.withRealm(verifier.realm);
}

/**
 * Records a route step's allow decision on the verifier that verified the token (a tenant
 * verifier's front hands each decision to its tenant's verifier). Nothing for a hand-written
 * verifier.
 *
 * @internal
 */
export function recordRouteAllow(
  verifier: Verifier,
  token: AccessToken,
  request: RequestLike,
  route: string | undefined,
): void {
  (verifier as WithRouteDecisions)[ROUTE_DECISIONS]?.allow(token, request, route);
}

/**
 * The route step: runs the route's policies on a verified token and records the decision (one
 * `authz_success` or `authz_fail` event; none for a route without requirements). Returns
 * `undefined` when every policy is synchronous and held, so a cache hit stays promise-free;
 * otherwise a promise of the same.
 *
 * For first-party adapters; not covered by semver.
 *
 * @param verifier The verifier that verified `token`.
 * @param token The verified token.
 * @param policies The route's requirements, in order.
 * @param request The request, for the event and for route requirements (`forRequest`).
 * @param route The route template, for the event.
 * @param setHeader Sets a header on the response, for route requirements (`RateLimit`, …).
 *   Fields two requirements both set (two rate limits on one route) are joined into one list.
 * @throws the presented failure (see {@link presentRejection}), synchronously or as a rejection.
 * @example
 * ```ts
 * const pending = runRouteStep(verifier, req.auth, [requireScopes('read')], req, '/messages')
 * if (pending === undefined) next(); else pending.then(() => next(), fail)
 * ```
 */
export function runRouteStep(
  verifier: Verifier,
  token: AccessToken,
  policies: readonly Policy[],
  request: RequestLike,
  route: string | undefined,
  setHeader?: ResponseHeaderSetter,
): Promise<void> | undefined {
  if (policies.length === 0) return undefined;
  const decisions = (verifier as WithRouteDecisions)[ROUTE_DECISIONS];
  const refuse = (error: unknown): never => {
    throw presentRejection(verifier, error, request, { route, token });
  };
  let pending: Promise<void> | undefined;
  try {
    pending = runPolicies(
      token,
      policies,
      request,
      setHeader === undefined || policies.length === 1 ? setHeader : joiningHeaders(setHeader),
    );
  } catch (error) {
    refuse(error);
  }
  if (pending === undefined) {
    decisions?.allow(token, request, route);
    return undefined;
  }
  return pending.then(() => decisions?.allow(token, request, route), refuse);
}

/**
 * A header setter that joins a field set twice into one list (`a, b`), as RFC 9110 §5.3 and
 * structured-field lists allow: two rate limits on one route each report their windows.
 */
function joiningHeaders(setHeader: ResponseHeaderSetter): ResponseHeaderSetter {
  let set: Map<string, string> | undefined;
  return (name, value) => {
    set ??= new Map();
    const key = name.toLowerCase();
    const previous = set.get(key);
    const joined = previous === undefined ? value : `${previous}, ${value}`;
    set.set(key, joined);
    setHeader(name, joined);
  };
}
