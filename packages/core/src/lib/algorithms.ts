/**
 * Algorithm allowlists and the key each algorithm needs. Binding an algorithm to a key type is
 * what stops key-confusion attacks (an RSA public key used as an HMAC secret, RFC 8725 §2.1).
 */
import type { KeyObject } from 'node:crypto';

/** Asymmetric JWS algorithms tokenward verifies. */
export const ASYMMETRIC_JWS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** HMAC JWS algorithms, only ever allowed with a configured `secret`. */
export const HMAC_JWS_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** JWE key management algorithms tokenward can decrypt (never RSA1_5 or PBES2). */
export const KEY_MANAGEMENT_ALGORITHMS = [
  'RSA-OAEP',
  'RSA-OAEP-256',
  'RSA-OAEP-384',
  'RSA-OAEP-512',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A192KW',
  'ECDH-ES+A256KW',
  'A128KW',
  'A192KW',
  'A256KW',
  'A128GCMKW',
  'A192GCMKW',
  'A256GCMKW',
  'dir',
] as const;

/** JWE content encryption algorithms tokenward can decrypt. */
export const CONTENT_ENCRYPTION_ALGORITHMS = [
  'A128GCM',
  'A192GCM',
  'A256GCM',
  'A128CBC-HS256',
  'A192CBC-HS384',
  'A256CBC-HS512',
] as const;

/** A JWS algorithm name tokenward supports. */
export type JWSAlgorithm =
  (typeof ASYMMETRIC_JWS_ALGORITHMS)[number] | (typeof HMAC_JWS_ALGORITHMS)[number];
/** A JWE `alg` value tokenward supports. */
export type KeyManagementAlgorithm = (typeof KEY_MANAGEMENT_ALGORITHMS)[number];
/** A JWE `enc` value tokenward supports. */
export type ContentEncryptionAlgorithm = (typeof CONTENT_ENCRYPTION_ALGORITHMS)[number];

/** Algorithms refused even when listed in options: they are unsafe for access tokens. */
export const FORBIDDEN_KEY_MANAGEMENT = /^(RSA1_5|PBES2-.*|none)$/i;

/** Minimum HMAC secret length in bytes per algorithm: the hash output size (RFC 7518 §3.2). */
export const HMAC_MIN_SECRET_BYTES: Record<(typeof HMAC_JWS_ALGORITHMS)[number], number> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
};

/** Symmetric key length in bytes each symmetric key management or `dir` content algorithm needs. */
export const SYMMETRIC_KEY_BYTES: Record<string, number> = {
  A128KW: 16,
  A192KW: 24,
  A256KW: 32,
  A128GCMKW: 16,
  A192GCMKW: 24,
  A256GCMKW: 32,
  A128GCM: 16,
  A192GCM: 24,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A192CBC-HS384': 48,
  'A256CBC-HS512': 64,
};

const EC_CURVE_FOR_JWS: Record<string, string> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

/** Whether an asymmetric public key can verify signatures made with `alg`. */
export function keyFitsJWSAlgorithm(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  // Only `rsa` (rsaEncryption) keys get here: RSASSA-PSS-only keys are refused on import
  // (keys/key-input.ts), so PS* verify with ordinary RSA keys.
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return type === 'rsa';
  if (alg in EC_CURVE_FOR_JWS)
    return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVE_FOR_JWS[alg];
  if (alg === 'EdDSA' || alg === 'Ed25519') return type === 'ed25519';
  return false;
}

/** Whether a private key can unwrap or agree a content key for the JWE `alg`. */
export function keyFitsKeyManagement(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RSA-OAEP')) return type === 'rsa';
  if (alg.startsWith('ECDH-ES')) return type === 'ec' || type === 'x25519';
  return false;
}

/** The curve name a JWK `crv` uses for a node:crypto key, for matching an `epk`. */
export function jwkCurveOf(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'x25519') return 'X25519';
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'prime256v1':
      return 'P-256';
    case 'secp384r1':
      return 'P-384';
    case 'secp521r1':
      return 'P-521';
    default:
      return undefined;
  }
}

/** Whether `alg` is a symmetric JWE key management algorithm (the key is a shared secret). */
export function isSymmetricKeyManagement(alg: string): boolean {
  return alg === 'dir' || /^A(128|192|256)(GCM)?KW$/.test(alg);
}
