/**
 * @tokenward/core/internal — entry points for tokenward's own adapters (@tokenward/express,
 * @tokenward/nest). For first-party adapters; not covered by semver: names and signatures may
 * change in any release.
 */
export {
  bindingContext,
  presentRejection,
  routeContexts,
  runRouteStep,
  usesBindingContext,
  verifyRequestFromCache,
} from './verifier/sync-path';
export { clientAddressOf } from './http/client-address';
export { frameworkOrigin } from './http/public-origin';
export type { FrameworkRequest } from './http/public-origin';
export type { RejectionPlace } from './verifier/sync-path';
// The building blocks of a shared revocation list (@tokenward/redis): one local index and one
// validation of entries, so every list answers alike.
export { RevocationIndex } from './lifecycle/revocation-index';
export { normalizeRevocation } from './lifecycle/revocation-input';
export type { RevocationSettings } from './lifecycle/revocation-input';
export { revocationListSettings } from './lifecycle/memory-revocation-list';
// `tokenward explain`: the stages one verification completed, and what each established.
export { observeTokenStages, TOKEN_STAGE_NAMES } from './verifier/stage-observer';
export type {
  TokenStageName,
  TokenStageObserver,
  TokenStageReport,
} from './verifier/stage-observer';
// One stage-by-stage account for `tokenward explain` and the sample app's dev console.
export { explainStages, renderStages } from './verifier/explain-stages';
export type {
  ExplainLine,
  ExplainOutcome,
  ExplainStageStatus,
  UnverifiedView,
} from './verifier/explain-stages';
