/**
 * The options every list kept in Redis and pushed to local copies shares (the revocation list,
 * the approved-client list): its key prefix, how stale a copy may become, and how long a write
 * or a resynchronisation may take.
 */

/** Validates `{ prefix?, maxStaleness?, timeout? }` against the list's default prefix. @throws TypeError */
export function pushedListOptions(
  options: { prefix?: unknown; maxStaleness?: unknown; timeout?: unknown },
  defaultPrefix: string,
): { prefix: string; maxStaleness: number; timeout: number } {
  const prefix = options.prefix ?? defaultPrefix;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('prefix: expected a string');
  const maxStaleness = options.maxStaleness ?? 30;
  if (typeof maxStaleness !== 'number' || !(maxStaleness > 0) || maxStaleness > 86_400) {
    throw new TypeError('maxStaleness: expected seconds in (0, 86400]');
  }
  const timeout = options.timeout ?? 2000;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 60_000) {
    throw new TypeError('timeout: expected milliseconds in (0, 60000]');
  }
  return { prefix, maxStaleness, timeout };
}
