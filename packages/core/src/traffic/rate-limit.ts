/**
 * Rate limits keyed by the verified identity: a route requirement (part of the route step, so it
 * only ever sees a verified token) that counts each request against one or more windows, answers
 * with the `RateLimit-Policy` / `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers, and
 * refuses with 429 `ERR_RATE_LIMITED` once a window is used up.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { ResponseHeaderSetter, RouteRequirement } from '../authz/policies';
import { RateLimitedError } from '../errors/rate-limited-error';
import type { RequestLike } from '../http/request';
import type { AccessToken } from '../verifier/access-token';
import { identityKey, ipKey, type RateLimitKey } from './rate-limit-key';
import {
  memoryRateLimitStore,
  type RateLimitCounter,
  type RateLimitState,
  type RateLimitStore,
} from './rate-limit-store';

export type { RateLimitKey } from './rate-limit-key';

/** One window: at most `points` requests per `duration` seconds. */
export interface RateLimitWindow {
  /** Requests allowed per window: a whole number of at least 1. */
  readonly points: number;
  /** The window in seconds: a whole number of at least 1. */
  readonly duration: number;
  /**
   * The policy's name in the `RateLimit-Policy` and `RateLimit` fields, and in its counters'
   * keys: letters, digits, `.`, `_`, `-`, at most 64. Default `<name>-<duration>s`.
   */
  readonly name?: string;
}

/** Limits for tokens that carry a scope (`tier:gold`), instead of the default ones. */
export interface RateLimitTier {
  /** The scope that selects this tier. */
  readonly scope: string;
  /** The windows of this tier. */
  readonly limits: readonly RateLimitWindow[];
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** What requests are counted by; see {@link RateLimitKey}. */
  readonly key: RateLimitKey;
  /**
   * The windows, all enforced at once: a request must fit every one (a burst and a sustained
   * limit, say). Each request counts against each window, also when another refuses it.
   */
  readonly limits: readonly RateLimitWindow[];
  /** Per-scope limits: the first tier whose scope the token has applies; `limits` otherwise. */
  readonly tiers?: readonly RateLimitTier[];
  /** Where counters live. Default {@link memoryRateLimitStore} (this process only). */
  readonly store?: RateLimitStore;
  /**
   * The rate limit's name, in its windows' default names and its counters' keys: letters,
   * digits, `.`, `_`, `-`, at most 64. Default the key (`'client'`, …; `'custom'` for a function).
   * Give two rate limits on one route different names.
   */
  readonly name?: string;
  /** The namespace of the counters' keys. Default `tokenward:rl`. */
  readonly prefix?: string;
  /**
   * A request without the identity (no `client_id` for `'client'`, an unbound token for
   * `'jkt'`): `'ip'` (default) counts it by its address instead, in this limit's windows (every
   * such request from one address shares a quota); `'refuse'` answers 429. A request without an
   * address either is refused: a rate limit never lets a request through uncounted.
   */
  readonly onMissingKey?: 'ip' | 'refuse';
}

/** The default namespace of counter keys. */
export const DEFAULT_RATE_LIMIT_PREFIX = 'tokenward:rl';

const OPTION_NAMES = new Set(['key', 'limits', 'tiers', 'store', 'name', 'prefix', 'onMissingKey']);
const KEYS = new Set(['client', 'subject', 'jkt', 'ip', 'tenant']);
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
// No braces: the identity's `{…}` must be the key's first hash tag (Redis Cluster slots).
const PREFIX = /^[A-Za-z0-9._:-]{1,128}$/;

/** One window with its counters. */
interface Window {
  readonly name: string;
  readonly points: number;
  readonly duration: number;
  readonly counter: RateLimitCounter;
  /** Counts locally when a store other than the default fails with an error. */
  readonly fallback: RateLimitCounter | undefined;
}

/** The windows of the default limits or of a tier, and their `RateLimit-Policy` value. */
interface Plan {
  readonly windows: readonly Window[];
  readonly policy: string;
}

