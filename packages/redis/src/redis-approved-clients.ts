/**
 * An approved-client list shared by every instance through Redis: the approved ids are a durable
 * Redis set, every change is published on a channel, and each instance keeps a local copy so
 * `isApproved` answers with no Redis round trip. A lost push connection is resynchronised in full
 * on reconnect; a copy older than `maxStaleness` answers `'unknown'` (the verifier's 503), so a
 * withdrawn client is never accepted on a copy that may have missed the withdrawal.
 *
 * Every change carries a version that Redis assigns inside the same script that changes the set
 * and publishes, so a copy applies changes in Redis's order whatever order they reach it in: an
 * instance's own change applied at once is not undone by an older change still in flight, and a
 * change pushed during a resynchronisation is kept whether or not the snapshot includes it.
 */
import type Redis from 'ioredis';
import type { ApprovalVerdict, ApprovedClientList } from '@tokenward/core';
import { pushedCopy } from './pushed-copy';
import { pushedListOptions } from './pushed-list-options';

/** Options of {@link createRedisApprovedClients}. */
export interface RedisApprovedClientsOptions {
  /** The ioredis client for reads and writes (shared with the application's others). */
  client: Redis;
  /**
   * The connection that subscribes to pushed changes (a subscribed connection cannot send other
   * commands). Default: `client.duplicate()`, closed by `close()`.
   */
  subscriber?: Redis;
  /**
   * Prefix of the keys and the channel. Default `tokenward:{approved-clients}:` (the braces keep
   * both keys in one Redis Cluster slot, as the write script needs).
   */
  prefix?: string;
  /**
   * Seconds the local copy may go without its push connection before `isApproved` answers
   * `'unknown'` (requests get 503). Default 30.
   */
  maxStaleness?: number;
  /** Milliseconds a write, a read or a resynchronisation may take before it rejects. Default 2000. */
  timeout?: number;
  /**
   * Clients approved when Redis holds no list yet (it has never been written): the first
   * instance to start seeds it. Later starts add nothing, so a client withdrawn since is not
   * approved again by a restart; use `approve` to add clients to an existing list.
   */
  initial?: readonly string[];
}

/** A Redis-backed approved-client list: the list, its changes, and its lifecycle. */
export interface RedisApprovedClients extends ApprovedClientList {
  /**
   * Approves clients, durably and on every instance: the set is written and the change published
   * in one atomic script. This instance accepts their tokens once it resolves; the others within
   * the push delay.
   *
   * @throws TypeError for a bad client id; rejects with {@link ApprovedClientsStoreError} when
   *   the client is not connected or Redis does not answer within `timeout` (nothing is changed
   *   on this instance then). A change that timed out may still reach Redis: repeat it (changes
   *   are idempotent).
   */
  approve(...clientIds: string[]): Promise<void>;
  /**
   * Withdraws approval, durably and on every instance. This instance refuses the clients' tokens
   * once it resolves; the others within the push delay.
   *
   * @throws TypeError for a bad client id; rejects with {@link ApprovedClientsStoreError} as
   *   `approve` does.
   */
  withdraw(...clientIds: string[]): Promise<void>;
  /**
   * The approved client ids as Redis holds them, sorted.
   *
   * @throws Rejects with {@link ApprovedClientsStoreError} when Redis cannot be read.
   */
  list(): Promise<string[]>;
  /**
   * Resolves once the first resynchronisation is done (`isApproved` answers `'unknown'` before).
   * It waits for Redis however long that takes: race it against a timer to bound a startup.
   */
  ready(): Promise<void>;
  /** When the local copy was last known current (ms since the epoch); undefined before `ready`. */
  syncedAt(): number | undefined;
  /** Unsubscribes and closes the subscriber connection it created (not `client`, nor one passed). */
  close(): Promise<void>;
}

/** Raised when a change cannot be made durable in Redis, or the list cannot be read, in time. */
export class ApprovedClientsStoreError extends Error {
  override readonly name = 'ApprovedClientsStoreError';
}

