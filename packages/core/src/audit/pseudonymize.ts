/**
 * Keyed pseudonyms for the audit trail: HMAC-SHA-256 under the operator's key, so an event links
 * a subject's decisions together without naming the subject. A bare hash would not do: user ids
 * and client ids are few and guessable, and a hash of each guess would reverse it.
 */
import { createHmac, createSecretKey, KeyObject } from 'node:crypto';

/** The shortest accepted key, in bytes (the HMAC-SHA-256 output size, RFC 2104 §3). */
export const MIN_PSEUDONYMIZATION_KEY_BYTES = 32;

/** Turns an identifier into its pseudonym: 22 base64url characters (132 bits of the HMAC). */
export type Pseudonymizer = (kind: 'sub' | 'client' | 'jti', value: string) => string;

/**
 * Validates `key` and returns the pseudonymizer it keys.
 *
 * The kind is part of the MAC input, so a subject and a client with the same id get different
 * pseudonyms (no cross-field linking).
 *
 * @param key At least 32 bytes: a string (its UTF-8 bytes), bytes, or a secret KeyObject.
 * @throws TypeError naming `audit.pseudonymizationKey`.
 * @example
 * ```ts
 * const pseudonym = createPseudonymizer(process.env.AUDIT_PSEUDONYM_KEY!)
 * pseudonym('sub', 'alice') // 'Qm9…' (22 characters)
 * ```
 */
export function createPseudonymizer(key: string | Uint8Array | KeyObject): Pseudonymizer {
  const secret = toSecretKey(key);
  return (kind, value) =>
    createHmac('sha256', secret)
      .update(kind)
      .update('\0')
      .update(value)
      .digest('base64url')
      .slice(0, 22);
}

function toSecretKey(key: unknown): KeyObject {
  const option = 'audit.pseudonymizationKey';
  let secret: KeyObject;
  if (key instanceof KeyObject) {
    if (key.type !== 'secret') throw new TypeError(`${option}: expected a secret KeyObject`);
    secret = key;
  } else if (typeof key === 'string' || key instanceof Uint8Array) {
    secret = createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
  } else {
    throw new TypeError(`${option}: expected a string, bytes or a secret KeyObject`);
  }
  if ((secret.symmetricKeySize ?? 0) < MIN_PSEUDONYMIZATION_KEY_BYTES) {
    throw new TypeError(`${option}: must be at least ${MIN_PSEUDONYMIZATION_KEY_BYTES} bytes`);
  }
  return secret;
}
