/**
 * The resource server's own decryption keys (`decryptionKeys`), several at once so keys can be
 * rotated, chosen by the JWE `kid` or, without one, by what fits the JWE `alg`.
 */
import type { KeyObject } from 'node:crypto';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { SYMMETRIC_KEY_BYTES, jwkCurveOf, keyFitsKeyManagement } from '../lib/algorithms';
import {
  importPrivateKey,
  isJWKSet,
  isKeyObject,
  type ImportedKey,
  type JSONWebKeySet,
  type NamedKey,
} from './key-input';

/** One decryption key: a private JWK / JWK Set, PKCS#8 PEM text, a KeyObject, raw secret bytes, or any of these with a `kid`. */
export type DecryptionKeyInput =
  JWK | JSONWebKeySet | string | KeyObject | Uint8Array | NamedKey<string | KeyObject | Uint8Array>;

/** At most this many keys are tried on a JWE without `kid` (documented in the README). */
export const MAX_DECRYPTION_CANDIDATES = 3;

/** What decryption-key selection reads from the JWE protected header. */
export interface DecryptionKeySelector {
  readonly alg: string;
  readonly enc: string;
  readonly kid: string | undefined;
  /** `epk.crv` for ECDH-ES, so only keys on the sender's curve are tried. */
  readonly crv: string | undefined;
}

function isNamedKey(value: unknown): value is NamedKey<string | KeyObject | Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kid' in value &&
    'key' in value &&
    !('kty' in value)
  );
}

/** Parses the `decryptionKeys` option. */
export function importDecryptionKeys(
  input: DecryptionKeyInput | readonly DecryptionKeyInput[],
): ImportedKey[] {
  const inputs: readonly DecryptionKeyInput[] = Array.isArray(input)
    ? input
    : [input as DecryptionKeyInput];
  const keys: ImportedKey[] = [];
  inputs.forEach((item, index) => {
    const option = Array.isArray(input) ? `decryptionKeys[${index}]` : 'decryptionKeys';
    if (isJWKSet(item)) {
      for (const jwk of item.keys) {
        if (jwk.use !== undefined && jwk.use !== 'enc') continue;
        keys.push(importPrivateKey(jwk, `${option} (kid ${JSON.stringify(jwk.kid ?? null)})`));
      }
    } else if (isNamedKey(item)) {
      if (typeof item.kid !== 'string' || item.kid === '')
        throw new TypeError(`${option}.kid: must be a non-empty string`);
      keys.push(importPrivateKey(item.key, option, item.kid));
    } else {
      if (typeof item === 'object' && !isKeyObject(item) && !(item instanceof Uint8Array)) {
        const jwk = item as JWK;
        if (jwk.use !== undefined && jwk.use !== 'enc') {
          throw new TypeError(
            `${option}: the JWK has "use": "${jwk.use}"; decryption keys need "use": "enc" or none`,
          );
        }
      }
      keys.push(importPrivateKey(item as JWK | string | KeyObject | Uint8Array, option));
    }
  });
  if (keys.length === 0) throw new TypeError('decryptionKeys: no usable decryption key');
  return keys;
}

/** Whether a key can serve the JWE header's algorithm (type, curve and length). */
function fits(key: ImportedKey, selector: DecryptionKeySelector): boolean {
  if (
    key.alg !== undefined &&
    key.alg !== selector.alg &&
    !(selector.alg === 'dir' && key.alg === selector.enc)
  )
    return false;
  if (key.key.type === 'secret') {
    const wanted =
      selector.alg === 'dir'
        ? SYMMETRIC_KEY_BYTES[selector.enc]
        : SYMMETRIC_KEY_BYTES[selector.alg];
    return wanted !== undefined && key.key.symmetricKeySize === wanted;
  }
  if (!keyFitsKeyManagement(key.key, selector.alg)) return false;
  return !selector.alg.startsWith('ECDH-ES') || jwkCurveOf(key.key) === selector.crv;
}

/**
 * Chooses the keys to try for a JWE: with a `kid`, only keys of that `kid` (or keys without a
 * `kid`); without one, the first {@link MAX_DECRYPTION_CANDIDATES} keys whose type fits `alg`.
 */
export function selectDecryptionKeys(
  keys: readonly ImportedKey[],
  selector: DecryptionKeySelector,
): ImportedKey[] {
  const pool =
    selector.kid === undefined
      ? keys
      : keys.filter((key) => key.kid === undefined || key.kid === selector.kid);
  return pool.filter((key) => fits(key, selector)).slice(0, MAX_DECRYPTION_CANDIDATES);
}
