/**
 * Shared test set-up: a test issuer (ES256 signing, ECDH-ES encryption to the API: fast to
 * generate) and a Nest app listening on 127.0.0.1, port 0.
 */
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { createVerifier } from '@tokenward/core';

export function testIssuer(): Promise<TestIssuer> {
  return createTestIssuer({ signingAlgorithm: 'ES256', keyManagementAlgorithm: 'ECDH-ES+A256KW' });
}

/** Compiles a module from `metadata`, starts it on 127.0.0.1:0 and returns it with its base URL. */
export async function startApp(
  metadata: ModuleMetadata,
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

/** The bare challenge of a request without a token (RFC 6750 §3.1). */
export const BARE_CHALLENGE = 'Bearer realm="api"';

/**
 * passport-jwt's extractors, re-exported from here because its types are a dev dependency of
 * this package (cross-package tests under test/ import them through this file).
 */
export { ExtractJwt } from 'passport-jwt';

/**
 * The DPoP nonce an instance with the same `secret` issued `ageMs` ago (its 401 carries it), for
 * tests of a nonce from the previous step.
 */
export async function nonceIssuedAgo(
  issuer: TestIssuer,
  secret: string,
  ageMs: number,
): Promise<string> {
  const other = createVerifier(issuer.verifierOptions({ dpop: { nonce: { secret } } }));
  const refusal = (await other
    .verifyRequest({ headers: {} }, { currentDate: new Date(Date.now() - ageMs) })
    .catch((e: unknown) => e)) as { headers: Record<string, string> };
  return refusal.headers['DPoP-Nonce'] as string;
}
