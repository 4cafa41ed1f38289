/**
 * @tokenward/core/internal — entry points for tokenward's own adapters (@tokenward/express,
 * @tokenward/nest). For first-party adapters; not covered by semver: names and signatures may
 * change in any release.
 */
export {
  bindingContext,
  presentRejection,
  runRouteStep,
  verifyRequestFromCache,
} from './verifier/sync-path';
export { frameworkOrigin } from './http/public-origin';
export type { FrameworkRequest } from './http/public-origin';
export type { RejectionPlace } from './verifier/sync-path';
