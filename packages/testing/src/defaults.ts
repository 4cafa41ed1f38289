/**
 * Fixed identifiers and defaults of the test issuer. The `.test` top-level domain is reserved
 * (RFC 2606 §2), so none of these names can reach a real server.
 */
import type { IssueClaims } from '@tokenward/core';

/** Issuer identifier used until the server is started (and when it never is). */
export const DEFAULT_TEST_ISSUER = 'https://issuer.tokenward.test';
/** Default `aud` of minted tokens and of `TestIssuer.verifierOptions()`. */
export const DEFAULT_TEST_AUDIENCE = 'https://api.tokenward.test';
/** The `aud` of `wrong-audience` tokens. */
export const WRONG_AUDIENCE = 'https://other-api.tokenward.test';
/** The `iss` of `wrong-issuer` tokens. */
export const WRONG_ISSUER = 'https://untrusted-issuer.tokenward.test';

/** Default token lifetime in seconds: short, as RFC 9068 §5 recommends for access tokens. */
export const DEFAULT_TEST_LIFETIME = 300;

/** Claims every token gets unless the issuer options or a call override them. */
export const DEFAULT_TEST_CLAIMS: Readonly<IssueClaims> = Object.freeze({
  sub: 'test-user',
  client_id: 'test-client',
});
