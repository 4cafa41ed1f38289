/**
 * A replay store on Redis (ioredis): several API instances sharing one Redis agree on which
 * keys were claimed. One `SET key 1 NX PX ttl` per claim: atomic on a single server and on a
 * cluster (each claim is one key, so no cross-slot operation).
 */
import { hash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { ReplayStore } from '@tokenward/core';

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** The ioredis client (`new Redis(url)` or a `Cluster`), shared with the application's others. */
  client: Pick<Redis | Cluster, 'set'>;
  /** Prefix of every key. Default `tokenward:replay:`. */
  prefix?: string;
  /**
   * Milliseconds a claim may take before it rejects (the caller answers 503). Default 500: a
   * store slower than that is treated as down, never waited on by every request.
   */
  timeout?: number;
}

/** Raised when Redis does not answer a claim in time, or answers with an error. */
export class ReplayStoreUnavailableError extends Error {
  override readonly name = 'ReplayStoreUnavailableError';
}

/**
 * Creates a replay store on Redis.
 *
 * Keys are `prefix` + base64url(SHA-256(key)): fixed length, whatever the caller's key holds.
 *
 * @throws TypeError for bad options.
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * const store = createRedisReplayStore({ client: new Redis(process.env.REDIS_URL!) })
 * await store.claim(`jti:${jkt}:${jti}`, 300)
 * ```
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.client?.set !== 'function'
  ) {
    throw new TypeError('createRedisReplayStore: expected { client } with an ioredis client');
  }
  const prefix = options.prefix ?? 'tokenward:replay:';
  if (typeof prefix !== 'string') throw new TypeError('prefix: expected a string');
  const timeout = options.timeout ?? 500;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 60_000) {
    throw new TypeError('timeout: expected milliseconds in (0, 60000]');
  }
  const { client } = options;
  return {
    async claim(key, ttlSeconds) {
      if (typeof key !== 'string' || key === '')
        throw new TypeError('claim: expected a non-empty key');
      if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
        throw new TypeError('claim: expected a time to live in seconds');
      }
      const redisKey = prefix + hash('sha256', key, 'base64url');
      let timer: NodeJS.Timeout | undefined;
      try {
        const answer = await Promise.race([
          client.set(redisKey, '1', 'PX', Math.ceil(ttlSeconds * 1000), 'NX'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new ReplayStoreUnavailableError(`Redis did not answer within ${timeout} ms`),
                ),
              timeout,
            );
          }),
        ]);
        // SET … NX answers OK when the key was set, null when it existed.
        return answer === 'OK';
      } catch (error) {
        if (error instanceof ReplayStoreUnavailableError) throw error;
        throw new ReplayStoreUnavailableError('Redis refused the claim', { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