/** A change as published on the channel. */
interface Message {
  op: 'approve' | 'withdraw';
  ids: string[];
  v: number;
}

/** Longest client id accepted: ids are keys of a local set and parts of every pushed message. */
const MAX_CLIENT_ID = 256;

const isClientId = (id: unknown): id is string =>
  typeof id === 'string' && id !== '' && id.length <= MAX_CLIENT_ID && !/\p{Cc}/u.test(id);

const clientIds = (ids: readonly unknown[], what: string): string[] => {
  if (!ids.every(isClientId)) {
    throw new TypeError(
      `${what}: expected client ids (non-empty strings of at most ${MAX_CLIENT_ID} characters, no control characters)`,
    );
  }
  return ids as string[];
};

// KEYS[1] the set, KEYS[2] the version; ARGV[1] the channel, ARGV[2] 'approve', 'withdraw' or
// 'seed' (approve only if the list was never written), ARGV[3..] the ids. Returns the change's
// version, 0 for a seed that did nothing. The version is above the last one and at least Redis's
// clock in ms, so it still grows after Redis lost its data (a copy would otherwise ignore the
// changes made after, as older than what it holds); 13 digits, exact in cjson's encoding.
const CHANGE = `
local op = ARGV[2]
if op == 'seed' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  op = 'approve'
end
local command = op == 'approve' and 'SADD' or 'SREM'
local ids = {}
for i = 3, #ARGV do
  redis.call(command, KEYS[1], ARGV[i])
  ids[#ids + 1] = ARGV[i]
end
local time = redis.call('TIME')
local v = math.max((tonumber(redis.call('GET', KEYS[2])) or 0) + 1, tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
redis.call('SET', KEYS[2], string.format('%.0f', v))
redis.call('PUBLISH', ARGV[1], cjson.encode({ op = op, ids = ids, v = v }))
return v
`;

/** A pushed message, or undefined for anything that is not a well-formed change. */
function parseMessage(text: string): Message | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { op, ids, v } = value as Record<string, unknown>;
  if (op !== 'approve' && op !== 'withdraw') return undefined;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isClientId)) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return undefined;
  return { op, ids, v };
}

/**
 * An approved-client list on Redis for several instances, for the verifier's `approvedClients`
 * option: a client approved or withdrawn on any instance is accepted or refused on every one
 * within the push delay, and the list survives restarts.
 *
 * @throws TypeError for bad options or a bad id in `initial`.
 * @example
 * ```ts
 * const approvedClients = createRedisApprovedClients({ client: new Redis(process.env.REDIS_URL!) })
 * await approvedClients.ready()
 * const verifier = createVerifier({ ...options, approvedClients })
 * await approvedClients.withdraw('payments-svc') // refused on every instance
 * ```
 */
