/**
 * The anomaly detectors' store on Redis (ioredis): several API instances sharing one Redis see
 * one token's addresses, one client's denials and every block together, so a token used from
 * one address on each of three instances counts three addresses. Each count is one atomic
 * command (a Lua script for sets), so exactly one instance sees a threshold reached and reports
 * it. Block answers are kept locally for `blockCacheMs`, so a request costs no round trip for
 * them most of the time.
 */
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { AnomalyStore } from '@tokenward/core';
import { boundedCommands, brakeStoreOptions, requireIoredis } from './bounded-command';

/** Options of {@link createRedisAnomalyStore}. */
export interface RedisAnomalyStoreOptions {
  /** Put before every key. Default `tokenward:an:`. No braces: each key carries its hash tag. */
  prefix?: string;
  /** Milliseconds a command may take; a slower answer counts as none. Default 100. */
  timeout?: number;
  /**
   * Milliseconds a block answer from Redis is reused on this instance before Redis is asked
   * again: a block set on another instance takes effect here within it. Blocks set here take
   * effect here at once. Default 1000; 0 asks Redis on every request.
   */
  blockCacheMs?: number;
  /** Block answers kept locally (an LRU). Default 10,000. */
  maxCachedBlocks?: number;
}

/** Most members a set holds: beyond it, new members are not counted (bounded memory). */
export const MAX_DISTINCT_MEMBERS = 256;

// KEYS[1] the set; ARGV member, window ms, most members. The size is returned once per new
// member, so the instance whose add reaches a threshold is the only one to see that size.
const ADD_DISTINCT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
local n = redis.call('SCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
if n == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n + 1
`;

// KEYS[1] the counter; ARGV window ms. The window runs from the first event.
const COUNT_EVENT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

type WithScripts = (Redis | Cluster) & {
  tokenwardAddDistinct(key: string, member: string, windowMs: number, max: number): Promise<number>;
  tokenwardCountEvent(key: string, windowMs: number): Promise<number>;
};

/**
 * Creates an anomaly store on Redis, for `anomalies: { store }`.
 *
 * Outages: while the client is not connected, a command fails or takes longer than `timeout`,
 * every call rejects: the detectors then block nothing and count nothing (every token is still
 * verified in full), and `requireRiskBelow` answers 503 for a few seconds.
 *
 * @param client The ioredis client (`new Redis(url)` or a `Cluster`), shared with the application's others.
 * @throws TypeError for a client without `defineCommand` or bad options.
 * @example
 * ```ts
 * createVerifier({ ...options, anomalies: { tokenSpread: { block: 600 }, store: createRedisAnomalyStore(redis) } })
 * ```
 */
export function createRedisAnomalyStore(
  client: Redis | Cluster,
  options: RedisAnomalyStoreOptions = {},
): AnomalyStore {
  requireIoredis(client, 'createRedisAnomalyStore');
  const { prefix, timeout } = brakeStoreOptions(options, 'createRedisAnomalyStore', {
    prefix: 'tokenward:an:',
    timeout: 100,
  });
  const blockCacheMs = options.blockCacheMs ?? 1000;
  if (typeof blockCacheMs !== 'number' || !(blockCacheMs >= 0) || blockCacheMs > 60_000) {
    throw new TypeError('blockCacheMs: expected milliseconds in [0, 60000]');
  }
  const maxCachedBlocks = options.maxCachedBlocks ?? 10_000;
  if (!Number.isSafeInteger(maxCachedBlocks) || maxCachedBlocks < 1) {
    throw new TypeError('maxCachedBlocks: expected a positive integer');
  }
  const redis = client as WithScripts;
  if (typeof redis.tokenwardAddDistinct !== 'function') {
    redis.defineCommand('tokenwardAddDistinct', { numberOfKeys: 1, lua: ADD_DISTINCT });
    redis.defineCommand('tokenwardCountEvent', { numberOfKeys: 1, lua: COUNT_EVENT });
  }
  const bounded = boundedCommands(client, timeout, 'anomaly');
  // key → when its block ends (0: not blocked), reused for blockCacheMs.
  const blocks =
    blockCacheMs > 0
      ? new LRUCache<string, number>({ max: maxCachedBlocks, ttl: blockCacheMs })
      : undefined;
  return {
    addDistinct: (key, member, windowMs) =>
      bounded(() =>
        redis.tokenwardAddDistinct(prefix + key, member, Math.ceil(windowMs), MAX_DISTINCT_MEMBERS),
      ),
    countEvent: (key, windowMs) =>
      bounded(() => redis.tokenwardCountEvent(prefix + key, Math.ceil(windowMs))),
    block: (key, blockMs, nowMs) => {
      blocks?.set(key, nowMs + blockMs, { ttl: Math.max(blockCacheMs, blockMs) });
      return bounded(() => redis.set(prefix + key, '1', 'PX', Math.ceil(blockMs))).then(
        () => undefined,
      );
    },
    blockedFor: (key, nowMs) => {
      const until = blocks?.get(key);
      if (until !== undefined) return until > nowMs ? until - nowMs : 0;
      return bounded(() => redis.pttl(prefix + key)).then((ms) => {
        const left = ms > 0 ? ms : 0;
        blocks?.set(key, left > 0 ? nowMs + left : 0);
        return left;
      });
    },
  };
}
