/**
 * Serves the verifier's OAuth 2.0 Protected Resource Metadata (RFC 9728 §3) at its well-known
 * URL. The document is built once, when the middleware is created; the path is matched exactly.
 */
import type { RequestHandler } from 'express';
import { protectedResourceMetadataResponse, type Verifier } from '@tokenward/core';

/** Options of {@link protectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /**
   * `scopes_supported`: the scopes the API's routes require (the names given to
   * `requireScopes` and `requireAnyScope`). Express cannot list them for the middleware, so
   * name them here. Default: the member is left out.
   */
  scopes?: readonly string[];
  /** `resource_name`: a human-readable name of the API. */
  resourceName?: string;
  /** `resource_documentation`: an https URL of the API's developer documentation. */
  resourceDocumentation?: string;
  /** Seconds clients and caches may keep the document (`Cache-Control: max-age`). Default 3600. */
  maxAge?: number;
}

/**
 * Creates middleware answering `GET` and `HEAD` of the verifier's protected resource metadata
 * URL (`/.well-known/oauth-protected-resource` followed by the path of its `resource` option,
 * RFC 9728 §3.1) with the metadata document (`application/json`). Every other request, including
 * the same path with a query, another case, a trailing or doubled slash or dot segments, goes on
 * to the next handler (the application's 404): one resource's document is never served for
 * another's URL. Mount it before anything that requires a token: the document is public.
 *
 * @param verifier A verifier from `createVerifier` with the `resource` option.
 * @param options Scopes, name, documentation URL and cache lifetime.
 * @throws TypeError when the verifier has no `resource`, or an option is invalid (at start-up).
 * @example
 * ```ts
 * const verifier = createVerifier({ ...options, resource: 'https://api.example.com' })
 * app.use(protectedResourceMetadata(verifier, { scopes: ['messages:read', 'messages:write'] }))
 * app.get('/messages', authenticate(verifier), requireScopes('messages:read'), list)
 * ```
 */
export function protectedResourceMetadata(
  verifier: Verifier,
  options: ProtectedResourceMetadataOptions = {},
): RequestHandler {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('protectedResourceMetadata: expected an options object');
  }
  const response = protectedResourceMetadataResponse(verifier, {
    ...(options.scopes !== undefined && { scopesSupported: options.scopes }),
    ...(options.resourceName !== undefined && { resourceName: options.resourceName }),
    ...(options.resourceDocumentation !== undefined && {
      resourceDocumentation: options.resourceDocumentation,
    }),
    ...(options.maxAge !== undefined && { maxAge: options.maxAge }),
  });
  const { path, headers } = response;
  const body = Buffer.from(response.body, 'utf8');
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // The raw request target, before any mount point or router rewrote it: Express matches
    // paths case-insensitively and ignores a trailing slash; this does neither.
    if (req.originalUrl !== path) return next();
    res.status(200);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader('Content-Length', String(body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
