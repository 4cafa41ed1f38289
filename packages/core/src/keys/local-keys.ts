/**
 * Signing keys given in the options: public keys (`keys`) or an HMAC `secret`.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { HMAC_JWS_ALGORITHMS, HMAC_MIN_SECRET_BYTES, keyFitsJWSAlgorithm } from '../lib/algorithms';
import {
  importPublicKey,
  isJWKSet,
  isKeyObject,
  type ImportedKey,
  type JSONWebKeySet,
} from './key-input';
import { MAX_KEY_CANDIDATES, type KeySelector, type SigningKeySource } from './key-source';

/** Public verification keys in any of the forms tokenward accepts. */
export type PublicKeyInput = JWK | JSONWebKeySet | string | KeyObject;

/** Whether a key may be used for `alg` according to its own JWK metadata (`alg`, `use`, `key_ops`). */
function matchesSelector(key: ImportedKey, selector: KeySelector): boolean {
  if (key.kid !== undefined && selector.kid !== undefined && key.kid !== selector.kid) return false;
  if (key.alg !== undefined && key.alg !== selector.alg) return false;
  if (key.key.type === 'secret') return selector.alg.startsWith('HS');
  return keyFitsJWSAlgorithm(key.key, selector.alg);
}

/** Chooses candidate keys for a header from a fixed list, bounded by {@link MAX_KEY_CANDIDATES}. */
export function selectKeys(keys: readonly ImportedKey[], selector: KeySelector): ImportedKey[] {
  const named = selector.kid === undefined ? [] : keys.filter((k) => k.kid === selector.kid);
  // A token naming a kid only reaches keys with that kid, or keys that have no kid at all
  // (a PEM key, say); a kid never reaches a key registered under another kid.
  const pool = named.length > 0 ? named : keys;
  return pool.filter((key) => matchesSelector(key, selector)).slice(0, MAX_KEY_CANDIDATES);
}

/** Parses the `keys` option into imported public keys, skipping JWK Set members not meant for signatures. */
export function importVerificationKeys(
  input: PublicKeyInput | readonly PublicKeyInput[],
): ImportedKey[] {
  const inputs = Array.isArray(input) ? input : [input];
  const keys: ImportedKey[] = [];
  inputs.forEach((item: PublicKeyInput, index) => {
    const option = Array.isArray(input) ? `keys[${index}]` : 'keys';
    if (isJWKSet(item)) {
      for (const jwk of item.keys) {
        // A JWK Set may also publish encryption keys; those are not signature keys.
        if (jwk.use !== undefined && jwk.use !== 'sig') continue;
        if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) continue;
        if (jwk.kty === 'oct') {
          throw new TypeError(
            `${option}: a JWK Set for signatures must not hold symmetric (oct) keys; use the secret option`,
          );
        }
        keys.push(importPublicKey(jwk, `${option} (kid ${JSON.stringify(jwk.kid ?? null)})`));
      }
    } else {
      if (typeof item === 'object' && !isKeyObject(item)) {
        const jwk = item as JWK;
        if (jwk.use !== undefined && jwk.use !== 'sig') {
          throw new TypeError(
            `${option}: the JWK has "use": "${jwk.use}"; signature keys need "use": "sig" or none`,
          );
        }
        // RFC 7517 §4.3: key_ops lists what the key is for; a lone key is refused, as above.
        if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) {
          throw new TypeError(
            `${option}: the JWK has "key_ops" without "verify"; it is not a signature verification key`,
          );
        }
      }
      keys.push(importPublicKey(item as JWK | string | KeyObject, option));
    }
  });
  if (keys.length === 0) throw new TypeError('keys: no usable signature verification key');
  return keys;
}

/** A key source over a fixed list of keys. */
export function createLocalKeySource(keys: readonly ImportedKey[]): SigningKeySource {
  return { getKeys: (selector) => selectKeys(keys, selector) };
}

/** The HMAC algorithms a secret is long enough for (RFC 7518 §3.2: at least the hash size). */
export function hmacAlgorithmsFor(secretBytes: number): string[] {
  return HMAC_JWS_ALGORITHMS.filter((alg) => secretBytes >= HMAC_MIN_SECRET_BYTES[alg]);
}

/** Imports the `secret` option, refusing secrets shorter than the smallest HMAC hash. */
export function importSecret(secret: string | Uint8Array | KeyObject): ImportedKey {
  let key: KeyObject;
  if (typeof secret === 'string') key = createSecretKey(Buffer.from(secret, 'utf8'));
  else if (secret instanceof Uint8Array) key = createSecretKey(secret);
  else if (secret?.type === 'secret') key = secret;
  else throw new TypeError('secret: expected a string, Uint8Array or secret KeyObject');
  if (key.symmetricKeySize === undefined || key.symmetricKeySize < HMAC_MIN_SECRET_BYTES.HS256) {
    throw new TypeError(
      `secret: must be at least ${HMAC_MIN_SECRET_BYTES.HS256} bytes for HS256 (RFC 7518 §3.2), got ${key.symmetricKeySize ?? 0}`,
    );
  }
  return { kid: undefined, alg: undefined, key };
}
