/**
 * Policy middlewares: each runs a core policy on `req.auth` and presents a failure as the verifier
 * that authenticated the request presents its own (realm, terse descriptions, onRejection hook).
 */
import type { RequestHandler } from 'express';
import {
  MissingTokenError,
  requireAnyRole as anyRolePolicy,
  requireAnyScope as anyScopePolicy,
  requireBinding as bindingPolicy,
  requireClaim as claimPolicy,
  requireRoles as rolesPolicy,
  requireScopes as scopesPolicy,
  runPolicies,
  TokenwardError,
  type AccessToken,
  type ClaimPath,
  type Policy,
} from '@tokenward/core';
import { presentRejection, runRouteStep } from '@tokenward/core/internal';
import './augment';
import { routeTemplate } from './route-template';
import { fail, requestStateOf, UNAUTHENTICATED } from './request-state';

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
    const authenticated = requestStateOf(req, res);
    const state = authenticated ?? UNAUTHENTICATED;
    // runRouteStep presents a failure as the verifier presents its own (realm, terse
    // descriptions, onRejection hook) and records the decision on its audit trail.
    const failed = (error: unknown): void => fail(error, state, res, next);
    // For route requirements that answer with headers (a rate limit's RateLimit fields).
    const setHeader = (name: string, value: string): void => void res.setHeader(name, value);
    let pending: Promise<void> | undefined;
    try {
      if (req.auth === undefined) {
        const missing = new MissingTokenError(
          authenticated === undefined
            ? 'the request was not authenticated: mount authenticate() before this middleware'
            : undefined,
        );
        throw state.verifier !== undefined
          ? presentRejection(state.verifier, missing, req, { route: routeTemplate(req) })
          : missing.withRealm(state.realm);
      }
      if (state.verifier !== undefined) {
        pending = runRouteStep(
          state.verifier,
          req.auth,
          policies,
          req,
          routeTemplate(req),
          setHeader,
        );
      } else {
        // `req.auth` set by something other than authenticate(): the policies still hold it to
        // every requirement (there is no verifier to present or record the decision).
        pending = runPolicies(req.auth, policies, req, setHeader)?.catch((error: unknown) => {
          throw error instanceof TokenwardError ? error.withRealm(state.realm) : error;
        });
      }
    } catch (error) {
      failed(
        error instanceof TokenwardError && state.verifier === undefined
          ? error.withRealm(state.realm)
          : error,
      );
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
 * Requires a sender-constrained token on this route (401 `invalid_token` otherwise): bound to a
 * DPoP key or a client certificate, whose proof the verifier checked.
 *
 * @example `router.post('/payments', requireBinding('dpop'), handler)`
 */
export function requireBinding(...schemes: Array<'dpop' | 'mtls'>): RequestHandler {
  return authorize(bindingPolicy(...schemes));
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
