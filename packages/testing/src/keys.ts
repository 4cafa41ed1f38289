/**
 * Key generation for the test issuer: a signing key (or HMAC secret) for the issuer and an
 * encryption key pair for the resource server, each with a `kid` (RFC 7638 thumbprint) and the
 * JWK metadata (`alg`, `use`) verifiers select keys by.
 */
import {
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };

const generateKeyPair = promisify(generateKeyPairCallback);

/** Signature algorithms the test issuer can sign with. */
export type TestSigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';

/** Key management algorithms the test issuer can encrypt with (RSA or P-256 keys). */
export type TestKeyManagementAlgorithm =
  'RSA-OAEP-256' | 'RSA-OAEP' | 'ECDH-ES' | 'ECDH-ES+A128KW' | 'ECDH-ES+A256KW';

/** Signature algorithms accepted in {@link TestIssuerOptions.signingAlgorithm}. */
export const TEST_SIGNING_ALGORITHMS: readonly TestSigningAlgorithm[] = [
  'RS256',
  'ES256',
  'EdDSA',
  'HS256',
];

/** Key management algorithms accepted in {@link TestIssuerOptions.keyManagementAlgorithm}. */
export const TEST_KEY_MANAGEMENT_ALGORITHMS: readonly TestKeyManagementAlgorithm[] = [
  'RSA-OAEP-256',
  'RSA-OAEP',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A256KW',
];

/** A generated asymmetric key pair with its JWKs. */
export interface GeneratedKeyPair {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK, with `kid`, `alg` and `use`. */
  readonly publicJwk: JWK;
  /** The private JWK, with `kid`, `alg` and `use`. */
  readonly privateJwk: JWK;
}

async function pairFor(alg: string): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg.startsWith('RS') || alg.startsWith('RSA-OAEP')) {
    // 2048 bits is the smallest size tokenward accepts (RFC 7518 §3.3, §4.2).
    return generateKeyPair('rsa', { modulusLength: 2048 });
  }
  if (alg === 'EdDSA') return generateKeyPair('ed25519');
  return generateKeyPair('ec', { namedCurve: 'P-256' });
}

/** Generates a key pair for a JWS or JWE algorithm, tagged with `alg`, `use` and a thumbprint `kid`. */
export async function generateTestKeyPair(
  alg: string,
  use: 'sig' | 'enc',
): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = await pairFor(alg);
  const bare = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(bare);
  const meta = { kid, alg, use };
  return {
    kid,
    privateKey,
    publicKey: createPublicKey(privateKey),
    publicJwk: { ...bare, ...meta },
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), ...meta },
  };
}

/** A random HMAC secret of `bytes` bytes (32 for HS256, RFC 7518 §3.2). */
export function generateTestSecret(bytes = 32): Uint8Array {
  return new Uint8Array(randomBytes(bytes));
}
