/**
 * A bounded cache of completely verified tokens, so a client that reuses its access token pays for
 * decryption and signature verification once. It is safe by construction:
 *
 * - keyed by the whole token string, so an entry can only be hit by the exact bytes that were
 *   verified (nothing an attacker controls can collide with it);
 * - filled only after a complete, successful verification;
 * - an entry never outlives the token's `exp` (its TTL is capped by it), and the verifier re-checks
 *   the time-based claims on every hit, so a frozen or skewed clock cannot serve an expired token;
 * - bounded by entry count and by total token characters (LRU eviction).
 *
 * Authorization policies, revocation and proof-of-possession checks are not cached: adapters run
 * them on every request against the cached {@link AccessToken}.
 */
import { LRUCache } from 'lru-cache';
import type { AccessToken } from '../access-token';

/** Options of the verified-token cache (`cache` option of `createVerifier`). */
export interface TokenCacheOptions {
  /** Most tokens held. Default 10,000. */
  maxEntries?: number;
  /** Most total token characters held (bounds memory with long nested tokens). Default 16 Mi. */
  maxTotalLength?: number;
  /** Longest an entry lives, in seconds, even if the token's `exp` is later. Default 600. */
  maxTtl?: number;
}

/** Resolved cache bounds. */
export interface TokenCacheBounds {
  readonly maxEntries: number;
  readonly maxTotalLength: number;
  readonly maxTtl: number;
}

/** Default bounds, documented in the README. */
export const DEFAULT_TOKEN_CACHE: TokenCacheBounds = Object.freeze({
  maxEntries: 10_000,
  maxTotalLength: 16 * 1024 * 1024,
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
  const positive = (value: number | undefined, name: keyof TokenCacheBounds) => {
    if (value === undefined) return DEFAULT_TOKEN_CACHE[name];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new TypeError(`cache.${name}: expected a positive integer`);
    return value;
  };
  return {
    maxEntries: positive(option.maxEntries, 'maxEntries'),
    maxTotalLength: positive(option.maxTotalLength, 'maxTotalLength'),
    maxTtl: positive(option.maxTtl, 'maxTtl'),
  };
}

/** The cache itself: a thin typed wrapper over lru-cache. */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, AccessToken>;
  private readonly maxTtlMs: number;

  constructor(bounds: TokenCacheBounds) {
    this.maxTtlMs = bounds.maxTtl * 1000;
    this.lru = new LRUCache<string, AccessToken>({
      max: bounds.maxEntries,
      maxSize: bounds.maxTotalLength,
      sizeCalculation: (_value, key) => Math.max(1, key.length),
      ttlAutopurge: false,
      // lru-cache's own clock only evicts; the verifier re-checks exp/nbf on every hit.
      allowStale: false,
    });
  }

  /** The cached token for exactly this string, if any. */
  get(token: string): AccessToken | undefined {
    return this.lru.get(token);
  }

  /** Whether exactly this string is held (whatever its remaining lifetime). */
  has(token: string): boolean {
    return this.lru.has(token);
  }

  /** Stores a completely verified token until its `exp` (at most `maxTtl`), measured from `nowMs`. */
  set(accessToken: AccessToken, nowMs: number): void {
    const ttl = Math.min(accessToken.expiresAt.getTime() - nowMs, this.maxTtlMs);
    if (ttl <= 0) return;
    this.lru.set(accessToken.token, accessToken, { ttl: Math.ceil(ttl) });
  }

  /** How many tokens are held. */
  get size(): number {
    return this.lru.size;
  }
}
