/**
 * The brake stores' way of talking to Redis (failure budget, anomalies): a command is sent only
 * on a ready connection and answered within a deadline, so a Redis outage costs a request a
 * bounded wait (or none) and never a queued one.
 */
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/** Refuses anything but an ioredis client or cluster. @throws TypeError */
export function requireIoredis(
  client: unknown,
  factory: string,
): asserts client is Redis | Cluster {
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof (client as Redis).defineCommand !== 'function'
  ) {
    throw new TypeError(`${factory}: expected an ioredis client`);
  }
}

/** Validates a store's `{ prefix?, timeout? }` against its defaults. @throws TypeError */
export function brakeStoreOptions(
  options: { prefix?: unknown; timeout?: unknown },
  factory: string,
  defaults: { prefix: string; timeout: number },
): { prefix: string; timeout: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${factory}: expected options { prefix?, timeout? }`);
  }
  const prefix = options.prefix ?? defaults.prefix;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 128) {
    throw new TypeError('prefix: expected a string without braces, at most 128 characters');
  }
  const timeout = options.timeout ?? defaults.timeout;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 60_000) {
    throw new TypeError('timeout: expected milliseconds in (0, 60000]');
  }
  return { prefix, timeout };
}

/**
 * Runs commands under a deadline of `timeout` ms; a connection that is not ready fails at once.
 *
 * @param what Names the store in error messages.
 */
export function boundedCommands(
  client: Redis | Cluster,
  timeout: number,
  what: string,
): <T>(command: () => Promise<T>) => Promise<T> {
  return <T>(command: () => Promise<T>): Promise<T> => {
    if (client.status !== 'ready') {
      return Promise.reject(new Error(`the ${what} Redis is not ready (${client.status})`));
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      command(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the ${what} Redis took over ${timeout} ms`)),
          timeout,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };
}
