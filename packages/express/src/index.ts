/**
 * @tokenward/express — Express 5 middleware: verify (and decrypt) OAuth 2.0 access tokens,
 * set `req.auth`, check scopes, roles and claims, and answer failures per RFC 6750.
 */
export {
  authenticate,
  authorize,
  requireScopes,
  requireAnyScope,
  requireRoles,
  requireAnyRole,
  requireClaim,
  tokenwardErrorHandler,
} from './middleware';
export type { AuthenticateOptions, ErrorHandling } from './middleware';
