/**
 * `authenticate()`: turns an Express request into core's `RequestLike`, verifies it and sets
 * `req.auth`. A cache hit is answered synchronously; every decision about the token is core's.
 */
import type { Request, RequestHandler, Response } from 'express';
import {
  createVerifier,
  MissingTokenError,
  type AccessToken,
  type Verifier,
  type VerifierOptions,
  type VerifyContext,
} from '@tokenward/core';
import {
  bindingContext,
  routeContexts,
  usesBindingContext,
  verifyRequestFromCache,
} from '@tokenward/core/internal';
import './augment';
import { routeTemplate } from './route-template';
import { fail, setRequestState, type ErrorHandling, type RequestState } from './request-state';

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
  const shared = getToken && {
    getToken: (request: unknown) => getToken(request as Request),
  };
  // The route template, for the audit event: known when authenticate() is route-level middleware
  // (`app.get('/x/:id', authenticate(), …)`), not when it runs before routing (`app.use`).
  // Without DPoP a route's context is the same for every request on it: made once per route.
  // With DPoP, each request's context also carries the public origin Express derived under its
  // trust-proxy setting and a setter for a fresh DPoP-Nonce on the response.
  const perRequest = usesBindingContext(resolved);
  const routeContext = routeContexts(shared);
  const contextOf = (req: Request, res: Response): VerifyContext | undefined => {
    const route = routeTemplate(req);
    const base = routeContext(route);
    if (!perRequest) return base;
    return bindingContext(resolved, req, base, (name, value) => void res.setHeader(name, value));
  };

  // Not an `async` function: Express 5 would attach its own handlers to the returned promise,
  // one more promise per request for nothing (failures are all handled here).
  return (req, res, next) => {
    setRequestState(req, res, state);
    // Express's request already has the RequestLike shape: method, url, headers, and the
    // parsed query and body (when a body parser ran) for the opt-in token locations.
    // A token verified before is answered synchronously: no promise, no extra event-loop job.
    const context = contextOf(req, res);
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
