/**
 * @tokenward/redis — shared state for several tokenward instances on Redis (ioredis): the DPoP
 * replay store and the revocation list.
 */
export { createRedisReplayStore, ReplayStoreUnavailableError } from './redis-replay-store';
export type { RedisReplayStoreOptions } from './redis-replay-store';
export { createRedisRevocationList, RevocationStoreError } from './redis-revocation-list';
export type { RedisRevocationList, RedisRevocationListOptions } from './redis-revocation-list';
