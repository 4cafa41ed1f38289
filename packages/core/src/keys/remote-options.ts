/**
 * Limits and timings of remote key sources (`jwksUri`, `discovery`), shared by every remote source
 * of a verifier, and the optional logger they report to.
 */

/** Tuning of remote key sources (the `remoteKeys` option of `createVerifier`). All durations in seconds. */
export interface RemoteKeysOptions {
  /**
   * How long a fetched JWK Set is used before it is refreshed, in seconds. Default
   * {@link DEFAULT_REMOTE_KEYS}.cacheMaxAge = 600 (10 minutes). The verification that finds the
   * set this old starts the refresh in the background and is answered from the held set, as are
   * all others whose `kid` it holds (stale-while-revalidate). A token whose `kid` is not in the
   * set triggers an earlier fetch, limited by `cooldown`, and waits for it.
   */
  cacheMaxAge?: number;
  /**
   * Least time between two fetches of one key source, in seconds, whatever triggers them (an
   * unknown `kid`, an expired cache, a failed fetch). Default 30. This is what stops tokens with
   * random `kid`s from making the verifier fetch in a loop.
   */
  cooldown?: number;
  /**
   * Oldest a key set may be, in seconds since it was fetched, and still be used while the endpoint
   * fails (stale-if-error). Past it, verification fails closed with a 503 `ERR_KEYS_UNAVAILABLE`.
   * Default 7200 (2 hours: enough for tokens of a typical 1-hour lifetime issued just before an
   * outage), raised to `cacheMaxAge` when that is longer. At least `cacheMaxAge`.
   */
  maxStaleAge?: number;
  /**
   * Deadline of one key refresh, in seconds: the JWK Set request (connect, headers and body) and,
   * with discovery, the metadata requests before it, all together. Default 5.
   */
  timeout?: number;
  /** Largest response body accepted, in bytes. Default 262144 (256 KiB). */
  maxResponseSize?: number;
}

/**
 * Receives what remote key sources have to say: failed fetches, keys ignored in a JWK Set, the
 * return to health. Messages and details never contain tokens, claims or key material; they may
 * contain URLs, issuers and `kid`s, which are public.
 */
export interface TokenwardLogger {
  /** Something needs an operator's attention (a failed fetch, an ignored key). */
  warn(message: string, details?: Readonly<Record<string, unknown>>): void;
  /** Routine events (a key set fetched). Optional. */
  info?(message: string, details?: Readonly<Record<string, unknown>>): void;
}

/** {@link RemoteKeysOptions} after validation, durations in milliseconds. */
export interface RemoteKeysSettings {
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly maxStaleAgeMs: number;
  readonly timeoutMs: number;
  readonly maxResponseSize: number;
  readonly logger: TokenwardLogger | undefined;
  /** Told of every JWK Set fetch's result (the key-fetch metric). */
  readonly onFetch?: (result: 'ok' | 'error') => void;
  /** The clock, in milliseconds since the epoch (`Date.now`; replaced in unit tests). */
  readonly now: () => number;
}

/** Defaults of {@link RemoteKeysOptions}, in the option's units (seconds, bytes). */
export const DEFAULT_REMOTE_KEYS = Object.freeze({
  cacheMaxAge: 600,
  cooldown: 30,
  maxStaleAge: 7200,
  timeout: 5,
  maxResponseSize: 256 * 1024,
} as const);

/** Longest accepted `timeout`, in seconds: a key refresh holds waiting requests this long at worst. */
export const MAX_REMOTE_TIMEOUT = 60;

const REMOTE_OPTION_NAMES = new Set(Object.keys(DEFAULT_REMOTE_KEYS));

function positive(value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new TypeError(`${option}: expected a number greater than 0 and at most ${max}`);
  }
  return value;
}

/** Validates the `remoteKeys` and `logger` options. */
export function resolveRemoteKeysSettings(
  options: RemoteKeysOptions | undefined,
  logger: TokenwardLogger | undefined,
  onFetch?: (result: 'ok' | 'error') => void,
): RemoteKeysSettings {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('remoteKeys: expected an options object');
  }
  for (const key of Object.keys(options ?? {})) {
    if (!REMOTE_OPTION_NAMES.has(key)) throw new TypeError(`remoteKeys.${key}: unknown option`);
  }
  if (logger !== undefined && (typeof logger !== 'object' || typeof logger?.warn !== 'function')) {
    throw new TypeError('logger: expected an object with a warn(message, details) method');
  }
  const o = options ?? {};
  const cacheMaxAge =
    o.cacheMaxAge === undefined
      ? DEFAULT_REMOTE_KEYS.cacheMaxAge
      : positive(o.cacheMaxAge, 'remoteKeys.cacheMaxAge');
  const cooldown =
    o.cooldown === undefined
      ? DEFAULT_REMOTE_KEYS.cooldown
      : positive(o.cooldown, 'remoteKeys.cooldown');
  const maxStaleAge =
    o.maxStaleAge === undefined
      ? Math.max(DEFAULT_REMOTE_KEYS.maxStaleAge, cacheMaxAge)
      : positive(o.maxStaleAge, 'remoteKeys.maxStaleAge');
  if (maxStaleAge < cacheMaxAge) {
    throw new TypeError('remoteKeys.maxStaleAge: must be at least remoteKeys.cacheMaxAge');
  }
  const timeout =
    o.timeout === undefined
      ? DEFAULT_REMOTE_KEYS.timeout
      : positive(o.timeout, 'remoteKeys.timeout', MAX_REMOTE_TIMEOUT);
  const maxResponseSize =
    o.maxResponseSize === undefined
      ? DEFAULT_REMOTE_KEYS.maxResponseSize
      : positive(o.maxResponseSize, 'remoteKeys.maxResponseSize');
  if (!Number.isSafeInteger(maxResponseSize)) {
    throw new TypeError('remoteKeys.maxResponseSize: expected a whole number of bytes');
  }
  return {
    cacheMaxAgeMs: cacheMaxAge * 1000,
    cooldownMs: cooldown * 1000,
    maxStaleAgeMs: maxStaleAge * 1000,
    timeoutMs: timeout * 1000,
    maxResponseSize,
    logger,
    ...(onFetch && { onFetch }),
    now: () => Date.now(),
  };
}

/** Calls the logger, if any; a throwing logger must not break verification. */
export function log(
  logger: TokenwardLogger | undefined,
  level: 'warn' | 'info',
  message: string,
  details: Readonly<Record<string, unknown>>,
): void {
  try {
    if (level === 'warn') logger?.warn(message, details);
    else logger?.info?.(message, details);
  } catch {
    // Logging is best effort.
  }
}
