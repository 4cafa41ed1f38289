/**
 * The failure budget: an address that keeps presenting bad tokens is refused for a while, before
 * any of its tokens is decoded, decrypted or verified. What a guessing or flooding client costs
 * the server is then one look-up per request.
 */
import { LRUCache } from 'lru-cache';
import { TokenwardError, type TokenwardErrorOptions } from '../errors/errors';

/** Options of the `failureBudget` verifier option. */
export interface FailureBudgetOptions {
  /**
   * Authentication failures (401 answers about a token, not 400s, 503s or a missing token) one
   * address may cause within `window`; the one that reaches it starts the block. Default 20.
   */
  failures?: number;
  /** The counting window in seconds, from an address's first failure. Default 60. */
  window?: number;
  /** How long a blocked address is refused, in seconds. Default: `window`. */
  block?: number;
  /**
   * Where counts are kept. Default: a {@link createMemoryFailureBudgetStore} of this verifier
   * (per process; share a store between verifiers or processes to share budgets).
   */
  store?: FailureBudgetStore;
}

/** The validated limits, handed to the store with every failure. */
export interface FailureBudgetLimits {
  /** Failures within the window that start a block. */
  readonly failures: number;
  /** The counting window, in milliseconds. */
  readonly windowMs: number;
  /** How long a block lasts, in milliseconds. */
  readonly blockMs: number;
}

/**
 * Where failure counts live: the memory store, or a shared one (Redis) implementing the same
 * two calls. A store that answers with a promise is awaited by `verifyRequest` (the adapters'
 * synchronous cache path then never answers); a rejected `blockedFor` counts as not blocked
 * (the budget is a brake, not an authentication: the token is still verified in full).
 */
export interface FailureBudgetStore {
  /**
   * Milliseconds until `key` may be served again; 0 (or less) when it may be served now.
   *
   * @param key The address's budget key (an IPv4 address, or an IPv6 /64 network).
   * @param nowMs The time of the request.
   */
  blockedFor(key: string, nowMs: number): number | Promise<number>;
  /**
   * Counts one authentication failure of `key` under `limits`, starting a block when the count
   * reaches `limits.failures` within `limits.windowMs`.
   */
  recordFailure(key: string, nowMs: number, limits: FailureBudgetLimits): void | Promise<void>;
}

/** Options of {@link createMemoryFailureBudgetStore}. */
export interface MemoryFailureBudgetStoreOptions {
  /**
   * Addresses tracked at once; the least recently seen is forgotten beyond it, so a spray of
   * addresses costs bounded memory. Default 10,000.
   */
  maxEntries?: number;
}

/** The failure budget's defaults. */
export const DEFAULT_FAILURE_BUDGET = Object.freeze({
  failures: 20,
  window: 60,
  maxEntries: 10_000,
});

/** The longest `window` or `block` accepted, in seconds (one day). */
export const MAX_FAILURE_BUDGET_SECONDS = 86_400;

/**
 * The request's address used up its failure budget: 429 `ERR_FAILURE_BUDGET_EXHAUSTED` with
 * `Retry-After`. No challenge and no `error` attribute: the token was not looked at, so it is
 * not blamed (RFC 6585 §4); the body carries only `error_description`.
 *
 * @example
 * ```ts
 * if (err instanceof FailureBudgetExhaustedError) res.status(429).set(err.headers).end()
 * ```
 */
export class FailureBudgetExhaustedError extends TokenwardError {
  /** Seconds until the block ends, at least 1. */
  readonly retryAfter: number;

  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      429,
      undefined,
      'ERR_FAILURE_BUDGET_EXHAUSTED',
      'too many failed authentications from this address; retry later',
      options,
    );
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  /** `Retry-After` only. */
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }

  /** `{ error_description }`. */
  override toJSON(): { error_description: string } {
    return { error_description: this.message };
  }
}

interface BudgetEntry {
  count: number;
  windowEnd: number;
  blockedUntil: number;
  /** The block's length: the clock going back never makes it last longer. */
  blockMs: number;
}

