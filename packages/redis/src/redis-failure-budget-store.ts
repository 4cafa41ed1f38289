/**
 * A failure-budget store on Redis (ioredis): several API instances sharing one Redis share each
 * address's budget, so an address flooding bad tokens across instances is blocked on all of
 * them. One Lua script per failure counts and starts the block atomically; both keys of an
 * address carry the same hash tag, so a Redis Cluster runs it on one slot.
 */
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { FailureBudgetLimits, FailureBudgetStore } from '@tokenward/core';
import { boundedCommands, brakeStoreOptions, requireIoredis } from './bounded-command';

/** Options of {@link createRedisFailureBudgetStore}. */
export interface RedisFailureBudgetStoreOptions {
  /** Put before every key. Default `tokenward:fb:`. No braces: the address is the hash tag. */
  prefix?: string;
  /**
   * Milliseconds a command may take; a slower answer counts as none (not blocked, not counted).
   * Default 100: a request never waits longer than that on the budget.
   */
  timeout?: number;
}

// KEYS[1] the count, KEYS[2] the block; ARGV window ms, failures, block ms. A failure while the
// address is blocked does not lengthen its block (as in the memory store); the window runs from
// the first failure.
const RECORD = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
end
return n
`;

type WithRecord = (Redis | Cluster) & {
  tokenwardRecordFailure(
    count: string,
    block: string,
    windowMs: number,
    failures: number,
    blockMs: number,
  ): Promise<number>;
};

/**
 * Creates a failure-budget store on Redis, for `failureBudget: { store }`.
 *
 * Outages: while the client is not connected, a command fails or takes longer than `timeout`,
 * `blockedFor` rejects (the verifier then treats the address as not blocked: every token is
 * still verified in full) and `recordFailure` rejects (the failure is not counted). The budget is
 * a brake on floods, not a check a token must pass, so an outage never refuses a request.
 *
 * @param client The ioredis client (`new Redis(url)` or a `Cluster`), shared with the application's others.
 * @throws TypeError for a client without `defineCommand` or bad options.
 * @example
 * ```ts
 * createVerifier({ ...options, failureBudget: { store: createRedisFailureBudgetStore(redis) } })
 * ```
 */
export function createRedisFailureBudgetStore(
  client: Redis | Cluster,
  options: RedisFailureBudgetStoreOptions = {},
): FailureBudgetStore {
  requireIoredis(client, 'createRedisFailureBudgetStore');
  const { prefix, timeout } = brakeStoreOptions(options, 'createRedisFailureBudgetStore', {
    prefix: 'tokenward:fb:',
    timeout: 100,
  });
  const redis = client as WithRecord;
  if (typeof redis.tokenwardRecordFailure !== 'function') {
    redis.defineCommand('tokenwardRecordFailure', { numberOfKeys: 2, lua: RECORD });
  }
  const keys = (key: string) => [`${prefix}{${key}}:count`, `${prefix}{${key}}:block`] as const;
  const bounded = boundedCommands(client, timeout, 'failure-budget');
  return {
    blockedFor: (key) => bounded(() => redis.pttl(keys(key)[1])).then((ms) => (ms > 0 ? ms : 0)),
    recordFailure: (key, _nowMs, limits: FailureBudgetLimits) => {
      const [count, block] = keys(key);
      return bounded(() =>
        redis.tokenwardRecordFailure(
          count,
          block,
          Math.ceil(limits.windowMs),
          limits.failures,
          Math.ceil(limits.blockMs),
        ),
      ).then(() => undefined);
    },
  };
}
