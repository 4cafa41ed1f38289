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
import type { ExternalDecryptionKey } from './external-keys';

/**
 * One decryption key: a private JWK / JWK Set, PKCS#8 PEM text, a KeyObject, raw secret bytes, or
 * any of these but a set in a {@link DecryptionKeyEntry} (`kid`, `alg`, rotation `state`); or an
 * {@link ExternalDecryptionKey} that does its private-key step outside the process.
 */
export type DecryptionKeyInput =
  | JWK
  | JSONWebKeySet
  | string
  | KeyObject
  | Uint8Array
  | NamedKey<string | KeyObject | Uint8Array>
  | DecryptionKeyEntry
  | DecryptionJWK
  | DecryptionJWKSet
  | ExternalDecryptionKey;

/** A private JWK with its rotation members (`state`, `until`), as a key file holds it. */
export type DecryptionJWK = JWK & DecryptionKeyRotation;

/** A private JWK Set whose keys may carry their rotation members. */
export interface DecryptionJWKSet {
  keys: DecryptionJWK[];
}

/**
 * Where a decryption key is in its rotation (docs/remote-keys.md):
 * - `'active'` (default): accepted, and published by `encryptionKeySet`;
 * - `'next'`: accepted, not published yet, so every instance accepts it before any issuer can
 *   pick it;
 * - `'retiring'`: accepted until its `until`, then refused without a decryption attempt
 *   (`ERR_JWE_KEY_NOT_FOUND`); never published.
 */
export type DecryptionKeyState = 'next' | 'active' | 'retiring';

/** The rotation members a decryption key may carry (on a private JWK, or in a {@link DecryptionKeyEntry}). */
export interface DecryptionKeyRotation {
  /** Default `'active'`. */
  readonly state?: DecryptionKeyState;
  /**
   * `'retiring'` only, and required there: the last moment the key is accepted, as a Date or an
   * ISO 8601 string. Compared with the server clock (not a verification's `currentDate`).
   */
  readonly until?: Date | string;
}

/** A decryption key with its metadata given beside it: for PEM text, KeyObjects and bytes, or a JWK. */
export interface DecryptionKeyEntry extends DecryptionKeyRotation {
  /** The private key (or secret bytes). */
  readonly key: JWK | string | KeyObject | Uint8Array;
  /** The key id; wins over the JWK's own. Published keys without one get their RFC 7638 thumbprint. */
  readonly kid?: string;
  /**
   * The key management algorithm this key is for (`RSA-OAEP-256`, `ECDH-ES`, …): it is then the
   * only one it decrypts with, and the `alg` it is published with. A JWK's own `alg` must agree.
   */
  readonly alg?: string;
}

/** A decryption key as the verifier holds it: the imported key and its rotation state. */
export type DecryptionKey = ImportedKey & {
  /** Absent: `'active'`. */
  readonly state?: DecryptionKeyState;
  /** `'retiring'` keys: the end of acceptance, in milliseconds since the epoch. */
  readonly until?: number;
};

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

function isNamedKey(value: unknown): value is DecryptionKeyEntry {
  return typeof value === 'object' && value !== null && 'key' in value && !('kty' in value);
}

/** Parses the `decryptionKeys` option. */
export function importDecryptionKeys(
  input: DecryptionKeyInput | readonly DecryptionKeyInput[],
): DecryptionKey[] {
  const inputs: readonly DecryptionKeyInput[] = Array.isArray(input)
    ? input
    : [input as DecryptionKeyInput];
  const keys: DecryptionKey[] = [];
  inputs.forEach((item, index) => {
    const option = Array.isArray(input) ? `decryptionKeys[${index}]` : 'decryptionKeys';
    if (isJWKSet(item)) {
      for (const jwk of item.keys) {
        if (jwk.use !== undefined && jwk.use !== 'enc') continue;
        const member = `${option} (kid ${JSON.stringify(jwk.kid ?? null)})`;
        keys.push(withRotation(importPrivateKey(jwk, member), jwk, member));
      }
    } else if (isNamedKey(item)) {
      if (item.kid !== undefined && (typeof item.kid !== 'string' || item.kid === ''))
        throw new TypeError(`${option}.kid: must be a non-empty string`);
      keys.push(withRotation(entryKey(item, option), item, option));
    } else {
      if (typeof item === 'object' && !isKeyObject(item) && !(item instanceof Uint8Array)) {
        const jwk = item as JWK;
        if (jwk.use !== undefined && jwk.use !== 'enc') {
          throw new TypeError(
            `${option}: the JWK has "use": "${jwk.use}"; decryption keys need "use": "enc" or none`,
          );
        }
      }
      const key = importPrivateKey(item as JWK | string | KeyObject | Uint8Array, option);
      keys.push(withRotation(key, item, option));
    }
  });
  if (keys.length === 0) throw new TypeError('decryptionKeys: no usable decryption key');
  assertActiveKey(keys);
  return keys;
}

