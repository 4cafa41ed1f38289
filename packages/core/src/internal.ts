/**
 * @tokenward/core/internal — entry points for tokenward's own adapters (@tokenward/express,
 * @tokenward/nest). For first-party adapters; not covered by semver: names and signatures may
 * change in any release.
 */
export { presentRejection, runRouteStep, verifyRequestFromCache } from './verifier/sync-path';
export type { RejectionPlace } from './verifier/sync-path';
