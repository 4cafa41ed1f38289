/**
 * One-time use of a value (a DPoP proof's `jti`, RFC 9449 §11.1) across everything that shares a
 * store: `claim` answers true exactly once per key within its time to live. The memory store
 * serves one instance; `@tokenward/redis` serves several.
 */
import { LRUCache } from 'lru-cache';

/** A store of claimed keys. */
export interface ReplayStore {
  /**
   * Claims `key` for `ttlSeconds`: resolves true the first time (atomically, whoever asks at the
   * same time), false while the claim lasts. Rejects when the store cannot answer (down, slow,
   * full): callers refuse the request (503), never accept it.
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most claims held at once. Default 100,000. When every slot holds an unexpired claim, a new
   * claim is refused (rejects) rather than forgetting one that could then be replayed.
   */
  maxEntries?: number;
}

/** Raised by a memory replay store with no room for an unexpired claim. */
export class ReplayStoreFullError extends Error {
  override readonly name = 'ReplayStoreFullError';
}

/**
 * A replay store in this process's memory: for one instance (several instances behind a load
 * balancer need a shared store such as `@tokenward/redis`). Bounded, expiring, O(1) per claim.
 *
 * @throws TypeError for a bad `maxEntries`.
 * @example
 * ```ts
 * const store = createMemoryReplayStore({ maxEntries: 50_000 })
 * await store.claim('jkt:…:jti:…', 300) // true, then false for 300 s
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const max = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('maxEntries: expected a whole number of at least 1');
  }
  // Each claim carries its own ttl; `has` treats an expired one as absent. No purge timer: expired
  // claims are purged when the store is full, before a new claim could be refused.
  const claims = new LRUCache<string, true>({ max, ttlAutopurge: false });
  return {
    claim(key, ttlSeconds) {
      if (typeof key !== 'string' || key === '') {
        return Promise.reject(new TypeError('claim: expected a non-empty key'));
      }
      if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
        return Promise.reject(new TypeError('claim: expected a time to live in seconds'));
      }
      if (claims.has(key)) return Promise.resolve(false);
      if (claims.size >= max) {
        claims.purgeStale();
        // Evicting a live claim would let its value be used twice: refuse instead (fail closed).
        if (claims.size >= max) {
          return Promise.reject(
            new ReplayStoreFullError(`the replay store holds ${max} live claims`),
          );
        }
      }
      claims.set(key, true, { ttl: Math.ceil(ttlSeconds * 1000) });
      return Promise.resolve(true);
    },
  };
}