/** Imports a {@link DecryptionKeyEntry}'s key with the entry's `kid` and `alg`. */
function entryKey(entry: DecryptionKeyEntry, option: string): ImportedKey {
  const imported = importPrivateKey(entry.key, option, entry.kid);
  if (entry.alg === undefined) return imported;
  if (typeof entry.alg !== 'string' || entry.alg === '') {
    throw new TypeError(`${option}.alg: must be a non-empty string`);
  }
  if (imported.alg !== undefined && imported.alg !== entry.alg) {
    throw new TypeError(
      `${option}.alg: ${JSON.stringify(entry.alg)} disagrees with the JWK's "alg" (${JSON.stringify(imported.alg)})`,
    );
  }
  return { ...imported, alg: entry.alg };
}

const KEY_STATES: ReadonlySet<unknown> = new Set(['next', 'active', 'retiring']);

/**
 * Adds the rotation members (`state`, `until`) of a key input (an entry, or a private JWK that
 * carries them: RFC 7517 §4 lets a JWK hold members others ignore) to its imported key.
 */
function withRotation(key: ImportedKey, input: unknown, option: string): DecryptionKey {
  if (typeof input !== 'object' || input === null || isKeyObject(input)) return key;
  if (input instanceof Uint8Array) return key;
  const { state, until } = input as { state?: unknown; until?: unknown };
  if (state === undefined && until === undefined) return key;
  if (state !== undefined && !KEY_STATES.has(state)) {
    throw new TypeError(`${option}.state: expected 'next', 'active' or 'retiring'`);
  }
  if (state !== 'retiring') {
    if (until !== undefined) {
      throw new TypeError(`${option}.until: only a key with state 'retiring' has an end`);
    }
    return { ...key, state: state as DecryptionKeyState };
  }
  const end =
    until instanceof Date ? until.getTime() : typeof until === 'string' ? Date.parse(until) : NaN;
  // An ISO string is required of text: Date.parse also reads locale formats it should not.
  const iso =
    typeof until !== 'string' || /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(until);
  if (!Number.isFinite(end) || !iso) {
    throw new TypeError(
      `${option}.until: a 'retiring' key needs the end of its acceptance (a Date or an ISO 8601 string)`,
    );
  }
  return { ...key, state: 'retiring', until: end };
}

/**
 * At least one key must be `active`: a set of only `next` and `retiring` keys is a rotation left
 * half done, and would publish nothing to encrypt to.
 */
function assertActiveKey(keys: readonly DecryptionKey[]): void {
  if (keys.some((key) => (key.state ?? 'active') === 'active')) return;
  throw new TypeError(
    "decryptionKeys: no key has state 'active' (a rotation switches its 'next' key to 'active' when the old one becomes 'retiring')",
  );
}

/** Whether a key may still decrypt at `nowMs`: every key but a `retiring` one past its `until`. */
function accepted(key: DecryptionKey, nowMs: number): boolean {
  return key.until === undefined || nowMs <= key.until;
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
 * A `retiring` key past its `until` (at `nowMs`, the server clock) is never chosen.
 */
export function selectDecryptionKeys(
  keys: readonly DecryptionKey[],
  selector: DecryptionKeySelector,
  nowMs: number = Date.now(),
): ImportedKey[] {
  const pool =
    selector.kid === undefined
      ? keys
      : keys.filter((key) => key.kid === undefined || key.kid === selector.kid);
  // A retired key is dropped before fitting: past its `until` it is never tried on any token.
  return pool
    .filter((key) => accepted(key, nowMs) && fits(key, selector))
    .slice(0, MAX_DECRYPTION_CANDIDATES);
}
