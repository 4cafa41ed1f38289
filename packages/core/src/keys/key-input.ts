/**
 * Turns the key forms users hold (JWK, JWK Set, PEM text, KeyObject) into node:crypto KeyObjects
 * once, at construction, with a `TypeError` naming the option when a key is unusable.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  X509Certificate,
} from 'node:crypto';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { isAcceptableRSAExponent, RSA_EXPONENT_RULE } from './rsa-exponent';

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JSONWebKeySet {
  keys: JWK[];
}

/** A key given with an explicit `kid`, for PEM text or KeyObjects that carry none. */
export interface NamedKey<T> {
  kid: string;
  key: T;
}

/** A key as tokenward holds it after import: node:crypto material plus the JWK metadata. */
export interface ImportedKey {
  /** The JWK `kid`, when the key has one. */
  readonly kid: string | undefined;
  /** The JWK `alg`, when set: the only algorithm this key may be used with. */
  readonly alg: string | undefined;
  /** The key material, imported once. */
  readonly key: KeyObject;
}

/** Minimum RSA modulus size, in bits (RFC 7518 §3.3, §4.2; RFC 8725 §3.5). */
const MIN_RSA_BITS = 2048;

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** Whether a value looks like a JWK Set. */
export function isJWKSet(value: unknown): value is JSONWebKeySet {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys)
  );
}

/** Whether a value is a node:crypto KeyObject. */
export function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}

/** Whether a JWK carries private or symmetric key material. */
export function hasPrivateMembers(jwk: JWK): boolean {
  return PRIVATE_JWK_MEMBERS.some(
    (member) => (jwk as Record<string, unknown>)[member] !== undefined,
  );
}

/** Throws when an RSA key is shorter than {@link MIN_RSA_BITS} or its exponent is out of bounds. */
function assertKeyStrength(key: KeyObject, option: string): void {
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if ((bits ?? 0) < MIN_RSA_BITS) {
    throw new TypeError(`${option}: RSA keys must be at least ${MIN_RSA_BITS} bits (got ${bits})`);
  }
  // FIPS 186-5 §5.4: odd, 2^16 < e < 2^256 (keys/rsa-exponent.ts says why each side matters;
  // Wycheproof json_web_key_test "rejectsPublicExponent1" is the e = 1 case). A remote set
  // skips such a key like any other it cannot use.
  const e = key.asymmetricKeyDetails?.publicExponent;
  if (e !== undefined && !isAcceptableRSAExponent(e)) {
    throw new TypeError(`${option}: ${RSA_EXPONENT_RULE}`);
  }
}

/** Imports a public verification key from a JWK, PEM SPKI or certificate text, or a KeyObject. */
export function importPublicKey(input: JWK | string | KeyObject, option: string): ImportedKey {
  let key: KeyObject;
  let kid: string | undefined;
  let alg: string | undefined;
  try {
    if (isKeyObject(input)) {
      key = input;
    } else if (typeof input === 'string') {
      // createPublicKey() would quietly derive the public key from private key text; verifier
      // configuration holds public keys only (docs/architecture.md SD-25).
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(input)) {
        throw new TypeError('the PEM text is a private key; give the public key (SPKI) only');
      }
      key = input.includes('-----BEGIN CERTIFICATE-----')
        ? new X509Certificate(input).publicKey
        : createPublicKey(input);
    } else {
      if (hasPrivateMembers(input)) {
        throw new TypeError('a JWK with private or symmetric members; give the public key only');
      }
      kid = input.kid;
      alg = input.alg;
      key = createPublicKey({
        key: input as Parameters<typeof createPublicKey>[0] & object,
        format: 'jwk',
      } as never);
    }
  } catch (cause) {
    throw new TypeError(`${option}: not a usable public key (${(cause as Error).message})`, {
      cause,
    });
  }
  if (key.type !== 'public') {
    throw new TypeError(`${option}: expected a public key, got a ${key.type} key`);
  }
  // jose cannot verify with an RSASSA-PSS-only key (id-RSASSA-PSS SPKI), so every token would
  // fail; the same key as an ordinary RSA key (rsaEncryption) verifies PS256/384/512.
  if (key.asymmetricKeyType === 'rsa-pss') {
    throw new TypeError(
      `${option}: RSASSA-PSS-only keys (id-RSASSA-PSS) are not supported; give the key as an ordinary RSA key`,
    );
  }
  assertKeyStrength(key, option);
  return { kid, alg, key };
}

/** Imports a private or secret decryption key from a JWK, PEM PKCS#8 text, bytes or a KeyObject. */
export function importPrivateKey(
  input: JWK | string | KeyObject | Uint8Array,
  option: string,
  kidOverride?: string,
): ImportedKey {
  let key: KeyObject;
  let kid = kidOverride;
  let alg: string | undefined;
  try {
    if (isKeyObject(input)) {
      key = input;
    } else if (input instanceof Uint8Array) {
      key = createSecretKey(input);
    } else if (typeof input === 'string') {
      key = createPrivateKey(input);
    } else {
      kid ??= input.kid;
      alg = input.alg;
      const jwk = { key: input, format: 'jwk' } as never;
      key =
        input.kty === 'oct'
          ? createSecretKey(Buffer.from(String(input.k), 'base64url'))
          : createPrivateKey(jwk);
    }
  } catch (cause) {
    throw new TypeError(`${option}: not a usable private key (${(cause as Error).message})`, {
      cause,
    });
  }
  if (key.type === 'public') {
    throw new TypeError(`${option}: expected a private key, got a public key`);
  }
  assertKeyStrength(key, option);
  return { kid, alg, key };
}
