/**
 * The life of a local copy of a list kept in Redis and pushed over pub/sub (the revocation list,
 * the approved-client list): it subscribes on every (re)connection of its push connection and
 * then resynchronises in full, one resynchronisation at a time, and it knows how current it is.
 * What the list holds, how a snapshot is read and how a pushed change is applied stay with the
 * list.
 */
import type Redis from 'ioredis';

/** What {@link pushedCopy} needs from the list it keeps current. */
export interface PushedCopyOptions {
  /** The connection snapshots are read on (its `ready` retries a failed resynchronisation). */
  readonly client: Redis;
  /** The push connection. */
  readonly subscriber: Redis;
  /** Whether `subscriber` was created for this copy, so `close()` disconnects it. */
  readonly ownsSubscriber: boolean;
  /** The channel the list's changes are published on. */
  readonly channel: string;
  /** Seconds the copy may answer after it stopped being current. */
  readonly maxStaleness: number;
  /** Applies one message pushed on the channel (malformed ones are the list's to ignore). */
  readonly onMessage: (text: string) => void;
  /** Reads what Redis holds and replaces the copy with it; rejects when Redis cannot say. */
  readonly resync: () => Promise<void>;
}

/** A copy's freshness and lifecycle. */
export interface PushedCopy {
  /**
   * Whether the copy may answer at `nowMs`: it was synchronised once, and is current or stopped
   * being so at most `maxStaleness` ago.
   */
  answers(nowMs: number): boolean;
  /** Resolves once the first resynchronisation is done. */
  ready(): Promise<void>;
  /** When the copy was last known current (ms since the epoch); undefined before `ready`. */
  syncedAt(): number | undefined;
  /** Stops listening (disconnecting a subscriber it owns); the copy goes stale from now. */
  close(): Promise<void>;
}

/** How soon a failed resynchronisation is tried again while the push connection is up. */
const RETRY_MS = 200;

/**
 * Keeps a local copy current through its push connection.
 *
 * @example
 * ```ts
 * const copy = pushedCopy({ client, subscriber, ownsSubscriber, channel, maxStaleness, onMessage, resync })
 * if (!copy.answers(Date.now())) return 'unknown'
 * ```
 */
export function pushedCopy(options: PushedCopyOptions): PushedCopy {
  const { client, subscriber, ownsSubscriber, channel, maxStaleness } = options;

  // The copy is current while the push connection is up and a resynchronisation has completed
  // since it (re)connected; `lostAt` is when it stopped being so. `connection` counts
  // disconnections, so a resynchronisation the connection dropped under does not claim
  // freshness: changes pushed meanwhile never reached the copy.
  let synced: number | undefined;
  let lostAt: number | undefined = Date.now();
  let connection = 0;
  let closed = false;

  let resolveReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  const resync = async () => {
    const at = connection;
    await options.resync();
    synced = Date.now();
    if (at === connection && subscriber.status === 'ready') lostAt = undefined;
  };

  // One resynchronisation at a time: a slower one finishing last would put back an older
  // snapshot over changes pushed since. A request during one runs another after it. A failure
  // while subscribed retries shortly; while not, the next `ready` asks again.
  let wanted = false;
  let running = false;
  let retry: NodeJS.Timeout | undefined;
  const requestSync = () => {
    wanted = true;
    if (running || closed) return;
    running = true;
    void (async () => {
      while (wanted && !closed) {
        wanted = false;
        try {
          await resync();
          resolveReady();
        } catch {
          if (!closed && subscriber.status === 'ready' && retry === undefined) {
            retry = setTimeout(() => {
              retry = undefined;
              requestSync();
            }, RETRY_MS);
            retry.unref();
          }
        }
      }
      running = false;
    })();
  };

  const onMessage = (from: string, text: string) => {
    if (from === channel) options.onMessage(text);
  };
  // Every (re)connection re-subscribes and resynchronises: nothing changed while this instance
  // was away is missed.
  const onReady = () => {
    void subscriber.subscribe(channel).then(requestSync, () => undefined);
  };
  const onLost = () => {
    connection += 1;
    lostAt ??= Date.now();
  };
  const onError = () => undefined;
  // The subscriber may be ready before the client (a resynchronisation then fails at once):
  // retry as soon as the client is, rather than on the timer.
  const onClientReady = () => {
    if (retry === undefined) return;
    clearTimeout(retry);
    retry = undefined;
    requestSync();
  };
  client.on('ready', onClientReady);
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  subscriber.on('close', onLost);
  subscriber.on('end', onLost);
  subscriber.on('error', onError);
  if (subscriber.status === 'ready') onReady();

  return {
    answers: (nowMs) =>
      synced !== undefined && (lostAt === undefined || nowMs - lostAt <= maxStaleness * 1000),
    ready: () => readyPromise,
    syncedAt: () => (lostAt === undefined ? Date.now() : synced),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      client.off('ready', onClientReady);
      // No more pushes reach the copy: it goes stale from now, like a lost connection.
      lostAt ??= Date.now();
      subscriber.off('message', onMessage);
      subscriber.off('ready', onReady);
      subscriber.off('close', onLost);
      subscriber.off('end', onLost);
      if (ownsSubscriber) {
        subscriber.disconnect();
        // Errors of the closing connection have nowhere to go.
        return;
      }
      subscriber.off('error', onError);
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
