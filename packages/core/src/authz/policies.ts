/**
 * Authorization policies over a verified {@link AccessToken}. A policy returns when satisfied and
 * throws {@link InsufficientScopeError} (403 `insufficient_scope`) otherwise.
 */
import type { AccessToken } from '../verifier/access-token';
import type { RequestLike } from '../http/request';
import { readClaim } from '../claims/claim-path';
import { toSegments, type ClaimPath } from '../claims/presets';
import { InsufficientScopeError, InvalidTokenError, TokenwardError } from '../errors/errors';

/** A check run on every request after verification. */
export type Policy = (token: AccessToken) => void | Promise<void>;

/** Sets a header on the response to the request a {@link RouteRequirement} runs for. */
export type ResponseHeaderSetter = (name: string, value: string) => void;

/**
 * A policy that also needs the request and its response: a rate limit keyed by the client's
 * address, say, which answers with `RateLimit` headers. It is a {@link Policy} (callable with the
 * token alone, so `allOf`, `anyOf` and every place that takes a policy accept it), plus
 * `forRequest`, which the route step (`runPolicies` with a request, the adapters' `authorize`,
 * `rateLimit` and guard) calls instead with the request and a header setter.
 *
 * Why a property rather than more parameters on `Policy`: `Policy` keeps its one-argument type,
 * so no existing policy, composition or type test changes, and the route step stays
 * authentication-first by construction: it is only ever handed a verified token.
 */
export interface RouteRequirement extends Policy {
  /**
   * The check with the request: returns when satisfied, throws (or rejects with) a
   * TokenwardError otherwise; may set response headers through `setHeader` when one is given.
   */
  readonly forRequest: (
    token: AccessToken,
    request: RequestLike,
    setHeader: ResponseHeaderSetter | undefined,
  ) => void | Promise<void>;
}

/** Whether a policy is a {@link RouteRequirement}. */
function forRequestOf(policy: Policy): RouteRequirement['forRequest'] | undefined {
  const check = (policy as Partial<RouteRequirement>).forRequest;
  return typeof check === 'function' ? check : undefined;
}

/** Decides whether a claim value (undefined when absent) satisfies a route; `true` passes. */
export type ClaimPredicate = (value: unknown, token: AccessToken) => boolean;

// The scopes a policy names, for RFC 9728 `scopes_supported`: requireScopes and requireAnyScope
// record theirs, allOf and anyOf their members (kept beside the functions, not on them).
const NAMED_SCOPES = new WeakMap<Policy, readonly string[]>();
const MEMBERS = new WeakMap<Policy, readonly Policy[]>();

/**
 * The scopes `policy` names: those of `requireScopes`/`requireAnyScope`, and of the policies
 * inside `allOf`/`anyOf`, in order, each once. A policy of one's own names none. What an adapter
 * lists as a resource's `scopes_supported` (RFC 9728).
 *
 * @example `scopesOf(allOf(requireScopes('a'), anyOf(requireAnyScope('b', 'c')))) // ['a', 'b', 'c']`
 */
export function scopesOf(policy: Policy): readonly string[] {
  const found = new Set<string>();
  const visit = (p: Policy, depth: number) => {
    for (const scope of NAMED_SCOPES.get(p) ?? []) found.add(scope);
    // Compositions nest as deep as code writes them; a bound keeps a cycle from mattering.
    if (depth < 32) for (const member of MEMBERS.get(p) ?? []) visit(member, depth + 1);
  };
  visit(policy, 0);
  return [...found];
}

function names(values: readonly string[], what: string): readonly string[] {
  if (values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`${what}: expected at least one non-empty name`);
  }
  return values;
}

/**
 * Requires every listed scope.
 *
 * @example `requireScopes('messages:read', 'messages:write')`
 */
export function requireScopes(...scopes: string[]): Policy {
  const required = names(scopes, 'requireScopes');
  const policy: Policy = (token) => {
    if (!required.every((scope) => token.scopes.has(scope))) {
      throw new InsufficientScopeError(
        'ERR_SCOPE_MISSING',
        `the token lacks a required scope (needs all of: ${required.join(' ')})`,
        required,
      );
    }
  };
  NAMED_SCOPES.set(policy, required);
  return policy;
}

