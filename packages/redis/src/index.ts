/**
 * @tokenward/redis — shared state for several tokenward instances on Redis (ioredis): the DPoP
 * replay store.
 */
export { createRedisReplayStore, ReplayStoreUnavailableError } from './redis-replay-store';
export type { RedisReplayStoreOptions } from './redis-replay-store';
