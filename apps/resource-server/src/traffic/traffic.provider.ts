/**
 * The app's traffic-control state, chosen once at start-up: on the app's one Redis connection
 * when `TOKENWARD_REDIS_URL` is set (every instance shares the rate-limit counters, the failure
 * budgets and the approved-client list), in this process's memory otherwise.
 */
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import {
  createMemoryAnomalyStore,
  createMemoryApprovedClients,
  createMemoryFailureBudgetStore,
  memoryRateLimitStore,
  type AnomalyOptions,
  type ApprovedClientList,
  type FailureBudgetOptions,
} from '@tokenward/core';
import {
  createRedisAnomalyStore,
  createRedisApprovedClients,
  createRedisFailureBudgetStore,
  redisRateLimitStore,
} from '@tokenward/redis';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { trafficPlan, type AnomalySettings } from '../config/traffic-settings';
import { RedisConnection } from '../shared-state/redis-connection';
import { RateLimitStoreBinding } from './rate-limit-store-binding';

/** Injection token of the {@link TrafficControl}. */
export const TRAFFIC = Symbol('TRAFFIC');

/** How long start-up waits for the Redis client list's first sync (checks answer 503 until then). */
const READY_WAIT_MS = 5000;
/** Keys of this app on a shared Redis (no braces: the stores put the hash tags). */
const REDIS_PREFIX = 'tokenward:resource-server:';

/**
 * The approved-client list with its admin operations: the memory list answers at once, the Redis
 * one with a promise (`await` fits both). A failed Redis write rejects with
 * `ApprovedClientsStoreError`.
 */
export interface ApprovedClients extends ApprovedClientList {
  approve(...clientIds: string[]): void | Promise<void>;
  withdraw(...clientIds: string[]): void | Promise<void>;
  list(): string[] | Promise<string[]>;
}

/** The traffic-control state: what the verifier gets, and what the admin API changes. */
export class TrafficControl implements OnApplicationShutdown {
  constructor(
    /** The verifier option `failureBudget`; absent without `TOKENWARD_FAILURE_BUDGET`. */
    readonly failureBudget: FailureBudgetOptions | undefined,
    /** The verifier option `approvedClients`; absent without `TOKENWARD_APPROVED_CLIENTS`. */
    readonly approvedClients: ApprovedClients | undefined,
    /** The verifier option `anomalies`; absent unless `TOKENWARD_ANOMALIES=on`. */
    readonly anomalies: AnomalyOptions | undefined,
    private readonly close: () => Promise<void> = async () => undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/**
 * The verifier's `anomalies` option: every detector, each blocking for `settings.block` seconds
 * when set (the DPoP replay detector only sees proofs when DPoP is on).
 */
function anomalyOptions(settings: AnomalySettings, client: Redis | undefined): AnomalyOptions {
  const block = settings.block ?? false;
  return {
    tokenSpread: {
      addresses: settings.spreadAddresses,
      window: settings.spreadWindow,
      block,
    },
    denialBurst: { block },
    revokedTokenUse: { block },
    replayedProof: { block },
    store:
      client === undefined
        ? createMemoryAnomalyStore()
        : createRedisAnomalyStore(client, { prefix: `${REDIS_PREFIX}an:` }),
  };
}

/** Resolves after `promise` or after `ms`, whichever is first. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** The Redis list of approved clients, seeded from the configuration on the first start. */
async function redisApprovedClients(
  client: Redis,
  initial: readonly string[],
): Promise<{ list: ApprovedClients; close: () => Promise<void> }> {
  // A subscribed connection can send no other command: the list gets one of its own, closed here.
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  const list = createRedisApprovedClients({
    client,
    subscriber,
    prefix: `${REDIS_PREFIX}{approved-clients}:`,
    initial,
  });
  // Redis down at start-up: the app still starts, and answers 503 until the list has synced.
  await within(list.ready(), READY_WAIT_MS);
  return {
    list,
    close: async () => {
      await list.close();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

/**
 * The provider of {@link TRAFFIC} for a configuration. It binds the decorators' rate-limit store
 * (`binding`) while it is built, which is before the verifier options, so before any request.
 */
export function trafficProvider(config: AppConfig, binding: RateLimitStoreBinding): Provider {
  return {
    provide: TRAFFIC,
    useFactory: async (connection: RedisConnection) => {
      const plan = trafficPlan(config.traffic);
      const { client } = connection;
      binding.bind(client === undefined ? memoryRateLimitStore() : redisRateLimitStore(client));
      const failureBudget = plan.failureBudget && {
        failures: plan.failureBudget.failures,
        window: plan.failureBudget.window,
        store:
          client === undefined
            ? createMemoryFailureBudgetStore()
            : createRedisFailureBudgetStore(client, { prefix: `${REDIS_PREFIX}fb:` }),
      };
      const anomalies = plan.anomalies && anomalyOptions(plan.anomalies, client);
      if (plan.approvedClients === undefined) {
        return new TrafficControl(failureBudget, undefined, anomalies);
      }
      if (client === undefined) {
        const list = createMemoryApprovedClients(plan.approvedClients);
        return new TrafficControl(failureBudget, list, anomalies);
      }
      const { list, close } = await redisApprovedClients(client, plan.approvedClients);
      return new TrafficControl(failureBudget, list, anomalies, close);
    },
    inject: [RedisConnection],
  };
}