/**
 * Creates a rate limit for a route: a {@link RouteRequirement} that counts each request by the
 * verified identity and refuses it with {@link RateLimitedError} (429, `Retry-After`) once a
 * window is used up. Mount it like any requirement (`rateLimit` of @tokenward/express,
 * `@RateLimit` of @tokenward/nest): it runs in the route step, after authentication.
 *
 * An allowed request gets `RateLimit-Policy` and `RateLimit` response fields
 * (draft-ietf-httpapi-ratelimit-headers): `"client-60s";q=100;w=60` and `"client-60s";r=42;t=17`.
 *
 * A store that fails (Redis down) never fails the request: `redisRateLimitStore` answers from
 * its in-memory insurance limiter, and a store that rejects with an error anyway is replaced by
 * a local counter for that request. Called as a plain policy (with the token alone, no
 * request), it has no address and sets no header; inside `allOf`/`anyOf` run by the route step
 * it gets the request.
 *
 * @throws TypeError naming the offending option.
 * @example
 * ```ts
 * rateLimit({
 *   key: 'client',
 *   limits: [{ name: 'burst', points: 20, duration: 1 }, { name: 'hourly', points: 1000, duration: 3600 }],
 *   tiers: [{ scope: 'tier:gold', limits: [{ name: 'burst', points: 100, duration: 1 }] }],
 * })
 * ```
 */