/**
 * Requires a sender-constrained token on this route: bound to a DPoP key (`'dpop'`) or a client
 * certificate (`'mtls'`), or either when both are listed. The verifier has already checked the
 * proof or certificate of a bound token; this refuses an unbound bearer token where the route
 * demands more (401 `invalid_token` `ERR_BINDING_REQUIRED`: the client needs another token, not
 * another scope).
 *
 * @example
 * ```ts
 * router.post('/payments', authorize(requireBinding('dpop')), handler)
 * ```
 */
export function requireBinding(...schemes: Array<'dpop' | 'mtls'>): Policy {
  if (schemes.length === 0 || !schemes.every((s) => s === 'dpop' || s === 'mtls')) {
    throw new TypeError(`requireBinding: expected 'dpop' and/or 'mtls'`);
  }
  const accepted = new Set<string>(schemes);
  return (token) => {
    const bound =
      (accepted.has('dpop') && token.binding.jkt !== undefined) ||
      (accepted.has('mtls') && token.binding.x5t !== undefined);
    if (!bound) {
      throw new InvalidTokenError(
        'ERR_BINDING_REQUIRED',
        `this route accepts only tokens bound to ${schemes.map((s) => (s === 'dpop' ? 'a DPoP key' : 'a client certificate')).join(' or ')}`,
      );
    }
  };
}

/** Requires at least one of the listed scopes. */
export function requireAnyScope(...scopes: string[]): Policy {
  const required = names(scopes, 'requireAnyScope');
  const policy: Policy = (token) => {
    if (!required.some((scope) => token.scopes.has(scope))) {
      throw new InsufficientScopeError(
        'ERR_SCOPE_MISSING',
        `the token lacks a required scope (needs one of: ${required.join(' ')})`,
        required,
      );
    }
  };
  NAMED_SCOPES.set(policy, required);
  return policy;
}

/** Requires every listed role. */
export function requireRoles(...roles: string[]): Policy {
  const required = names(roles, 'requireRoles');
  return (token) => {
    if (!required.every((role) => token.roles.has(role))) {
      throw new InsufficientScopeError(
        'ERR_ROLE_MISSING',
        `the token lacks a required role (needs all of: ${required.join(' ')})`,
      );
    }
  };
}

/** Requires at least one of the listed roles. */
export function requireAnyRole(...roles: string[]): Policy {
  const required = names(roles, 'requireAnyRole');
  return (token) => {
    if (!required.some((role) => token.roles.has(role))) {
      throw new InsufficientScopeError(
        'ERR_ROLE_MISSING',
        `the token lacks a required role (needs one of: ${required.join(' ')})`,
      );
    }
  };
}

/**
 * Requires a claim to equal a value (strictly; for an array claim, to contain it) or to satisfy
 * a predicate.
 *
 * @example `requireClaim('tenant', 'acme')`, `requireClaim(['https://example.com/tier'], (t) => t === 'gold')`
 * @throws TypeError when `path` is not a claim path or `expected` is undefined.
 */
export function requireClaim(path: ClaimPath, predicate: ClaimPredicate): Policy;
export function requireClaim(path: ClaimPath, value: unknown): Policy;
export function requireClaim(path: ClaimPath, expected: unknown): Policy {
  const segments = toSegments(path);
  if (segments.length === 0 || segments.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError('requireClaim: expected a claim path');
  }
  // An unset value (`requireClaim('tenant', process.env.TENANT)`) would otherwise match every
  // token that lacks the claim: fail at configuration time, not open at request time.
  if (expected === undefined) {
    throw new TypeError('requireClaim: expected a value or a predicate, got undefined');
  }
  const label = segments.join('.');
  return (token) => {
    const value = readClaim(token.claims as Record<string, unknown>, segments);
    const ok =
      typeof expected === 'function'
        ? (expected as ClaimPredicate)(value, token) === true
        : value === expected || (Array.isArray(value) && value.includes(expected));
    if (!ok) {
      throw new InsufficientScopeError(
        'ERR_CLAIM_MISMATCH',
        `the token's ${label} claim does not satisfy this route's requirement`,
        [],
        { claim: label },
      );
    }
  };
}

