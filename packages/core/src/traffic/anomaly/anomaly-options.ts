/**
 * The `anomalies` verifier option: which detectors run, their thresholds and windows, whether a
 * detection also blocks (and for how long), and where counts live. Validated once, when the
 * verifier is created.
 */
import { createMemoryAnomalyStore, type AnomalyStore } from './anomaly-store';

/** One token (issuer + `jti`) used from more than `addresses` addresses within `window`. */
export interface TokenSpreadOptions {
  /** Distinct addresses (IPv4, or IPv6 /64) one token may be used from, at most 100. Default 3. */
  addresses?: number;
  /** The window in seconds, from the token's first use. Default 300. */
  window?: number;
  /** Seconds the token is then refused (401 `ERR_TOKEN_QUARANTINED`); `false` (default): alert only. */
  block?: number | false;
}

/** More than `denials` refusals of one client's verified tokens within `window`. */
export interface DenialBurstOptions {
  /** Refusals of verified tokens (403, 429, revoked, binding failures) per client. Default 20. */
  denials?: number;
  /** The window in seconds, from the client's first denial. Default 60. */
  window?: number;
  /** Seconds the client is then refused (403 `ERR_ANOMALY_BLOCKED`); `false` (default): alert only. */
  block?: number | false;
}

/** A detector that fires on every occurrence: a revoked token presented, a proof replayed. */
export interface OccurrenceOptions {
  /**
   * Seconds the culprit is then refused: the request's address for a revoked token (403
   * `ERR_ANOMALY_BLOCKED`), the token for a replayed proof (401 `ERR_TOKEN_QUARANTINED`);
   * `false` (default): alert only.
   */
  block?: number | false;
}

/** Options of the `anomalies` verifier option; a detector runs when its member is present. */
export interface AnomalyOptions {
  /** One token seen from too many addresses: `anomaly_token_spread`. */
  tokenSpread?: TokenSpreadOptions | true;
  /** A burst of denials of one client: `anomaly_denial_burst`. */
  denialBurst?: DenialBurstOptions | true;
  /** A revoked token presented again: `authn_token_reuse` (the OWASP name). */
  revokedTokenUse?: OccurrenceOptions | true;
  /** A DPoP proof presented twice: `anomaly_proof_replay`. */
  replayedProof?: OccurrenceOptions | true;
  /**
   * Where counts and blocks live. Default: a `createMemoryAnomalyStore()` of this verifier;
   * `createRedisAnomalyStore(client)` of `@tokenward/redis` shares them between instances.
   */
  store?: AnomalyStore;
}

/** A threshold detector, validated (times in milliseconds). */
export interface ThresholdPlan {
  readonly threshold: number;
  readonly windowMs: number;
  /** 0: alert only. */
  readonly blockMs: number;
}

/** The `anomalies` option, validated. */
export interface AnomalyPlan {
  readonly tokenSpread: ThresholdPlan | undefined;
  readonly denialBurst: ThresholdPlan | undefined;
  /** Block of the address after a revoked token, in ms (0: alert only), or off. */
  readonly revokedTokenUse: { readonly blockMs: number } | undefined;
  /** Block of the token after a replayed proof, in ms (0: alert only), or off. */
  readonly replayedProof: { readonly blockMs: number } | undefined;
  readonly store: AnomalyStore;
}

/** The longest window or block accepted, in seconds (one day). */
export const MAX_ANOMALY_SECONDS = 86_400;

const OPTIONS = new Set([
  'tokenSpread',
  'denialBurst',
  'revokedTokenUse',
  'replayedProof',
  'store',
]);

/**
 * Validates the `anomalies` option.
 *
 * @throws TypeError naming `anomalies.<member>`.
 */
export function resolveAnomalies(value: unknown): AnomalyPlan | undefined {
  if (value === undefined) return undefined;
  const options = value as AnomalyOptions;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      'anomalies: expected an object ({ tokenSpread, denialBurst, revokedTokenUse, replayedProof, store })',
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) throw new TypeError(`anomalies.${key}: unknown option`);
  }
  const plan: AnomalyPlan = {
    tokenSpread: threshold(options.tokenSpread, 'tokenSpread', 'addresses', 3, 300, 100),
    denialBurst: threshold(options.denialBurst, 'denialBurst', 'denials', 20, 60, 10_000),
    revokedTokenUse: occurrence(options.revokedTokenUse, 'revokedTokenUse'),
    replayedProof: occurrence(options.replayedProof, 'replayedProof'),
    store: options.store ?? createMemoryAnomalyStore(),
  };
  const { store } = plan;
  if (
    typeof store !== 'object' ||
    store === null ||
    !['addDistinct', 'countEvent', 'block', 'blockedFor'].every(
      (m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function',
    )
  ) {
    throw new TypeError(
      'anomalies.store: expected an AnomalyStore (addDistinct, countEvent, block, blockedFor)',
    );
  }
  if (
    plan.tokenSpread === undefined &&
    plan.denialBurst === undefined &&
    plan.revokedTokenUse === undefined &&
    plan.replayedProof === undefined
  ) {
    throw new TypeError('anomalies: expected at least one detector (tokenSpread, denialBurst, …)');
  }
  return plan;
}

function members(
  value: unknown,
  option: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`anomalies.${option}: expected true or an object (${allowed.join(', ')})`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new TypeError(`anomalies.${option}.${key}: unknown option`);
  }
  return value as Record<string, unknown>;
}

function threshold(
  value: unknown,
  option: string,
  countName: string,
  defaultCount: number,
  defaultWindow: number,
  most: number,
): ThresholdPlan | undefined {
  if (value === undefined) return undefined;
  const given = members(value, option, [countName, 'window', 'block']);
  const count = given[countName] ?? defaultCount;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > most) {
    throw new TypeError(
      `anomalies.${option}.${countName}: expected a whole number from 1 to ${most}`,
    );
  }
  return {
    threshold: count,
    windowMs: seconds(given.window ?? defaultWindow, `${option}.window`) * 1000,
    blockMs: blockOf(given.block, option),
  };
}

function occurrence(value: unknown, option: string): { blockMs: number } | undefined {
  if (value === undefined) return undefined;
  return { blockMs: blockOf(members(value, option, ['block']).block, option) };
}

function blockOf(value: unknown, option: string): number {
  return value === undefined || value === false ? 0 : seconds(value, `${option}.block`) * 1000;
}

function seconds(value: unknown, option: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > MAX_ANOMALY_SECONDS
  ) {
    throw new TypeError(
      `anomalies.${option}: expected a number of seconds above 0 and at most ${MAX_ANOMALY_SECONDS}`,
    );
  }
  return value;
}
