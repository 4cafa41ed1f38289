/**
 * The sample app's traffic-control settings, read from the environment: the rate-limit quotas of
 * the messages routes, the failure budget, the approved clients, and where the admin API may be
 * called from ([docs/traffic-control.md](../../../../docs/traffic-control.md)). Where the
 * counters live follows `TOKENWARD_REDIS_URL`, like the rest of the app's shared state.
 */
import { parseNetworks } from '@tokenward/core';
import { CLIENT_ID_RULE, commaList, countPerWindow, isClientId, quote } from './env-checks';

/** One rate-limit window: `points` requests per `duration` seconds. */
export interface QuotaSettings {
  readonly points: number;
  readonly duration: number;
}

/** The failure budget: `failures` bad tokens within `window` seconds block an address for `window` seconds. */
export interface FailureBudgetSettings {
  readonly failures: number;
  readonly window: number;
}

/**
 * The anomaly detectors: a token from more than `spreadAddresses` addresses within
 * `spreadWindow` seconds, bursts of denials per client, revoked tokens presented again and
 * replayed DPoP proofs; each blocks for `block` seconds when set, else alerts only.
 */
export interface AnomalySettings {
  readonly spreadAddresses: number;
  readonly spreadWindow: number;
  readonly block?: number;
}

/** The token-spread detector when `TOKENWARD_ANOMALY_SPREAD` is unset: 3 addresses in 300 s. */
export const DEFAULT_ANOMALY_SPREAD = Object.freeze({ addresses: 3, window: 300 });

/**
 * Traffic control as configured. Each member is present only when its variable is set; the
 * defaults are {@link DEFAULT_RATE_LIMIT}, {@link DEFAULT_GOLD_RATE_LIMIT} and
 * {@link DEFAULT_ADMIN_ALLOW_FROM} (no failure budget, every client accepted).
 */
export interface TrafficSettings {
  /** `TOKENWARD_RATE_LIMIT`: each subject's quota on each messages route. */
  readonly rateLimit?: QuotaSettings;
  /** `TOKENWARD_RATE_LIMIT_GOLD`: the quota of tokens with scope `tier:gold` on `GET /api/messages`. */
  readonly goldRateLimit?: QuotaSettings;
  /** `TOKENWARD_FAILURE_BUDGET`: off when absent. */
  readonly failureBudget?: FailureBudgetSettings;
  /** `TOKENWARD_APPROVED_CLIENTS`: the clients approved at first start; every client when absent. */
  readonly approvedClients?: readonly string[];
  /** `TOKENWARD_ADMIN_ALLOW_FROM`: the networks the admin API may be called from. */
  readonly adminAllowFrom?: readonly string[];
  /** `TOKENWARD_ANOMALIES=on` (with `TOKENWARD_ANOMALY_SPREAD`, `TOKENWARD_ANOMALY_BLOCK`). */
  readonly anomalies?: AnomalySettings;
}

/** Each subject's quota per messages route when `TOKENWARD_RATE_LIMIT` is unset: 600 a minute. */
export const DEFAULT_RATE_LIMIT: QuotaSettings = Object.freeze({ points: 600, duration: 60 });
/** The `tier:gold` quota of `GET /api/messages` when `TOKENWARD_RATE_LIMIT_GOLD` is unset. */
export const DEFAULT_GOLD_RATE_LIMIT: QuotaSettings = Object.freeze({ points: 6000, duration: 60 });
/** Where the admin API may be called from when `TOKENWARD_ADMIN_ALLOW_FROM` is unset: loopback. */
export const DEFAULT_ADMIN_ALLOW_FROM: readonly string[] = Object.freeze(['127.0.0.1', '::1']);

type Env = Readonly<Record<string, string | undefined>>;

const value = (env: Env, name: string) => {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
};

function quota(env: Env, name: string, problems: string[]): QuotaSettings | undefined {
  const text = value(env, name);
  if (text === undefined) return undefined;
  const parsed = countPerWindow(text);
  if (typeof parsed === 'string') {
    problems.push(`${name}: ${parsed}`);
    return undefined;
  }
  return { points: parsed.count, duration: parsed.seconds };
}

function failureBudget(env: Env, problems: string[]): FailureBudgetSettings | undefined {
  const text = value(env, 'TOKENWARD_FAILURE_BUDGET');
  if (text === undefined) return undefined;
  const parsed = countPerWindow(text);
  if (typeof parsed === 'string') {
    problems.push(`TOKENWARD_FAILURE_BUDGET: ${parsed.replace('<count>', '<failures>')}`);
    return undefined;
  }
  return { failures: parsed.count, window: parsed.seconds };
}

function approvedClients(env: Env, problems: string[]): string[] | undefined {
  const text = value(env, 'TOKENWARD_APPROVED_CLIENTS');
  if (text === undefined) return undefined;
  const ids = commaList(text);
  const bad = ids.filter((id) => !isClientId(id));
  if (bad.length > 0) {
    problems.push(
      `TOKENWARD_APPROVED_CLIENTS: expected comma-separated client ids of ${CLIENT_ID_RULE}, got ${bad.map(quote).join(', ')}`,
    );
    return undefined;
  }
  return [...new Set(ids)];
}

