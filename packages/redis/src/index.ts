/**
 * @tokenward/redis — shared state for several tokenward instances on Redis (ioredis): the DPoP
 * replay store, the revocation list and the rate-limit store.
 */
export { createRedisReplayStore, ReplayStoreUnavailableError } from './redis-replay-store';
export type { RedisReplayStoreOptions } from './redis-replay-store';
export { createRedisRevocationList, RevocationStoreError } from './redis-revocation-list';
export type { RedisRevocationList, RedisRevocationListOptions } from './redis-revocation-list';
export { redisRateLimitStore } from './redis-rate-limit-store';
export type { RedisRateLimitStoreOptions } from './redis-rate-limit-store';
