/**
 * Route requirements: each decorator builds a core policy when the class is defined (so a
 * mistake such as `@Scopes()` with no scope throws a `TypeError` at start-up, not mid-request)
 * and appends it to the controller's or handler's list.
 *
 * How requirements combine: **every requirement must hold**. The controller's requirements
 * apply to each of its handlers, and a handler's add to them; a handler cannot weaken its
 * controller. A route cannot be both public and restricted: `@Public()` and a requirement on the
 * same route (at either level, in either order) make the application refuse to start. Repeating a decorator adds another
 * requirement rather than replacing the first. This is stricter than the "handler overrides
 * class" reading of `Reflector.getAllAndOverride`, on purpose: an `@Roles('admin')` on a
 * controller should not silently stop applying because one handler also asks for a scope.
 */
import 'reflect-metadata';
import {
  rateLimit,
  requireNetwork,
  requireRiskBelow,
  requireAnyRole,
  requireAnyScope,
  requireBinding,
  requireClaim,
  requireRoles,
  requireScopes,
  requireStepUp,
  type ClaimPath,
  type ClaimPredicate,
  type Policy,
  type RateLimitOptions,
  type StepUpOptions,
} from '@tokenward/core';
import { TOKENWARD_POLICIES_METADATA } from '../tokenward.constants';
import { POLICY_NAMES } from './route-metadata';

/** A decorator usable on a controller class and on a handler method. */
export type RequirementDecorator = ClassDecorator & MethodDecorator;

/**
 * Appends policies to the metadata of a class (class decorator) or of a method (method
 * decorator). Decorators run bottom-up; prepending keeps the order they are written in.
 */
function appendPolicies(policies: readonly Policy[], name: string): RequirementDecorator {
  for (const policy of policies) if (!POLICY_NAMES.has(policy)) POLICY_NAMES.set(policy, name);
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: object = descriptor?.value ?? target;
    const existing = (Reflect.getMetadata(TOKENWARD_POLICIES_METADATA, holder) ?? []) as Policy[];
    Reflect.defineMetadata(TOKENWARD_POLICIES_METADATA, [...policies, ...existing], holder);
    return descriptor;
  }) as RequirementDecorator;
}

/**
 * Requires every listed scope (403 `insufficient_scope` with `scope="…"` otherwise).
 *
 * @example `@Scopes('messages:read')`
 */
export const Scopes = (...scopes: string[]): RequirementDecorator =>
  appendPolicies([requireScopes(...scopes)], '@Scopes');

/** Requires at least one of the listed scopes. @example `@AnyScope('messages:read', 'admin')` */
export const AnyScope = (...scopes: string[]): RequirementDecorator =>
  appendPolicies([requireAnyScope(...scopes)], '@AnyScope');

/** Requires every listed role (from the claims profile's roles claim). @example `@Roles('admin')` */
export const Roles = (...roles: string[]): RequirementDecorator =>
  appendPolicies([requireRoles(...roles)], '@Roles');

/** Requires at least one of the listed roles. @example `@AnyRole('admin', 'moderator')` */
export const AnyRole = (...roles: string[]): RequirementDecorator =>
  appendPolicies([requireAnyRole(...roles)], '@AnyRole');

/**
 * Requires a claim to equal a value (for an array claim: to contain it) or to satisfy a predicate.
 *
 * @param path A claim name, a dotted path, or a list of segments (for names containing dots).
 * @example `@RequireClaim('tenant', 'acme')`, `@RequireClaim('email_verified', (v) => v === true)`
 */
export function RequireClaim(path: ClaimPath, predicate: ClaimPredicate): RequirementDecorator;
export function RequireClaim(path: ClaimPath, value: unknown): RequirementDecorator;
// Two overloads, as core's requireClaim has: with one `unknown | predicate` parameter the
// predicate's parameters would not be typed in a strict application.
export function RequireClaim(path: ClaimPath, expected: unknown): RequirementDecorator {
  return appendPolicies([requireClaim(path, expected)], '@RequireClaim');
}

