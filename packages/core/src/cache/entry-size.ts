/**
 * The heap a verified-token cache entry holds, estimated once when it is stored, so the cache's
 * `maxBytes` bound counts memory rather than token characters (a claims object parsed from JSON
 * takes several times its text in heap).
 *
 * Measured with bench/micro/cache-entry-heap.mjs (Node 20, x64): 3.4 heap bytes per JSON
 * character of header + claims for a 230-character claims set, 4.4 for a 960-character one with
 * 30 roles, Sets and Dates included. The estimate takes {@link HEAP_BYTES_PER_JSON_CHAR} = 4.5
 * plus {@link ENTRY_OVERHEAD_BYTES}, so it errs on the side of holding less.
 */
import type { AccessToken } from '../verifier/access-token';

/** Heap bytes per character of the entry's header and claims JSON (measured, rounded up). */
export const HEAP_BYTES_PER_JSON_CHAR = 4.5;
/** Fixed bytes per entry: the AccessToken object, its Dates and the LRU node. */
export const ENTRY_OVERHEAD_BYTES = 256;

const jsonLength = (value: unknown): number => {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    // Verified claims always came from JSON; this is only a guard.
    return 0;
  }
};

/**
 * Estimates the heap bytes one cache entry holds: the token text (one byte per character, as V8
 * stores base64url strings), and its header, claims and JWE header at the measured rate.
 *
 * @param accessToken The verified token about to be stored.
 * @example
 * ```ts
 * estimateEntryBytes(accessToken) // ≈ 1,300 for a small RS256 access token
 * ```
 */
export function estimateEntryBytes(accessToken: AccessToken): number {
  const json =
    jsonLength(accessToken.claims) +
    jsonLength(accessToken.header) +
    (accessToken.encryption === undefined ? 0 : jsonLength(accessToken.encryption));
  return Math.ceil(
    ENTRY_OVERHEAD_BYTES + accessToken.token.length + HEAP_BYTES_PER_JSON_CHAR * json,
  );
}
