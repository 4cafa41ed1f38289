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
import type { Verifier, VerifyContext } from './types';

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

type RejectionPath = (error: unknown, request?: RequestLike) => TokenwardError;

const REJECTION_PATH = Symbol('tokenward.rejectionPath');

/**
 * Records how a verifier `createVerifier` built presents a failure.
 *
 * @internal
 */
export function registerRejectionPath(verifier: Verifier, path: RejectionPath): void {
  Object.defineProperty(verifier, REJECTION_PATH, { value: path, enumerable: true });
}

/**
 * A failure found by an adapter after verification (a policy's 403, a missing token before a
 * policy), presented as the verifier presents its own: its realm, terse when configured, and
 * reported to its `onRejection` hook. For a hand-written verifier: the error under its realm.
 * A value that is not a TokenwardError (a throwing claim predicate) is returned as it is.
 *
 * For first-party adapters; not covered by semver.
 *
 * @param verifier The verifier of the adapter.
 * @param error What the policy threw.
 * @param request The request, for the event's method and path.
 * @example
 * ```ts
 * policy(req.auth).catch((error) => fail(presentRejection(verifier, error, req)))
 * ```
 */
export function presentRejection(
  verifier: Verifier,
  error: unknown,
  request?: RequestLike,
): unknown {
  if (!(error instanceof TokenwardError)) return error;
  const path = (verifier as { readonly [REJECTION_PATH]?: RejectionPath })[REJECTION_PATH];
  return typeof path === 'function' ? path(error, request) : error.withRealm(verifier.realm);
}