/**
 * Requires a sender-constrained token: bound to a DPoP key (`'dpop'`) or a client certificate
 * (`'mtls'`), whose proof the verifier checked (401 `invalid_token` for an unbound token).
 *
 * @example `@RequireBinding('dpop')`
 */
export const RequireBinding = (...schemes: Array<'dpop' | 'mtls'>): RequirementDecorator =>
  appendPolicies([requireBinding(...schemes)], '@RequireBinding');

/**
 * Rate-limits the route by the verified identity (core `rateLimit`): run by the guard after
 * authentication, with the other requirements in their order. An allowed request gets the
 * `RateLimit-Policy` and `RateLimit` response fields; a refused one is 429 with `Retry-After`
 * (no challenge), recorded as `excess_rate_limit_exceeded` `ERR_RATE_LIMITED`. On a controller, each of its
 * routes shares the one quota (one set of counters); on a handler, that route has its own.
 * Options are checked when the class is defined.
 *
 * @example `@RateLimit({ key: 'client', limits: [{ name: 'burst', points: 20, duration: 1 }] })`
 */
export const RateLimit = (options: RateLimitOptions): RequirementDecorator =>
  appendPolicies([rateLimit(options)], '@RateLimit');

/**
 * Lets the route (or every route of the controller) be called only from the listed networks
 * (core `requireNetwork`: CIDR blocks or single addresses, IPv4 and IPv6, checked when the class
 * is defined). The address is the platform's `request.ip`: configure the platform's trust-proxy
 * setting for the proxies in front of the app (Express `app.set('trust proxy', …)`, Fastify
 * `trustProxy`), never a raw `X-Forwarded-For`. Anything else, a request without a usable
 * address included, is 403 `ERR_IP_NOT_ALLOWED` (no challenge), recorded as `authz_fail`.
 *
 * @example `@AllowFrom('10.0.0.0/8', '2001:db8::/32')`
 */
export const AllowFrom = (...cidrs: string[]): RequirementDecorator =>
  appendPolicies([requireNetwork(...cidrs)], '@AllowFrom');

/**
 * Requires the request's risk score (core `requireRiskBelow`: the `anomalies` detectors'
 * signals, formula in docs/traffic-control.md) to be below `limit`, a whole number from 1 to
 * 100: 403 `ERR_RISK_TOO_HIGH` at or above it, 503 `ERR_RISK_UNAVAILABLE` when the score cannot
 * be computed (the anomaly store fails, or the verifier has no `anomalies` option).
 *
 * @example `@RiskBelow(50)`
 */
export const RiskBelow = (limit: number): RequirementDecorator =>
  appendPolicies([requireRiskBelow(limit)], '@RiskBelow');

/**
 * Requires a strong and recent enough user authentication (core `requireStepUp`, RFC 9470): an
 * `acr` among `acr` and an `auth_time` at most `maxAge` seconds old, read where `claims` (the
 * verifier's preset or mapping) says. Otherwise 401 `insufficient_user_authentication` with
 * `acr_values="…"` and `max_age="…"` in the challenge, recorded as `authz_fail`. Options are
 * checked when the class is defined.
 *
 * @example `@StepUp({ acr: ['urn:example:mfa'], maxAge: 300 })`
 */
export const StepUp = (options: StepUpOptions): RequirementDecorator =>
  appendPolicies([requireStepUp(options)], '@StepUp');

/**
 * Requires arbitrary core policies, for combinations the other decorators cannot express.
 *
 * @example `@UsePolicies(anyOf(requireScopes('messages:admin'), requireRoles('admin')))`
 */
export const UsePolicies = (...policies: Policy[]): RequirementDecorator => {
  if (policies.length === 0 || !policies.every((p) => typeof p === 'function')) {
    throw new TypeError('UsePolicies: expected at least one policy function');
  }
  return appendPolicies(policies, '@UsePolicies');
};
