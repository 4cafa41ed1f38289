/**
 * A revocation list shared by every instance through Redis: entries are durable (a hash, with
 * their expiry in a sorted set) and pushed over pub/sub, so each instance keeps a local copy and
 * checks a token with no Redis round trip. A lost connection is resynchronised in full on
 * reconnect; a copy older than `maxStaleness` answers `unknown` (the verifier's 503).
 */
import type Redis from 'ioredis';
import type { RevocationEntry, RevocationList, RevocationVerdict } from '@tokenward/core';
import {
  normalizeRevocation,
  RevocationIndex,
  revocationListSettings,
} from '@tokenward/core/internal';

import { fromStored, toStored, type Message } from './stored-revocation';
import { pushedCopy } from './pushed-copy';
import { pushedListOptions } from './pushed-list-options';

/** Options of {@link createRedisRevocationList}. */
export interface RedisRevocationListOptions {
  /** The ioredis client for reads and writes (shared with the application's others). */
  client: Redis;
  /**
   * The connection that subscribes to pushed revocations (a subscribed connection cannot send
   * other commands). Default: `client.duplicate()`, closed by `close()`.
   */
  subscriber?: Redis;
  /**
   * Prefix of the keys and the channel. Default `tokenward:{revocations}:` (the braces keep
   * every key in one Redis Cluster slot, as the transaction needs).
   */
  prefix?: string;
  /**
   * Seconds the local copy may go without its push connection before checks answer `unknown`
   * (requests get 503). Default 30.
   */
  maxStaleness?: number;
  /** Milliseconds a write or a resynchronisation may take before it rejects. Default 2000. */
  timeout?: number;
  /** As `createMemoryRevocationList`: default lifetime of subject and client entries (s). */
  maxTokenLifetime?: number;
  /** As `createMemoryRevocationList`: most live entries. */
  maxEntries?: number;
  /** As `createMemoryRevocationList`: the issuers revocations may name. */
  issuers?: readonly string[];
}

/** A Redis-backed revocation list: the list, and its lifecycle. */
export interface RedisRevocationList extends RevocationList {
  /** Resolves once the first resynchronisation is done (checks answer `unknown` before). */
  ready(): Promise<void>;
  /** When the local copy was last known current (ms since the epoch); undefined before `ready`. */
  syncedAt(): number | undefined;
  /**
   * Unsubscribes and closes the subscriber connection it created (one passed in stays
   * connected). The copy hears of nothing after it: checks answer `unknown` once `maxStaleness`
   * has passed.
   */
  close(): Promise<void>;
}

/** Raised when a revocation cannot be made durable, or the list cannot be read. */
export class RevocationStoreError extends Error {
  override readonly name = 'RevocationStoreError';
}

/**
 * A revocation list on Redis for several instances: a revocation made on any instance is refused
 * on every one within the push delay (measured in bench/README.md), and survives restarts.
 *
 * @throws TypeError for bad options.
 * @example
 * ```ts
 * const revocation = createRedisRevocationList({ client: new Redis(process.env.REDIS_URL!) })
 * await revocation.ready()
 * const verifier = createVerifier({ ..., revocation })
 * ```
 */