/**
 * Creates a memory {@link FailureBudgetStore}: one process, bounded in size (an LRU of
 * `maxEntries` addresses). Fixed windows: an address's first failure opens a window of
 * `window` seconds; a window that ends below the limit is forgotten.
 *
 * @example
 * ```ts
 * const store = createMemoryFailureBudgetStore({ maxEntries: 50_000 })
 * createVerifier({ ...options, failureBudget: { failures: 10, store } })
 * ```
 */
export function createMemoryFailureBudgetStore(
  options: MemoryFailureBudgetStoreOptions = {},
): FailureBudgetStore {
  const max = options.maxEntries ?? DEFAULT_FAILURE_BUDGET.maxEntries;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('maxEntries: expected a positive integer');
  }
  const entries = new LRUCache<string, BudgetEntry>({ max });
  return {
    blockedFor(key, nowMs) {
      const entry = entries.get(key);
      if (entry === undefined || entry.blockedUntil === 0) return 0;
      if (entry.blockedUntil > nowMs) return Math.min(entry.blockedUntil - nowMs, entry.blockMs);
      // The block is over: the address starts again with a whole budget.
      entries.delete(key);
      return 0;
    },
    recordFailure(key, nowMs, limits) {
      const entry = entries.get(key);
      // A window ending further ahead than its length: the clock went back; start afresh.
      const stale =
        entry !== undefined &&
        entry.blockedUntil === 0 &&
        (nowMs >= entry.windowEnd || entry.windowEnd - nowMs > limits.windowMs);
      if (entry === undefined || stale) {
        const fresh = {
          count: 1,
          windowEnd: nowMs + limits.windowMs,
          blockedUntil: 0,
          blockMs: limits.blockMs,
        };
        if (limits.failures <= 1) fresh.blockedUntil = nowMs + limits.blockMs;
        entries.set(key, fresh);
        return;
      }
      // Failures that were in flight when the block began do not lengthen it.
      if (entry.blockedUntil !== 0) return;
      entry.count += 1;
      if (entry.count >= limits.failures) {
        entry.blockedUntil = nowMs + limits.blockMs;
        entry.blockMs = limits.blockMs;
      }
    },
  };
}

/** The `failureBudget` option, validated. */
export interface FailureBudgetPlan {
  /** The limits, handed to the store with every failure. */
  readonly limits: FailureBudgetLimits;
  /** Where counts are kept. */
  readonly store: FailureBudgetStore;
}

const OPTIONS = new Set(['failures', 'window', 'block', 'store']);

/**
 * Validates the `failureBudget` option (`{}` for the defaults).
 *
 * @throws TypeError naming `failureBudget.<member>`.
 */
export function resolveFailureBudget(value: unknown): FailureBudgetPlan | undefined {
  if (value === undefined) return undefined;
  const options = value as FailureBudgetOptions;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('failureBudget: expected an object ({ failures, window, block, store })');
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) throw new TypeError(`failureBudget.${key}: unknown option`);
  }
  const failures = options.failures ?? DEFAULT_FAILURE_BUDGET.failures;
  if (!Number.isSafeInteger(failures) || failures < 1) {
    throw new TypeError('failureBudget.failures: expected a positive integer');
  }
  const window = duration(options.window ?? DEFAULT_FAILURE_BUDGET.window, 'failureBudget.window');
  const block = duration(options.block ?? window, 'failureBudget.block');
  const store = options.store ?? createMemoryFailureBudgetStore();
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.blockedFor !== 'function' ||
    typeof store.recordFailure !== 'function'
  ) {
    throw new TypeError(
      'failureBudget.store: expected a FailureBudgetStore (blockedFor, recordFailure)',
    );
  }
  return {
    limits: Object.freeze({ failures, windowMs: window * 1000, blockMs: block * 1000 }),
    store,
  };
}

function duration(value: unknown, option: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > MAX_FAILURE_BUDGET_SECONDS
  ) {
    throw new TypeError(
      `${option}: expected a number of seconds above 0 and at most ${MAX_FAILURE_BUDGET_SECONDS}`,
    );
  }
  return value;
}
