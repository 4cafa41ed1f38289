/**
 * A bounded cache of completely verified tokens, so a client that reuses its access token pays for
 * decryption and signature verification once. It is safe by construction:
 *
 * - keyed by the whole token string, so an entry can only be hit by the exact bytes that were
 *   verified (nothing an attacker controls can collide with it);
 * - filled only after a complete, successful verification;
 * - an entry never outlives the token's `exp` (its TTL is capped by it), and the verifier re-checks
 *   the time-based claims on every hit, so a frozen or skewed clock cannot serve an expired token;
 * - bounded by entry count and by an estimate of the heap its entries hold (LRU eviction);
 * - an entry remembers the key that verified it: once its key source no longer holds that key (a
 *   refreshed JWK Set dropped it), a hit is refused and the entry removed, and the token is
 *   verified afresh (and fails if nothing signs it any more).
 *
 * Authorization policies, revocation and proof-of-possession checks are not cached: adapters run
 * them on every request against the cached {@link AccessToken}.
 */
import { LRUCache } from 'lru-cache';
import type { ImportedKey } from '../keys/key-input';
import type { SigningKeySource } from '../keys/key-source';
import type { AccessToken } from '../verifier/access-token';
import { estimateEntryBytes } from './entry-size';

/** The key a cached token was verified with, and the source that supplied it. */
export interface SignedWith {
  readonly source: SigningKeySource;
  readonly key: ImportedKey;
}

interface CacheEntry {
  readonly accessToken: AccessToken;
  /** Absent for an unsigned encrypted token (the decryption key vouched for it). */
  readonly signedWith: SignedWith | undefined;
  /** The token's `exp`, or `maxTtl` after it was stored if sooner, in milliseconds. */
  readonly expiresAtMs: number;
}

/**
 * When a verified token enters the cache. `'repeat'`: the second time it is verified within a
 * while (its fingerprint is remembered in a fixed table of {@link DOORKEEPER_SLOTS} slots); a
 * token seen once is never stored, so one-off tokens neither cost an insertion (and the garbage
 * collection of what it evicts) nor push out the tokens clients do reuse: the "doorkeeper" of
 * TinyLFU admission. `'always'`: the first time.
 */
export type CacheAdmission = 'repeat' | 'always';

/** Slots of the fingerprint table behind `admission: 'repeat'` (64 KiB). */
export const DOORKEEPER_SLOTS = 16_384;

/** Options of the verified-token cache (`cache` option of `createVerifier`). */
export interface TokenCacheOptions {
  /** When a verified token is stored: `'repeat'` (default) or `'always'`. See {@link CacheAdmission}. */
  admission?: CacheAdmission;
  /** Most tokens held. Default 10,000. */
  maxEntries?: number;
  /**
   * Most heap bytes the entries hold, by an estimate made once per entry when it is stored
   * (token text, plus 4.5 bytes per character of header and claims JSON and 256 bytes per entry:
   * measured at 3.4–4.4 heap bytes per JSON character with bench/micro/cache-entry-heap.mjs).
   * Default 64 MiB (64 × 1024 × 1024).
   */
  maxBytes?: number;
  /** Longest an entry lives, in seconds, even if the token's `exp` is later. Default 600. */
  maxTtl?: number;
}

/** Resolved cache bounds. */
export interface TokenCacheBounds {
  readonly admission: CacheAdmission;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxTtl: number;
}

/** Default bounds, documented in the README. */
export const DEFAULT_TOKEN_CACHE: TokenCacheBounds = Object.freeze({
  admission: 'repeat',
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxTtl: 600,
});

