/**
 * Where rate-limit counters live: the contract a store meets (the one rate-limiter-flexible's
 * limiters already meet, so any of them plugs in), and the in-process default.
 */
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory } from 'rate-limiter-flexible';

/** One window of one rate limit, as the store is asked to count it. */
export interface RateLimitStoreWindow {
  /** Requests allowed per window. */
  readonly points: number;
  /** The window, in seconds. */
  readonly duration: number;
  /**
   * The namespace of this window's counters (`tokenward:rl:<name>:<tier>:<window>`); the store
   * appends `:` and the identity's key, which is hash-tagged (`{client:…}`) for Redis Cluster.
   */
  readonly keyPrefix: string;
}

/** A window's state after a request was counted. */
export interface RateLimitState {
  /** Requests left in the current window (0 once it is used up). */
  readonly remainingPoints: number;
  /** Milliseconds until the window resets. */
  readonly msBeforeNext: number;
}

/**
 * Counts requests for one window. The rate-limiter-flexible convention, so its limiters are
 * counters as they are: `consume` resolves with the state when the request fits, rejects with
 * the state (a {@link RateLimitState}, not an `Error`) when the window is used up, and rejects
 * with an `Error` when the store itself failed.
 */
export interface RateLimitCounter {
  /** Counts `points` (1) for `key`. */
  consume(key: string, points?: number): Promise<RateLimitState>;
}

/**
 * Makes the counter of each window of a rate limit, once, when `rateLimit()` is called.
 *
 * @example
 * ```ts
 * // any rate-limiter-flexible limiter is a counter
 * const store: RateLimitStore = (window) => new RateLimiterMemory(window)
 * ```
 */
export type RateLimitStore = (window: RateLimitStoreWindow) => RateLimitCounter;

/** Options of {@link memoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /**
   * Identities counted at once per window; beyond it the least recently seen identity's counter
   * is dropped (it starts its window afresh), so a flood of distinct identities or addresses
   * costs bounded memory. Default 100,000.
   */
  maxKeys?: number;
}

/** The default bound of {@link memoryRateLimitStore}: identities per window. */
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 100_000;

/**
 * The default store: counters in this process's memory (rate-limiter-flexible's
 * `RateLimiterMemory`), bounded by `maxKeys` identities per window (an LRU that drops the
 * evicted identity's counter). Each API instance counts on its own, so with N instances behind
 * a load balancer a client gets up to N times the quota; share counters with
 * `redisRateLimitStore` of @tokenward/redis. Entries expire with their window.
 *
 * @throws TypeError for a bad `maxKeys`.
 * @example `rateLimit({ key: 'client', limits: [{ points: 100, duration: 60 }], store: memoryRateLimitStore() })`
 */
export function memoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? DEFAULT_RATE_LIMIT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new TypeError('memoryRateLimitStore: maxKeys: expected a positive integer');
  }
  return (window) => {
    const limiter = new RateLimiterMemory({
      points: window.points,
      duration: window.duration,
      keyPrefix: window.keyPrefix,
    });
    // The limiter's own map only forgets a key when its window ends; the LRU forgets the least
    // recent identity once there are maxKeys, and frees its counter with it.
    const seen = new LRUCache<string, true>({
      max: maxKeys,
      dispose: (_value, key, reason) => {
        if (reason === 'evict') void limiter.delete(key);
      },
    });
    return {
      consume(key, points = 1) {
        seen.set(key, true);
        return limiter.consume(key, points);
      },
    };
  };
}
