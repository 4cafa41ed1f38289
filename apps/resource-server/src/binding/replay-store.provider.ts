/**
 * The DPoP replay store of the sample app: on Redis when `TOKENWARD_REDIS_URL` is set (every
 * instance refuses a proof another one accepted), in memory otherwise; and the verifier's `dpop`
 * option built from the settings.
 */
import type { Provider } from '@nestjs/common';
import type { DPoPOptions, ReplayStore } from '@tokenward/core';
import { createRedisReplayStore } from '@tokenward/redis';
import type { DPoPSettings } from '../config/dpop-settings';
import { RedisConnection } from '../shared-state/redis-connection';

/** Injection token of the replay store (`undefined` without Redis: the verifier's memory one). */
export const REPLAY_STORE = Symbol('REPLAY_STORE');

/** The provider of {@link REPLAY_STORE}. */
export const replayStoreProvider: Provider = {
  provide: REPLAY_STORE,
  useFactory: (connection: RedisConnection): ReplayStore | undefined =>
    connection.client === undefined
      ? undefined
      : createRedisReplayStore({
          client: connection.client,
          prefix: 'tokenward:resource-server:dpop:',
        }),
  inject: [RedisConnection],
};

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
