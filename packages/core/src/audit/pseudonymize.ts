/**
 * Keyed pseudonyms for the audit trail: HMAC-SHA-256 under the operator's key, so an event links
 * a subject's decisions together without naming the subject. A bare hash would not do: user ids
 * and client ids are few and guessable, and a hash of each guess would reverse it.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import { chainKeyFrom } from './file-sink/key-input';

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
  const secret = chainKeyFrom(key, 'audit.pseudonymizationKey');
  return (kind, value) =>
    createHmac('sha256', secret)
      .update(kind)
      .update('\0')
      .update(value)
      .digest('base64url')
      .slice(0, 22);
}