export function rateLimit(options: RateLimitOptions): RouteRequirement {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('rateLimit: expected options { key, limits }');
  }
  for (const option of Object.keys(options)) {
    if (!OPTION_NAMES.has(option)) throw new TypeError(`rateLimit: unknown option ${option}`);
  }
  const { key } = options;
  if (typeof key !== 'function' && !KEYS.has(key as string)) {
    throw new TypeError(
      `rateLimit.key: expected 'client', 'subject', 'jkt', 'ip', 'tenant' or a function (token, request) => string`,
    );
  }
  const name = options.name ?? (typeof key === 'function' ? 'custom' : key);
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError('rateLimit.name: expected letters, digits, ".", "_" or "-" (at most 64)');
  }
  const prefix = options.prefix ?? DEFAULT_RATE_LIMIT_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new TypeError(
      'rateLimit.prefix: expected letters, digits, ".", "_", ":" or "-" (at most 128, no braces)',
    );
  }
  const onMissingKey = options.onMissingKey ?? 'ip';
  if (onMissingKey !== 'ip' && onMissingKey !== 'refuse') {
    throw new TypeError(`rateLimit.onMissingKey: expected 'ip' or 'refuse'`);
  }
  const custom = options.store !== undefined;
  const store = options.store ?? memoryRateLimitStore();
  if (typeof store !== 'function') {
    throw new TypeError('rateLimit.store: expected a store (window) => counter');
  }
  const plan = (limits: unknown, tier: string, what: string): Plan => {
    if (!Array.isArray(limits) || limits.length === 0) {
      throw new TypeError(`${what}: expected at least one window { points, duration }`);
    }
    const names = new Set<string>();
    const windows = (limits as RateLimitWindow[]).map((limit, i): Window => {
      const at = `${what}[${i}]`;
      if (typeof limit !== 'object' || limit === null) {
        throw new TypeError(`${at}: expected { points, duration }`);
      }
      const { points, duration } = limit;
      if (!Number.isSafeInteger(points) || points < 1) {
        throw new TypeError(`${at}.points: expected a whole number of at least 1`);
      }
      if (!Number.isSafeInteger(duration) || duration < 1) {
        throw new TypeError(`${at}.duration: expected whole seconds, at least 1`);
      }
      const windowName = limit.name ?? `${name}-${duration}s`;
      if (typeof windowName !== 'string' || !NAME.test(windowName)) {
        throw new TypeError(`${at}.name: expected letters, digits, ".", "_" or "-" (at most 64)`);
      }
      if (names.has(windowName)) {
        throw new TypeError(`${at}.name: ${windowName} names two windows; name them apart`);
      }
      names.add(windowName);
      const keyPrefix = `${prefix}:${name}:${tier}:${windowName}`;
      const counter = store({ points, duration, keyPrefix });
      if (typeof counter?.consume !== 'function') {
        throw new TypeError('rateLimit.store: the store returned no counter { consume }');
      }
      return {
        name: windowName,
        points,
        duration,
        counter,
        fallback: custom ? new RateLimiterMemory({ points, duration, keyPrefix }) : undefined,
      };
    });
    const policy = windows.map((w) => `${quoted(w.name)};q=${w.points};w=${w.duration}`).join(', ');
    return { windows, policy };
  };
  const defaults = plan(options.limits, 'default', 'rateLimit.limits');
  const tierOptions = options.tiers ?? [];
  if (!Array.isArray(tierOptions)) throw new TypeError('rateLimit.tiers: expected an array');
  const tiers = (tierOptions as RateLimitTier[]).map((tier, i) => {
    if (typeof tier?.scope !== 'string' || tier.scope === '') {
      throw new TypeError(`rateLimit.tiers[${i}].scope: expected a scope`);
    }
    // The tier's position, not its scope, goes into keys: a scope may hold any character.
    return { scope: tier.scope, plan: plan(tier.limits, `t${i}`, `rateLimit.tiers[${i}].limits`) };
  });

  const check = async (
    token: AccessToken,
    request: RequestLike | undefined,
    setHeader: ResponseHeaderSetter | undefined,
  ): Promise<void> => {
    const { windows, policy } = tiers.find((t) => token.scopes.has(t.scope))?.plan ?? defaults;
    let id = identityKey(key, token, request);
    if (id === undefined && onMissingKey === 'ip') id = ipKey(token, request);
    if (id === undefined) {
      // Nothing to count by: refusing is the only answer that cannot be used to escape the limit.
      throw new RateLimitedError(
        `the request has no ${typeof key === 'function' ? 'key' : key} to apply the rate limit ${name} to`,
        (windows[0] as Window).duration,
        { 'RateLimit-Policy': policy },
      );
    }
    const counted = id;
    const outcomes = await Promise.all(windows.map((w) => count(w, counted)));
    const fields = {
      'RateLimit-Policy': policy,
      RateLimit: outcomes
        .map(
          ({ window, state }) =>
            `${quoted(window.name)};r=${Math.max(0, Math.floor(state.remainingPoints))};t=${seconds(state.msBeforeNext)}`,
        )
        .join(', '),
    };
    const refused = outcomes.filter((o) => o.refused);
    if (refused.length > 0) {
      const wait = Math.max(...refused.map((o) => o.state.msBeforeNext)) / 1000;
      throw new RateLimitedError(
        `the rate limit ${refused.map((o) => o.window.name).join(', ')} is used up`,
        wait,
        fields,
      );
    }
    if (setHeader !== undefined) {
      setHeader('RateLimit-Policy', fields['RateLimit-Policy']);
      setHeader('RateLimit', fields.RateLimit);
    }
  };
  // The plain-policy form (the token alone): no request, so no address and no headers.
  return Object.assign((token: AccessToken) => check(token, undefined, undefined), {
    forRequest: check,
  });
}

/** Counts one request in one window; a failing store other than the default counts locally. */
async function count(
  window: Window,
  key: string,
): Promise<{ window: Window; state: RateLimitState; refused: boolean }> {
  try {
    return { window, state: await window.counter.consume(key, 1), refused: false };
  } catch (error) {
    if (isState(error)) return { window, state: error, refused: true };
    if (window.fallback === undefined) throw error;
  }
  try {
    return { window, state: await window.fallback.consume(key, 1), refused: false };
  } catch (error) {
    if (isState(error)) return { window, state: error, refused: true };
    throw error;
  }
}

/** A used-up window's answer (rate-limiter-flexible rejects with its state, not an Error). */
function isState(value: unknown): value is RateLimitState {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as RateLimitState).msBeforeNext === 'number' &&
    typeof (value as RateLimitState).remainingPoints === 'number'
  );
}

/** Whole seconds until a reset, rounded up: a client that waits `t` finds the window new. */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : 0;
}

/** A structured-field String (RFC 9651 §3.3.3); names are plain ASCII by validation. */
function quoted(value: string): string {
  return `"${value}"`;
}
