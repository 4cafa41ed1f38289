/**
 * A small token minting helper for the claims, presets, bearer and policy tests.
 *
 * It signs with jose's `CompactSign` directly (not tokenward's `createIssuer`) so a test can put
 * anything in the header and the claims — a wrong `typ`, a string `exp`, raw JSON text such as
 * `1e400` — and check that the verifier rejects it. One RS256 key pair is generated per test file.
 */
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createVerifier, type Verifier, type VerifierOptions } from '@tokenward/core';

// The clock, issuer, audience, claims and rejection helpers are shared with the JWS/JWE tests.
export { AUDIENCE, claims, ISSUER, NOW, NOW_S, rejection } from './keys';
import { AUDIENCE, ISSUER } from './keys';

export const KID = 'test-key-1';

interface TestKey {
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly publicJwk: JWK;
}

let keyPromise: Promise<TestKey> | undefined;

/** The RS256 key pair of this test file, generated once. */
export function testKey(): Promise<TestKey> {
  keyPromise ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    return { privateKey, publicJwk };
  })();
  return keyPromise;
}

/** Protected header fields; `typ: undefined` leaves `typ` out. */
export type MintHeader = Record<string, unknown>;

/**
 * Signs `payload` (an object, serialised with `JSON.stringify`, or raw JSON text used verbatim)
 * with the test key. The header defaults to `{ alg: 'RS256', kid, typ: 'at+jwt' }`; keys set to
 * `undefined` in `header` are removed.
 */
export async function mint(
  payload: Record<string, unknown> | string,
  header: MintHeader = {},
): Promise<string> {
  const { privateKey } = await testKey();
  const merged: Record<string, unknown> = { alg: 'RS256', kid: KID, typ: 'at+jwt', ...header };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new CompactSign(new TextEncoder().encode(text))
    .setProtectedHeader(merged as { alg: string })
    .sign(privateKey);
}

/** A verifier trusting the test key, for {@link ISSUER} and {@link AUDIENCE} unless overridden. */
export async function verifier(options: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const { publicJwk } = await testKey();
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: publicJwk, ...options });
}
