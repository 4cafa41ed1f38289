/**
 * Key material for the test issuer: which algorithms it can generate keys for (derived from
 * `@tokenward/core`'s public allowlists, so the kit follows core), and generation of a signing key
 * (or HMAC secret) for the issuer and an encryption key pair for the resource server, each with a
 * `kid` (RFC 7638 thumbprint) and the JWK metadata (`alg`, `use`) verifiers select keys by.
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
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  HMAC_JWS_ALGORITHMS,
  KEY_MANAGEMENT_ALGORITHMS,
  type JWSAlgorithm,
  type KeyManagementAlgorithm,
} from '@tokenward/core';

const generateKeyPair = promisify(generateKeyPairCallback);

/** Signature algorithms the test issuer can sign with: every JWS algorithm core verifies. */
export type TestSigningAlgorithm = JWSAlgorithm;

/**
 * Key management algorithms the test issuer can encrypt with: core's asymmetric ones (RSA-OAEP
 * with an RSA key, ECDH-ES with a P-256 key). The symmetric ones (`dir`, `A*KW`, `A*GCMKW`) are
 * left out: with a shared key, an encrypted token without a signature is no longer a forgery.
 */
export type TestKeyManagementAlgorithm = Extract<
  KeyManagementAlgorithm,
  `RSA-OAEP${string}` | `ECDH-ES${string}`
>;

/** HMAC algorithms: the test issuer generates a secret for these instead of a key pair. */
export type TestHmacAlgorithm = (typeof HMAC_JWS_ALGORITHMS)[number];

/** Signature algorithms accepted in `TestIssuerOptions.signingAlgorithm` (core's, in core's order). */
export const TEST_SIGNING_ALGORITHMS: readonly TestSigningAlgorithm[] = [
  ...ASYMMETRIC_JWS_ALGORITHMS,
  ...HMAC_JWS_ALGORITHMS,
];

const isAsymmetricKeyManagement = (alg: string): alg is TestKeyManagementAlgorithm =>
  alg.startsWith('RSA-OAEP') || alg.startsWith('ECDH-ES');

/** Key management algorithms accepted in `TestIssuerOptions.keyManagementAlgorithm`. */
export const TEST_KEY_MANAGEMENT_ALGORITHMS: readonly TestKeyManagementAlgorithm[] =
  KEY_MANAGEMENT_ALGORITHMS.filter(isAsymmetricKeyManagement);

/** Whether `alg` signs with a shared secret (HS256/384/512) rather than a key pair. */
export function isHmacAlgorithm(alg: string): alg is TestHmacAlgorithm {
  return (HMAC_JWS_ALGORITHMS as readonly string[]).includes(alg);
}

/** A generated asymmetric key pair with its JWKs. */
export interface GeneratedKeyPair {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK, with `kid`, `alg` and `use`. */
  readonly publicJwk: JWK;
  /** The private JWK, with `kid`, `alg` and `use`. */
  readonly privateJwk: JWK;
}

// RFC 7518 §3.4: each ES algorithm names its curve.
const CURVE_FOR_ES: Record<string, string> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
};

async function pairFor(alg: string): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (/^(RS|PS)/.test(alg) || alg.startsWith('RSA-OAEP')) {
    // 2048 bits is the smallest size tokenward accepts (RFC 7518 §3.3, §4.2).
    return generateKeyPair('rsa', { modulusLength: 2048 });
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return generateKeyPair('ed25519');
  // ECDH-ES* agree on P-256; ES* sign on the curve their name fixes.
  return generateKeyPair('ec', { namedCurve: CURVE_FOR_ES[alg] ?? 'P-256' });
}

/**
 * Generates a key pair for a JWS or JWE algorithm, tagged with `alg`, `use` and a thumbprint `kid`.
 *
 * @param alg An asymmetric JWS algorithm or a {@link TestKeyManagementAlgorithm}.
 * @param use `sig` for the issuer's signing key, `enc` for the resource server's encryption key.
 * @example `const pair = await generateTestKeyPair('ES256', 'sig')`
 */
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

/**
 * A random HMAC secret as long as the algorithm's hash output (RFC 7518 §3.2).
 *
 * @param alg The HMAC algorithm the secret is for. Default `HS256` (32 bytes).
 */
export function generateTestSecret(alg: TestHmacAlgorithm = 'HS256'): Uint8Array {
  // HS256/384/512 name the hash's output size in bits; the secret is that many bits long.
  return new Uint8Array(randomBytes(Number(alg.slice(2)) / 8));
}