function adminAllowFrom(env: Env, problems: string[]): string[] | undefined {
  const text = value(env, 'TOKENWARD_ADMIN_ALLOW_FROM');
  if (text === undefined) return undefined;
  const entries = commaList(text);
  try {
    parseNetworks(entries, 'TOKENWARD_ADMIN_ALLOW_FROM');
  } catch (error) {
    // The message names the variable and the bad entry (core's network parser).
    problems.push((error as Error).message);
    return undefined;
  }
  return entries;
}

function anomalies(env: Env, problems: string[]): AnomalySettings | undefined {
  const switchText = value(env, 'TOKENWARD_ANOMALIES');
  const spreadText = value(env, 'TOKENWARD_ANOMALY_SPREAD');
  const blockText = value(env, 'TOKENWARD_ANOMALY_BLOCK');
  if (switchText !== undefined && switchText !== 'on' && switchText !== 'off') {
    problems.push(`TOKENWARD_ANOMALIES: expected on or off, got ${quote(switchText)}`);
    return undefined;
  }
  if (switchText !== 'on') {
    // Settings for detectors that do not run are a mistake worth reporting.
    if (spreadText !== undefined || blockText !== undefined) {
      problems.push(
        'TOKENWARD_ANOMALY_SPREAD and TOKENWARD_ANOMALY_BLOCK need TOKENWARD_ANOMALIES=on',
      );
    }
    return undefined;
  }
  let spread: { count: number; seconds: number } = {
    count: DEFAULT_ANOMALY_SPREAD.addresses,
    seconds: DEFAULT_ANOMALY_SPREAD.window,
  };
  if (spreadText !== undefined) {
    const parsed = countPerWindow(spreadText);
    if (typeof parsed === 'string' || parsed.count > 100) {
      problems.push(
        `TOKENWARD_ANOMALY_SPREAD: expected <addresses>/<seconds> (addresses 1 to 100), got ${quote(spreadText)}`,
      );
      return undefined;
    }
    spread = parsed;
  }
  let block: number | undefined;
  if (blockText !== undefined) {
    block = /^\d{1,5}$/.test(blockText) ? Number(blockText) : NaN;
    if (!(block >= 1 && block <= 86_400)) {
      problems.push(
        `TOKENWARD_ANOMALY_BLOCK: expected whole seconds from 1 to 86400, got ${quote(blockText)}`,
      );
      return undefined;
    }
  }
  return {
    spreadAddresses: spread.count,
    spreadWindow: spread.seconds,
    ...(block !== undefined && { block }),
  };
}

/**
 * Reads the traffic-control variables, adding one problem per bad value.
 *
 * @returns the settings given, or `undefined` when none of the variables is set.
 * @example `loadTrafficSettings({ TOKENWARD_RATE_LIMIT: '5/30' }, problems)`
 */
export function loadTrafficSettings(env: Env, problems: string[]): TrafficSettings | undefined {
  const settings: TrafficSettings = {
    ...optional('rateLimit', quota(env, 'TOKENWARD_RATE_LIMIT', problems)),
    ...optional('goldRateLimit', quota(env, 'TOKENWARD_RATE_LIMIT_GOLD', problems)),
    ...optional('failureBudget', failureBudget(env, problems)),
    ...optional('approvedClients', approvedClients(env, problems)),
    ...optional('adminAllowFrom', adminAllowFrom(env, problems)),
    ...optional('anomalies', anomalies(env, problems)),
  };
  return Object.keys(settings).length === 0 ? undefined : settings;
}

function optional<K extends string, V>(key: K, item: V | undefined): { [P in K]?: V } {
  return (item === undefined ? {} : { [key]: item }) as { [P in K]?: V };
}

/** The traffic settings with every default filled in. */
export interface TrafficPlan {
  readonly rateLimit: QuotaSettings;
  readonly goldRateLimit: QuotaSettings;
  readonly failureBudget?: FailureBudgetSettings;
  readonly approvedClients?: readonly string[];
  readonly adminAllowFrom: readonly string[];
  readonly anomalies?: AnomalySettings;
}

/** Fills in the defaults of {@link TrafficSettings}. */
export function trafficPlan(settings: TrafficSettings | undefined): TrafficPlan {
  return {
    rateLimit: settings?.rateLimit ?? DEFAULT_RATE_LIMIT,
    goldRateLimit: settings?.goldRateLimit ?? DEFAULT_GOLD_RATE_LIMIT,
    adminAllowFrom: settings?.adminAllowFrom ?? DEFAULT_ADMIN_ALLOW_FROM,
    ...(settings?.failureBudget !== undefined && { failureBudget: settings.failureBudget }),
    ...(settings?.approvedClients !== undefined && { approvedClients: settings.approvedClients }),
    ...(settings?.anomalies !== undefined && { anomalies: settings.anomalies }),
  };
}