/** Validates the `cache` option; `false` turns the cache off. */
export function resolveTokenCacheOptions(
  option: boolean | TokenCacheOptions | undefined,
): TokenCacheBounds | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return DEFAULT_TOKEN_CACHE;
  if (typeof option !== 'object' || option === null)
    throw new TypeError('cache: expected a boolean or an options object');
  for (const key of Object.keys(option)) {
    if (key === 'maxTotalLength') {
      throw new TypeError(
        'cache.maxTotalLength: replaced by cache.maxBytes (estimated heap bytes)',
      );
    }
    if (!Object.hasOwn(DEFAULT_TOKEN_CACHE, key))
      throw new TypeError(`cache.${key}: unknown option`);
  }
  const admission = option.admission ?? DEFAULT_TOKEN_CACHE.admission;
  if (admission !== 'repeat' && admission !== 'always') {
    throw new TypeError(`cache.admission: expected 'repeat' or 'always'`);
  }
  const positive = (value: number | undefined, name: 'maxEntries' | 'maxBytes' | 'maxTtl') => {
    if (value === undefined) return DEFAULT_TOKEN_CACHE[name];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new TypeError(`cache.${name}: expected a positive integer`);
    return value;
  };
  return {
    admission,
    maxEntries: positive(option.maxEntries, 'maxEntries'),
    maxBytes: positive(option.maxBytes, 'maxBytes'),
    maxTtl: positive(option.maxTtl, 'maxTtl'),
  };
}

/** The cache itself: a thin typed wrapper over lru-cache. */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, CacheEntry>;
  private readonly maxTtlMs: number;
  /** Fingerprints of tokens verified once, for `admission: 'repeat'`; undefined for 'always'. */
  private readonly seen: Int32Array | undefined;

  constructor(bounds: TokenCacheBounds) {
    this.maxTtlMs = bounds.maxTtl * 1000;
    this.seen = bounds.admission === 'repeat' ? new Int32Array(DOORKEEPER_SLOTS) : undefined;
    this.lru = new LRUCache<string, CacheEntry>({
      max: bounds.maxEntries,
      maxSize: bounds.maxBytes,
      // The size is passed to set() (estimated once); this only guards a set() without one.
      sizeCalculation: (entry) => estimateEntryBytes(entry.accessToken),
      // No lru-cache TTLs: an entry's end (exp, or maxTtl) is compared here with the verifier's
      // own clock, which each hit reads anyway for exp/nbf. lru-cache's clock would cost a
      // performance.now() per look-up and, under load, a timer created and fired every
      // millisecond (its ttlResolution). An ended entry is removed when it is looked up, or
      // evicted by the bounds like any other.
    });
  }

  /**
   * The cached token for exactly this string, if any, while it is within its stored life at
   * `nowMs` and the key that verified it is still held by its source; an entry past its life or
   * whose key is gone is removed.
   */
  get(token: string, nowMs: number): AccessToken | undefined {
    const entry = this.lru.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.lru.delete(token);
      return undefined;
    }
    const signedWith = entry.signedWith;
    if (signedWith !== undefined && signedWith.source.holds?.(signedWith.key) === false) {
      this.lru.delete(token);
      return undefined;
    }
    return entry.accessToken;
  }

  /**
   * Offers a completely verified token: stored until its `exp` (at most `maxTtl`, measured from
   * `nowMs`) when admitted (see {@link CacheAdmission}).
   */
  set(accessToken: AccessToken, nowMs: number, signedWith?: SignedWith): void {
    const ttl = Math.min(accessToken.expiresAt.getTime() - nowMs, this.maxTtlMs);
    if (ttl <= 0 || !this.admit(accessToken.token)) return;
    this.lru.set(
      accessToken.token,
      { accessToken, signedWith, expiresAtMs: nowMs + ttl },
      { size: estimateEntryBytes(accessToken) },
    );
  }

  /**
   * Whether a token verified just now goes in: always, or (doorkeeper) when its fingerprint is
   * already in its slot, and otherwise records it. A fingerprint only ever decides whether a
   * token that passed complete verification is stored; look-ups compare the whole token, so a
   * collision can at worst store or skip a valid token early.
   */
  private admit(token: string): boolean {
    const seen = this.seen;
    if (seen === undefined) return true;
    const print = fingerprint(token);
    const slot = (print >>> 0) % DOORKEEPER_SLOTS;
    if (seen[slot] === print) return true;
    seen[slot] = print;
    return false;
  }

  /** How many tokens are held. */
  get size(): number {
    return this.lru.size;
  }
}

/**
 * A 32-bit FNV-1a hash of a token's last 32 characters: the end of a JWS signature or a JWE
 * authentication tag, which differ between any two tokens an issuer signs. Not a security
 * measure (see `admit`); never 0, the table's empty value.
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 32); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash === 0 ? 1 : hash;
}
