/**
 * @tokenward/redis — shared state for several tokenward instances on Redis (ioredis): the DPoP
 * replay store, the revocation list, the approved-client list, the rate-limit store, the
 * failure-budget store and the anomaly store.
 */
export { createRedisReplayStore, ReplayStoreUnavailableError } from './redis-replay-store';
export type { RedisReplayStoreOptions } from './redis-replay-store';
export { createRedisRevocationList, RevocationStoreError } from './redis-revocation-list';
export type { RedisRevocationList, RedisRevocationListOptions } from './redis-revocation-list';
export { ApprovedClientsStoreError, createRedisApprovedClients } from './redis-approved-clients';
export type { RedisApprovedClients, RedisApprovedClientsOptions } from './redis-approved-clients';
export { redisRateLimitStore } from './redis-rate-limit-store';
export type { RedisRateLimitStoreOptions } from './redis-rate-limit-store';
export { createRedisFailureBudgetStore } from './redis-failure-budget-store';
export type { RedisFailureBudgetStoreOptions } from './redis-failure-budget-store';
export { createRedisAnomalyStore, MAX_DISTINCT_MEMBERS } from './redis-anomaly-store';
export type { RedisAnomalyStoreOptions } from './redis-anomaly-store';
