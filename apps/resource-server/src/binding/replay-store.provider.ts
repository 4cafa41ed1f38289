/**
 * The DPoP replay store of the sample app: on Redis when `TOKENWARD_REDIS_URL` is set (every
 * instance refuses a proof another one accepted), in memory otherwise; and the verifier's `dpop`
 * option built from the settings.
 */
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { DPoPOptions, ReplayStore } from '@tokenward/core';
import { createRedisReplayStore } from '@tokenward/redis';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config';
import type { DPoPSettings } from '../config/dpop-settings';

/** Injection token of the replay store (`undefined` without DPoP or without Redis). */
export const REPLAY_STORE = Symbol('REPLAY_STORE');

/** The Redis connection behind the replay store, closed when the app shuts down. */
export class RedisConnection implements OnApplicationShutdown {
  constructor(readonly client: Redis | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}

/**
 * The providers of {@link REPLAY_STORE} for a configuration: the Redis connection (when
 * `TOKENWARD_REDIS_URL` is set) and the store on it.
 *
 * The client does not queue commands while disconnected: with Redis down, a claim fails at once
 * and the request gets a 503 instead of waiting; ioredis reconnects on its own, so service resumes
 * when Redis is back without restarting the app.
 */
export function replayStoreProviders(config: AppConfig): Provider[] {
  const url = config.dpop?.redisUrl;
  return [
    {
      provide: RedisConnection,
      useFactory: () => {
        if (url === undefined) return new RedisConnection(undefined);
        const client = new Redis(url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
        });
        // A connection error surfaces as the failing claim's 503, not as an unhandled event.
        client.on('error', () => undefined);
        return new RedisConnection(client);
      },
    },
    {
      provide: REPLAY_STORE,
      useFactory: (connection: RedisConnection): ReplayStore | undefined =>
        connection.client === undefined
          ? undefined
          : createRedisReplayStore({
              client: connection.client,
              prefix: 'tokenward:resource-server:dpop:',
            }),
      inject: [RedisConnection],
    },
  ];
}

/**
 * The verifier's `dpop` option for the settings.
 *
 * @example `dpopOptionsFor({ mode: 'required', nonceSecret }, store)`
 */
export function dpopOptionsFor(settings: DPoPSettings, replayStore?: ReplayStore): DPoPOptions {
  return {
    required: settings.mode === 'required',
    ...(settings.nonceSecret !== undefined && { nonce: { secret: settings.nonceSecret } }),
    ...(replayStore !== undefined && { replayStore }),
    ...(settings.origin !== undefined && { origin: settings.origin }),
  };
}
