/**
 * The sample app's one Redis connection (`TOKENWARD_REDIS_URL`): shared state of several
 * instances (the revocation list, the DPoP replay store), closed when the app shuts down.
 */
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/** The connection, or none when the app keeps its state in memory. */
export class RedisConnection implements OnApplicationShutdown {
  constructor(readonly client: Redis | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}

/**
 * The provider of {@link RedisConnection} for a configuration.
 *
 * The client does not queue commands while disconnected: with Redis down, a claim or a
 * revocation fails at once (503, or an error to the admin) instead of waiting; ioredis reconnects
 * on its own, so service resumes when Redis is back without restarting the app.
 */
export function redisConnectionProvider(config: AppConfig): Provider {
  return {
    provide: RedisConnection,
    useFactory: () => {
      if (config.redisUrl === undefined) return new RedisConnection(undefined);
      const client = new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      });
      // A connection error surfaces as the failing operation's 503, not as an unhandled event.
      client.on('error', () => undefined);
      return new RedisConnection(client);
    },
  };
}
