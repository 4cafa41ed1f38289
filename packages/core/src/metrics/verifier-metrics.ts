/**
 * The verifier's OpenTelemetry instruments (meter `tokenward`). Without an SDK the API's meter is
 * a no-op and each record costs a function call. Labels are bounded by construction: outcome,
 * stage, reason (a fixed set of codes), issuer (a configured one, else `other`), binding scheme
 * and introspection outcome; never a subject, client, token or ip.
 */
import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';
import type { AuditStage } from '../audit/audit-event';

/** The `metrics` option: the meter provider to use, or `false` for none. */
export interface MetricsOptions {
  /** Default: the global provider (`metrics.getMeterProvider()`) when the verifier is created. */
  meterProvider?: MeterProvider;
}

/**
 * How one introspection ended: the endpoint answered active or inactive, the request failed, or
 * it was not sent because the endpoint is being backed off (introspection/endpoint-health.ts).
 */
export type IntrospectionOutcome = 'active' | 'inactive' | 'error' | 'rejected_open';

/** What the verifier records. */
export interface VerifierMetrics {
  decision(
    stage: AuditStage,
    outcome: 'allow' | 'deny',
    reason: string,
    issuer: string | undefined,
  ): void;
  /** A complete verification (a cache miss), in seconds. */
  verification(seconds: number, outcome: 'allow' | 'deny'): void;
  cacheLookup(hit: boolean): void;
  keyFetch(result: 'ok' | 'error'): void;
  auditDropped(cause: string, count: number): void;
  /** One introspection request, or one the backoff did not send. */
  introspection(outcome: IntrospectionOutcome): void;
  /** One look-up in the introspection cache (at most one per verification). */
  introspectionCacheLookup(hit: boolean): void;
  /** One detection of an anomaly detector (`anomaly_token_spread`, …), alert or block. */
  anomaly(event: string, action: 'alert' | 'block'): void;
}

/** The meter's name and version (instrumentation scope). */
export const METER_NAME = 'tokenward';

/**
 * Creates the instruments on the configured (or global) provider.
 *
 * Call after the application registered its OpenTelemetry SDK: the API has no proxy for meters,
 * so instruments made from the no-op provider stay no-ops.
 *
 * @param options `false` for no metrics at all; `{ meterProvider }` for a specific provider.
 * @param issuers The configured issuers: the only issuer label values besides `other`.
 * @example
 * ```ts
 * const m = createVerifierMetrics(undefined, new Set(['https://issuer.example']))
 * m.cacheLookup(true)
 * ```
 */
export function createVerifierMetrics(
  options: MetricsOptions | false | undefined,
  issuers: ReadonlySet<string>,
): VerifierMetrics | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('metrics: expected false or { meterProvider }');
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'meterProvider') throw new TypeError(`metrics.${key}: unknown option`);
  }
  const provider = options?.meterProvider ?? metrics.getMeterProvider();
  if (typeof provider?.getMeter !== 'function') {
    throw new TypeError('metrics.meterProvider: expected an OpenTelemetry MeterProvider');
  }
  const meter = provider.getMeter(METER_NAME);
  const decisions: Counter = meter.createCounter('tokenward.decisions', {
    description: 'Authentication and authorization decisions, by outcome and reason.',
    unit: '{decision}',
  });
  const duration: Histogram = meter.createHistogram('tokenward.verification.duration', {
    description: 'Time to verify a token completely (verified-token cache misses).',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5,
      ],
    },
  });
  const cache: Counter = meter.createCounter('tokenward.cache.lookups', {
    description: 'Verified-token cache look-ups, by result (hit or miss).',
    unit: '{lookup}',
  });
  const fetches: Counter = meter.createCounter('tokenward.key.fetches', {
    description: 'Fetches of remote JWK Sets, by result.',
    unit: '{fetch}',
  });
  const introspections: Counter = meter.createCounter('tokenward.introspection.requests', {
    description:
      'Token introspection requests, by outcome (active, inactive, error, or rejected_open: not sent while the endpoint is backed off).',
    unit: '{request}',
  });
  const introspectionCache: Counter = meter.createCounter('tokenward.introspection.cache.lookups', {
    description: 'Introspection answer cache look-ups, by result (hit or miss).',
    unit: '{lookup}',
  });
  const dropped: Counter = meter.createCounter('tokenward.audit.dropped', {
    description: 'Audit events lost (queue full or sink write failed), by cause.',
    unit: '{event}',
  });
  const anomalies: Counter = meter.createCounter('tokenward.anomalies', {
    description: 'Detections of the anomaly detectors, by event and action (alert or block).',
    unit: '{detection}',
  });
  // Attribute objects are reused: a hit path that records two counters allocates nothing.
  const issuerLabel = (issuer: string | undefined) =>
    issuer === undefined ? 'none' : issuers.has(issuer) ? issuer : 'other';
  const decisionLabels = new Map<string, Record<string, string>>();
  const HIT = { result: 'hit' };
  const MISS = { result: 'miss' };
  const INTROSPECTION_OUTCOMES: Readonly<Record<IntrospectionOutcome, Record<string, string>>> = {
    active: { outcome: 'active' },
    inactive: { outcome: 'inactive' },
    error: { outcome: 'error' },
    rejected_open: { outcome: 'rejected_open' },
  };
  const ALLOW = { outcome: 'allow' };
  const DENY = { outcome: 'deny' };
  // The common case, an allow by a configured issuer, is one Map look-up by issuer per stage.
  const allowLabels = {
    authentication: new Map<string, Record<string, string>>(),
    authorization: new Map<string, Record<string, string>>(),
  };
  return {
    decision(stage, outcome, reason, issuer) {
      if (outcome === 'allow' && issuer !== undefined) {
        const known = allowLabels[stage].get(issuer);
        if (known !== undefined) {
          decisions.add(1, known);
          return;
        }
      }
      const label = issuerLabel(issuer);
      const key = `${stage}\0${outcome}\0${reason}\0${label}`;
      let attributes = decisionLabels.get(key);
      if (attributes === undefined) {
        attributes = {
          'tokenward.stage': stage,
          'tokenward.outcome': outcome,
          'tokenward.reason': reason,
          'tokenward.issuer': label,
          'tokenward.binding': 'bearer',
        };
        // Bounded: stages × outcomes × error codes × (configured issuers + 2).
        decisionLabels.set(key, attributes);
        if (outcome === 'allow' && issuer !== undefined && label === issuer) {
          allowLabels[stage].set(issuer, attributes);
        }
      }
      decisions.add(1, attributes);
    },
    verification(seconds, outcome) {
      duration.record(seconds, outcome === 'allow' ? ALLOW : DENY);
    },
    cacheLookup(hit) {
      cache.add(1, hit ? HIT : MISS);
    },
    keyFetch(result) {
      fetches.add(1, { result });
    },
    auditDropped(cause, count) {
      dropped.add(count, { cause });
    },
    introspection(outcome) {
      introspections.add(1, INTROSPECTION_OUTCOMES[outcome]);
    },
    introspectionCacheLookup(hit) {
      introspectionCache.add(1, hit ? HIT : MISS);
    },
    anomaly(event, action) {
      anomalies.add(1, { event, action });
    },
  };
}