export function createRedisApprovedClients(
  options: RedisApprovedClientsOptions,
): RedisApprovedClients {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.client?.eval !== 'function' ||
    typeof options.client.duplicate !== 'function'
  ) {
    throw new TypeError('createRedisApprovedClients: expected { client } with an ioredis client');
  }
  const { prefix, maxStaleness, timeout } = pushedListOptions(
    options,
    'tokenward:{approved-clients}:',
  );
  if (options.initial !== undefined && !Array.isArray(options.initial)) {
    throw new TypeError('initial: expected an array of client ids');
  }
  const initial = clientIds(options.initial ?? [], 'initial');
  const { client } = options;
  const ownsSubscriber = options.subscriber === undefined;
  const subscriber = options.subscriber ?? client.duplicate();
  const keys = { set: `${prefix}ids`, version: `${prefix}version`, channel: `${prefix}events` };

  // The local copy. `versions` holds the version of each id changed since the last
  // resynchronisation; any other id is as of `baseline`, the version of that snapshot.
  let approved = new Set<string>();
  const versions = new Map<string, number>();
  let baseline = 0;
  // Whether `initial` was offered to Redis (the first resynchronisation offers it).
  let seeded = initial.length === 0;

  /**
   * `command` under the deadline. Not connected is an immediate failure, not a wait in ioredis's
   * offline queue: a queued change would still be made once Redis is back, after its caller was
   * told it failed.
   */
  const bounded = <T>(command: () => Promise<T>, what: string): Promise<T> => {
    if (client.status !== 'ready' && client.status !== 'wait') {
      return Promise.reject(
        new ApprovedClientsStoreError(`${what}: Redis is not connected (${client.status})`),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      command(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApprovedClientsStoreError(`${what}: Redis did not answer within ${timeout} ms`),
            ),
          timeout,
        );
      }),
    ])
      .catch((error: unknown) => {
        throw error instanceof ApprovedClientsStoreError
          ? error
          : new ApprovedClientsStoreError(`${what}: Redis failed`, { cause: error });
      })
      .finally(() => clearTimeout(timer));
  };

  /** Applies a change to the ids it is newer for (an older one arriving late changes nothing). */
  const apply = ({ op, ids, v }: Message) => {
    for (const id of ids) {
      if (v <= (versions.get(id) ?? baseline)) continue;
      versions.set(id, v);
      if (op === 'approve') approved.add(id);
      else approved.delete(id);
    }
  };

  /** Runs the change script; applies the change here at once, as of the version Redis gave it. */
  const change = async (op: Message['op'] | 'seed', ids: string[], what: string) => {
    const v = Number(
      await bounded(
        () => client.eval(CHANGE, 2, keys.set, keys.version, keys.channel, op, ...ids),
        what,
      ),
    );
    if (v > 0) apply({ op: op === 'withdraw' ? 'withdraw' : 'approve', ids, v });
  };

  /**
   * Replaces the copy with what Redis holds (after seeding it with `initial` once), read with its
   * version in one transaction. Changes newer than the snapshot (pushed or written here while it
   * was read) are kept: a push that arrives during the read is not lost, whichever side of the
   * snapshot its change fell on.
   */
  const resync = async () => {
    if (!seeded) {
      await change('seed', initial, 'seeding');
      seeded = true;
    }
    const results = await bounded(
      () => client.multi().smembers(keys.set).get(keys.version).exec().then(failedStep),
      'resynchronisation',
    );
    const members = results[0]?.[1] as string[];
    const version = Number(results[1]?.[1] ?? 0) || 0;
    const next = new Set<string>();
    if (version < baseline) {
      // The version went back: Redis lost its data (or is another Redis). Nothing held here is
      // newer than the snapshot.
      versions.clear();
    }
    for (const id of members) {
      if (isClientId(id) && !((versions.get(id) ?? 0) > version)) next.add(id);
    }
    for (const [id, v] of versions) {
      if (v <= version) versions.delete(id);
      else if (approved.has(id)) next.add(id);
    }
    approved = next;
    baseline = version;
  };

  const copy = pushedCopy({
    client,
    subscriber,
    ownsSubscriber,
    channel: keys.channel,
    maxStaleness,
    onMessage(text) {
      const message = parseMessage(text);
      if (message !== undefined) apply(message);
    },
    resync,
  });

  return {
    isApproved(clientId): ApprovalVerdict {
      if (!copy.answers(Date.now())) return 'unknown';
      return approved.has(clientId);
    },
    async approve(...ids) {
      clientIds(ids, 'approve');
      if (ids.length > 0) await change('approve', ids, 'approve');
    },
    async withdraw(...ids) {
      clientIds(ids, 'withdraw');
      if (ids.length > 0) await change('withdraw', ids, 'withdraw');
    },
    async list() {
      const members = await bounded(() => client.smembers(keys.set), 'list');
      return members.filter(isClientId).sort();
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
  if (results === null) throw new ApprovedClientsStoreError('the Redis transaction was aborted');
  for (const [error] of results) if (error !== null) throw error;
  return results;
}