/**
 * Requires every policy to pass (run in order; the first failure is thrown). A route
 * requirement: run with the request (the route step), each inner {@link RouteRequirement} (a
 * rate limit, a network allowlist) gets the request and the header setter too.
 */
export function allOf(...policies: Policy[]): RouteRequirement {
  if (policies.length === 0) throw new TypeError('allOf: expected at least one policy');
  const all = async (
    token: AccessToken,
    request: RequestLike | undefined,
    setHeader: ResponseHeaderSetter | undefined,
  ): Promise<void> => {
    for (const policy of policies) await runOne(policy, token, request, setHeader);
  };
  const composed = Object.assign((token: AccessToken) => all(token, undefined, undefined), {
    forRequest: all,
  });
  MEMBERS.set(composed, policies);
  return composed;
}

/**
 * Requires at least one policy to pass; if none does, the first failure is thrown. A route
 * requirement like {@link allOf}: inner route requirements get the request. Policies are tried
 * in order and the first that passes ends the check, so a rate limit after it is not counted.
 */
export function anyOf(...policies: Policy[]): RouteRequirement {
  if (policies.length === 0) throw new TypeError('anyOf: expected at least one policy');
  const any = async (
    token: AccessToken,
    request: RequestLike | undefined,
    setHeader: ResponseHeaderSetter | undefined,
  ): Promise<void> => {
    let first: unknown;
    for (const policy of policies) {
      try {
        await runOne(policy, token, request, setHeader);
        return;
      } catch (error) {
        if (!(error instanceof TokenwardError)) throw error;
        first ??= error;
      }
    }
    throw first;
  };
  const composed = Object.assign((token: AccessToken) => any(token, undefined, undefined), {
    forRequest: any,
  });
  MEMBERS.set(composed, policies);
  return composed;
}

/**
 * Runs a route's policies in order against a token, for adapters: synchronously while they are
 * synchronous (the built-in ones are), so a request that passes needs no promise; from the first
 * policy that returns a promise (or any thenable: a revocation look-up, say) on, each is awaited
 * before the next runs. With `request`, a {@link RouteRequirement} runs its `forRequest` check
 * (with `setHeader` for its response headers); without, it runs as a plain policy.
 *
 * @param token The verified token.
 * @param policies The route's requirements, in order.
 * @param request The request, for route requirements.
 * @param setHeader Sets a header on the request's response, for route requirements.
 * @returns `undefined` when every policy passed synchronously, otherwise a promise of the rest.
 * @throws the first failure of a synchronous policy (a later one rejects the promise instead).
 * @example
 * ```ts
 * const pending = runPolicies(token, [requireScopes('read'), notRevoked])
 * if (pending) await pending
 * ```
 */
export function runPolicies(
  token: AccessToken,
  policies: readonly Policy[],
  request?: RequestLike,
  setHeader?: ResponseHeaderSetter,
): undefined | Promise<void> {
  for (let i = 0; i < policies.length; i++) {
    const outcome = runOne(policies[i] as Policy, token, request, setHeader);
    if (isThenable(outcome)) {
      return finishPolicies(outcome, token, policies.slice(i + 1), request, setHeader);
    }
  }
  return undefined;
}

/** One policy: a {@link RouteRequirement} with the request when there is one. */
function runOne(
  policy: Policy,
  token: AccessToken,
  request: RequestLike | undefined,
  setHeader: ResponseHeaderSetter | undefined,
): unknown {
  const forRequest = request === undefined ? undefined : forRequestOf(policy);
  return forRequest === undefined
    ? policy(token)
    : forRequest(token, request as RequestLike, setHeader);
}

async function finishPolicies(
  pending: PromiseLike<unknown>,
  token: AccessToken,
  rest: readonly Policy[],
  request: RequestLike | undefined,
  setHeader: ResponseHeaderSetter | undefined,
): Promise<void> {
  await pending;
  for (const policy of rest) await runOne(policy, token, request, setHeader);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
