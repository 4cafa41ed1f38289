/**
 * The sample app's revocation list: on Redis when `TOKENWARD_REDIS_URL` is set (a revocation on
 * any instance reaches every instance at once), in memory otherwise. Revocations may name this
 * app's issuer only; with tenants, one list serves every tenant, each entry naming its tenant's
 * issuer.
 */
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { createMemoryRevocationList, type RevocationList } from '@tokenward/core';
import { createRedisRevocationList, type RedisRevocationList } from '@tokenward/redis';
import type { AppConfig } from '../config/app-config';
import { DEV_ISSUER_ID } from '../dev/dev-issuer';
import { tenantIssuerId } from '../tenants/tenant-settings';
import { RedisConnection } from '../shared-state/redis-connection';

/** Injection token of the {@link RevocationHolder}. */
export const REVOCATION = Symbol('REVOCATION');

/** How long start-up waits for the Redis list's first sync (checks answer 503 until it is done). */
const READY_WAIT_MS = 5000;

/** The revocation list, closed on shutdown. */
export class RevocationHolder implements OnApplicationShutdown {
  constructor(
    readonly list: RevocationList,
    /** The issuer every revocation names (the first tenant's, with tenants). */
    readonly issuer: string,
    private readonly redis?: RedisRevocationList,
    /**
     * With tenants: each admin revokes, lists and withdraws under the issuer of their own token's
     * tenant only, never another tenant's.
     */
    readonly perTenant = false,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}

/** The issuer of the app's tokens: the dev issuer, or `TOKENWARD_ISSUER`. */
export const issuerOf = (config: AppConfig): string =>
  config.mode === 'dev' ? DEV_ISSUER_ID : config.settings.issuer;

/** The issuers revocations may name: the app's one, or each tenant's. */
const issuersOf = (config: AppConfig): string[] =>
  config.mode === 'dev' && config.tenants !== undefined
    ? config.tenants.map(tenantIssuerId)
    : [issuerOf(config)];

/** The provider of {@link REVOCATION} for a configuration. */
export function revocationProvider(config: AppConfig): Provider {
  return {
    provide: REVOCATION,
    useFactory: async (connection: RedisConnection) => {
      const issuers = issuersOf(config);
      const issuer = issuers[0] as string;
      const perTenant = issuers.length > 1;
      if (connection.client === undefined) {
        return new RevocationHolder(
          createMemoryRevocationList({ issuers }),
          issuer,
          undefined,
          perTenant,
        );
      }
      const list = createRedisRevocationList({
        client: connection.client,
        prefix: 'tokenward:resource-server:{revocations}:',
        issuers,
      });
      // Redis down at start-up: the app still starts, and answers 503 until the list has synced.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        list.ready(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, READY_WAIT_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      return new RevocationHolder(list, issuer, list, perTenant);
    },
    inject: [RedisConnection],
  };
}
