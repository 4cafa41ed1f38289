/**
 * A rate-limit store on Redis (ioredis): several API instances sharing one Redis share each
 * identity's quota. rate-limiter-flexible's `RateLimiterRedis` counts with one atomic Lua script
 * per window (`SET NX EX` + `INCRBY` + `PTTL`), on one key, so a cluster needs no cross-slot
 * operation; an in-memory insurance limiter answers whenever Redis cannot.
 */
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { RateLimitStore } from '@tokenward/core';

/** Options of {@link redisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /**
   * Put before every key (an application's namespace on a shared Redis, `app1:`). Default none:
   * keys are `tokenward:rl:<name>:<tier>:<window>:{<identity>}` already. No braces: the
   * identity must stay the key's hash tag.
   */
  prefix?: string;
  /**
   * Milliseconds a count may take before the insurance limiter answers instead. Default 200: a
   * Redis slower than that is treated as down, never waited on by every request.
   */
  timeout?: number;
}

/**
 * Creates a rate-limit store on Redis, for `rateLimit({ store })`.
 *
 * Outages: while the client is not connected (`status` other than `ready`), a command fails, or
 * an answer takes longer than `timeout`, each window is counted by an in-process
 * `RateLimiterMemory` with the same limits (its insurance limiter). The request is still
 * limited, per instance instead of across them, and never answered with a 5xx; counting
 * returns to Redis by itself once the client reconnects. Counts made during the outage are not
 * copied to Redis.
 *
 * @param client The ioredis client (`new Redis(url)` or a `Cluster`), shared with the application's others.
 * @param options See {@link RedisRateLimitStoreOptions}.
 * @throws TypeError for a client without `defineCommand` or bad options.
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * const store = redisRateLimitStore(new Redis(process.env.REDIS_URL!), { prefix: 'orders-api:' })
 * app.get('/orders', rateLimit({ key: 'client', limits: [{ points: 100, duration: 60 }], store }), list)
 * ```
 */
export function redisRateLimitStore(
  client: Redis | Cluster,
  options: RedisRateLimitStoreOptions = {},
): RateLimitStore {
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof (client as Redis).defineCommand !== 'function'
  ) {
    throw new TypeError('redisRateLimitStore: expected an ioredis client');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('redisRateLimitStore: expected options { prefix?, timeout? }');
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 128) {
    throw new TypeError('prefix: expected a string without braces, at most 128 characters');
  }
  const timeout = options.timeout ?? 200;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 60_000) {
    throw new TypeError('timeout: expected milliseconds in (0, 60000]');
  }
  return ({ points, duration, keyPrefix }) => {
    const redis = new RateLimiterRedis({
      storeClient: client,
      // ioredis, not node-redis: its command and reply conventions.
      useRedisPackage: false,
      // Not connected: straight to the insurance limiter, rather than into ioredis's offline
      // queue, where a request would wait for a reconnect.
      rejectIfRedisNotReady: true,
      points,
      duration,
      keyPrefix: prefix + keyPrefix,
    });
    // The insurance limiter sits on the timeout wrapper alone: a slow answer and a failed one
    // are each counted locally once, never twice.
    return new RLWrapperTimeouts({
      limiter: redis,
      timeoutMs: timeout,
      insuranceLimiter: new RateLimiterMemory({ points, duration, keyPrefix }),
    });
  };
}
