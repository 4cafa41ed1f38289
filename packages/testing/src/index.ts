/**
 * @tokenward/testing — a test and development issuer: keys, token minting (signed, nested and
 * deliberately invalid), and JWKS plus discovery served on 127.0.0.1.
 */
export { createTestIssuer } from './test-issuer';
export type { TestIssuer } from './test-issuer';
export {
  DEFAULT_TEST_ISSUER,
  DEFAULT_TEST_AUDIENCE,
  WRONG_AUDIENCE,
  WRONG_ISSUER,
} from './defaults';
export type { TestIssuerOptions, TestTokenOptions, InvalidTokenOptions } from './options';
export { INVALID_TOKEN_KINDS } from './invalid-tokens';
export type { InvalidTokenKind } from './invalid-tokens';
export { TEST_SIGNING_ALGORITHMS, TEST_KEY_MANAGEMENT_ALGORITHMS } from './keys';
export type { TestSigningAlgorithm, TestKeyManagementAlgorithm } from './keys';
export { JWKS_PATH, OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH } from './server';
export type { TestIssuerRequestCounts } from './server';
export { createDPoPKey, createDPoPProof, dpopHeaders } from './dpop';
export type { DPoPTestAlgorithm, DPoPTestKey, DPoPProofOptions, DPoPRequestHeaders } from './dpop';