export function createRedisRevocationList(
  options: RedisRevocationListOptions,
): RedisRevocationList {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.client?.multi !== 'function'
  ) {
    throw new TypeError('createRedisRevocationList: expected { client } with an ioredis client');
  }
  const settings = revocationListSettings(options);
  const { prefix, maxStaleness, timeout } = pushedListOptions(options, 'tokenward:{revocations}:');
  const { client } = options;
  const ownsSubscriber = options.subscriber === undefined;
  const subscriber = options.subscriber ?? client.duplicate();
  const keys = {
    entries: `${prefix}entries`,
    expiry: `${prefix}expiry`,
    channel: `${prefix}events`,
  };
  const index = new RevocationIndex();

  // The messages that arrive while a resynchronisation reads, applied again after its snapshot
  // (which may or may not include them).
  let syncing: Message[] | undefined;

  const bounded = <T>(pending: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new RevocationStoreError(`${what}: Redis did not answer within ${timeout} ms`)),
          timeout,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const apply = (message: Message) => {
    if (message.op === 'remove') index.remove(message.id);
    else {
      const entry = fromStored(JSON.stringify(message.entry));
      if (entry !== undefined) index.add(entry);
    }
  };

  const copy = pushedCopy({
    client,
    subscriber,
    ownsSubscriber,
    channel: keys.channel,
    maxStaleness,
    onMessage(text) {
      let message: Message;
      try {
        message = JSON.parse(text) as Message;
      } catch {
        return;
      }
      apply(message);
      syncing?.push(message);
    },
    // Reads every entry; messages that arrive meanwhile are applied again after it.
    async resync() {
      const arrived: Message[] = [];
      syncing = arrived;
      try {
        const all = await bounded(client.hgetall(keys.entries), 'resynchronisation');
        const now = Date.now();
        const entries = Object.values(all)
          .map(fromStored)
          .filter((e): e is RevocationEntry => e !== undefined && e.expiresAt.getTime() > now);
        index.replaceAll(entries);
        for (const message of arrived) apply(message);
      } finally {
        syncing = undefined;
      }
    },
  });

  /** Writes an entry and publishes it, atomically; then applies it here. */
  const store = async (entry: RevocationEntry) => {
    if (index.size >= settings.maxEntries) {
      throw new RangeError(
        `the revocation list holds ${settings.maxEntries} entries (option maxEntries)`,
      );
    }
    // Merge with what this instance knows, so a repeated subject revocation keeps the later time.
    const id = index.add(entry);
    const stored = toStored(index.get(id) ?? entry);
    const text = JSON.stringify(stored);
    const message = JSON.stringify({ op: 'add', entry: stored } satisfies Message);
    try {
      await bounded(
        client
          .multi()
          .hset(keys.entries, id, text)
          .zadd(keys.expiry, stored.expiresAt, id)
          .publish(keys.channel, message)
          .exec()
          .then(failedStep),
        'revocation',
      );
    } catch (error) {
      throw error instanceof RevocationStoreError
        ? error
        : new RevocationStoreError('the revocation could not be written to Redis', {
            cause: error,
          });
    }
    void purgeExpired();
  };

  /** Drops expired entries from Redis (best effort; the local copy ignores them anyway). */
  const purgeExpired = async () => {
    try {
      const now = Date.now();
      const ids = await client.zrangebyscore(keys.expiry, '-inf', now);
      if (ids.length === 0) return;
      await client
        .multi()
        .hdel(keys.entries, ...ids)
        .zrem(keys.expiry, ...ids)
        .exec();
    } catch {
      // The next write retries.
    }
  };

  return {
    revokeToken: (input) => store(normalizeRevocation('token', input, settings)),
    revokeSubject: (input) => store(normalizeRevocation('subject', input, settings)),
    revokeClient: (input) => store(normalizeRevocation('client', input, settings)),
    async remove(id) {
      if (typeof id !== 'string' || id === '') throw new TypeError('remove: expected an entry id');
      let removed: number;
      try {
        const results = await bounded(
          client
            .multi()
            .hdel(keys.entries, id)
            .zrem(keys.expiry, id)
            .publish(keys.channel, JSON.stringify({ op: 'remove', id } satisfies Message))
            .exec()
            .then(failedStep),
          'removal',
        );
        removed = Number(results[0]?.[1] ?? 0);
      } catch (error) {
        throw error instanceof RevocationStoreError
          ? error
          : new RevocationStoreError('the removal could not be written to Redis', { cause: error });
      }
      index.remove(id);
      return removed > 0;
    },
    async list() {
      await purgeExpired();
      const all = await bounded(client.hgetall(keys.entries), 'listing');
      const now = Date.now();
      return Object.entries(all)
        .map(([id, text]) => {
          const entry = fromStored(text);
          return entry === undefined ? undefined : { ...entry, id };
        })
        .filter(
          (e): e is RevocationEntry & { id: string } =>
            e !== undefined && e.expiresAt.getTime() > now,
        );
    },
    check(token, nowMs): RevocationVerdict {
      if (!copy.answers(nowMs)) return 'unknown';
      return index.isRevoked(token) ? 'revoked' : 'valid';
    },
    ready: () => copy.ready(),
    syncedAt: () => copy.syncedAt(),
    close: () => copy.close(),
  };
}

/** The results of a transaction, or the error of its first failed command. */
function failedStep(
  results: Array<[Error | null, unknown]> | null,
): Array<[Error | null, unknown]> {
  if (results === null) throw new RevocationStoreError('the Redis transaction was aborted');
  for (const [error] of results) if (error !== null) throw error;
  return results;
}
