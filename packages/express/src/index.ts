/**
 * @tokenward/express — Express middleware (4.21+ and 5): verify (and decrypt) OAuth 2.0 access
 * tokens, set `req.auth`, check scopes, roles and claims, and answer failures per RFC 6750.
 */
import './augment';

export { authenticate } from './authenticate';
export type { AuthenticateOptions } from './authenticate';
export {
  authorize,
  requireScopes,
  requireAnyScope,
  requireRoles,
  requireAnyRole,
  requireClaim,
  requireBinding,
} from './authorize';
export { rateLimit } from './rate-limit';
export { allowFrom } from './allow-from';
export { tokenwardErrorHandler } from './request-state';
export { closeGracefully } from './shutdown';
export type { CloseGracefullyOptions } from './shutdown';
export type { ErrorHandling } from './request-state';
export { protectedResourceMetadata } from './resource-metadata';
export type { ProtectedResourceMetadataOptions } from './resource-metadata';
