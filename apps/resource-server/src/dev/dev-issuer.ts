/**
 * The embedded dev issuer: @tokenward/testing's test issuer with keys generated at start-up, so
 * the sample runs with no authorization server. Never used when NODE_ENV=production.
 */
import type { VerifierOptions } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

/** `iss` of dev tokens. */
export const DEV_ISSUER_ID = 'urn:tokenward:dev-issuer';
/** `aud` of dev tokens: this API. */
export const DEV_AUDIENCE = 'urn:tokenward:messages-api';

/** The dev issuer and the verifier options that accept its tokens. */
export interface DevIssuer {
  readonly issuer: TestIssuer;
  readonly verifierOptions: VerifierOptions;
}

/**
 * Generates the dev keys (ES256 signing, ECDH-ES+A256KW encryption to this API).
 *
 * @param issuerId The `iss` of its tokens; each tenant's dev issuer has its own.
 */
export async function createDevIssuer(issuerId: string = DEV_ISSUER_ID): Promise<DevIssuer> {
  const issuer = await createTestIssuer({
    issuer: issuerId,
    audience: DEV_AUDIENCE,
    signingAlgorithm: 'ES256',
    keyManagementAlgorithm: 'ECDH-ES+A256KW',
    expiresIn: 3600,
    defaultClaims: { sub: 'dev-user', client_id: 'dev-cli' },
  });
  return { issuer, verifierOptions: issuer.verifierOptions({ realm: 'messages' }) };
}
