/**
 * @tokenward/testing — a test and development issuer: keys, token minting (signed, nested and
 * deliberately invalid), and JWKS plus discovery served on 127.0.0.1.
 */
export {
  createTestIssuer,
  DEFAULT_TEST_ISSUER,
  DEFAULT_TEST_AUDIENCE,
  WRONG_AUDIENCE,
  WRONG_ISSUER,
  INVALID_TOKEN_KINDS,
} from './test-issuer';
export type {
  TestIssuer,
  TestIssuerOptions,
  TestTokenOptions,
  InvalidTokenOptions,
  InvalidTokenKind,
} from './test-issuer';
export { TEST_SIGNING_ALGORITHMS, TEST_KEY_MANAGEMENT_ALGORITHMS } from './keys';
export type { TestSigningAlgorithm, TestKeyManagementAlgorithm } from './keys';
export { JWKS_PATH, OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH } from './server';
export type { TestIssuerRequestCounts } from './server';
