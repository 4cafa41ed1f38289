/**
 * The `audit` option resolved: one audit event per decision (built by `event-builder.ts`),
 * queued for the sink. The verifier calls it at authentication, the route step calls it at
 * authorization; nothing here can throw into a request or wait for the sink.
 */
import type { SignedWith } from '../cache/verified-token-cache';
import type { TokenwardError } from '../errors/errors';
import type { AccessToken } from '../verifier/access-token';
import type { AuditDecisionName, AuditStage } from './audit-event';
import { AuditQueue, type AuditQueueStats } from './audit-queue';
import { takesJsonLines, type AuditOptions, type AuditSink } from './audit-sink';
import {
  createEventBuilder,
  defaultRequestId,
  type AnomalyDetection,
  type DecisionPlace,
} from './event-builder';
import { createPseudonymizer } from './pseudonymize';
import { TokenFactsMemo } from './token-facts';

export type { AnomalyDetection, DecisionPlace } from './event-builder';

/** Records decisions on the audit trail. */
export interface Auditor {
  /** An allowed decision about a verified token. */
  allow(place: DecisionPlace, token: AccessToken, signedWith?: SignedWith): void;
  /** A denial; `issuer` only when it is a configured issuer. */
  deny(
    place: DecisionPlace,
    error: TokenwardError,
    issuer: string | undefined,
    token?: AccessToken,
  ): void;
  /** A detection of an anomaly detector, about the request at `place`. */
  anomaly(place: DecisionPlace, detection: AnomalyDetection, token: AccessToken | undefined): void;
  /** Writes everything queued. */
  flush(): Promise<void>;
  /** Flushes and closes the sink. */
  close(): Promise<void>;
  /** The queue's counters. */
  stats(): AuditQueueStats;
}

const OPTION_NAMES = new Set([
  'sink',
  'pseudonymizationKey',
  'maxQueuedEvents',
  'batchSize',
  'writeTimeout',
  'requestId',
]);

/**
 * Validates the `audit` option and builds its auditor.
 *
 * @param onDrop Told of every lost event (the drop metric).
 * @param tenant The tenant of the verifier, on every event it records.
 * @throws TypeError naming the offending `audit.*` option.
 * @example
 * ```ts
 * const auditor = resolveAuditor({ sink: (event) => console.log(event) })
 * ```
 */
export function resolveAuditor(
  options: AuditOptions | undefined,
  onDrop?: (cause: 'queue_full' | 'write_failed', count: number) => void,
  tenant?: string,
): Auditor | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('audit: expected an options object { sink, pseudonymizationKey? }');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`audit.${key}: unknown option`);
  }
  const sink = toSink(options.sink);
  const pseudonymize =
    options.pseudonymizationKey === undefined
      ? undefined
      : createPseudonymizer(options.pseudonymizationKey);
  const maxQueuedEvents = wholeNumber(options.maxQueuedEvents, 'audit.maxQueuedEvents', 10_000);
  const batchSize = wholeNumber(options.batchSize, 'audit.batchSize', 500);
  const writeTimeout = options.writeTimeout ?? 5;
  if (typeof writeTimeout !== 'number' || !(writeTimeout > 0) || writeTimeout > 600) {
    throw new TypeError('audit.writeTimeout: expected a number of seconds in (0, 600]');
  }
  const requestIdOf = options.requestId ?? defaultRequestId;
  if (requestIdOf !== false && typeof requestIdOf !== 'function') {
    throw new TypeError('audit.requestId: expected false or a function (request) => string');
  }
  const queue = new AuditQueue(sink, {
    maxQueuedEvents,
    batchSize,
    writeTimeoutMs: writeTimeout * 1000,
    ...(onDrop && { onDrop }),
  });
  const memo = new TokenFactsMemo(pseudonymize);
  const events = createEventBuilder(requestIdOf, tenant, takesJsonLines(sink));
  return {
    allow(place, token, signedWith) {
      const name = place.stage === 'authentication' ? 'authn_token_valid' : 'authz_success';
      queue.push(
        events.decision(place, name, 'allow', 'ok', 200, memo.of(token, signedWith), undefined),
      );
    },
    deny(place, error, issuer, token) {
      // A verified token refused at the route step is described fully; an unverified one only
      // by the configured issuer it named.
      const facts = token === undefined ? undefined : memo.of(token);
      const name = denialName(place.stage, error);
      queue.push(events.decision(place, name, 'deny', error.code, error.status, facts, issuer));
    },
    anomaly(place, detection, token) {
      const facts = token === undefined ? undefined : memo.of(token);
      queue.push(events.anomaly(place, detection, facts, token?.issuer));
    },
    flush: () => queue.flush(),
    close: () => queue.close(),
    stats: () => queue.stats(),
  };
}

/** The OWASP-vocabulary name of a denial. */
function denialName(stage: AuditStage, error: TokenwardError): AuditDecisionName {
  // A 429 or a 403 is not about the token, whichever stage refused it: the token may be valid.
  if (error.status === 429) return 'excess_rate_limit_exceeded';
  if (stage === 'authorization' || error.status === 403) return 'authz_fail';
  if (error.code === 'ERR_TOKEN_MISSING') return 'authn_token_missing';
  if (error.status === 400) return 'authn_request_invalid';
  if (error.status >= 500) return 'authn_unavailable';
  return 'authn_token_invalid';
}

function toSink(sink: unknown): AuditSink {
  if (typeof sink === 'function') {
    const write = sink as (event: unknown) => unknown;
    return {
      write(events) {
        // Synchronous functions (most) cost no promise per event; an async one is awaited in turn.
        for (let i = 0; i < events.length; i++) {
          const result = write(events[i]);
          if (isThenable(result)) return awaitRest(result, write, events, i + 1);
        }
        return undefined;
      },
    };
  }
  if (
    typeof sink === 'object' &&
    sink !== null &&
    typeof (sink as AuditSink).write === 'function'
  ) {
    return sink as AuditSink;
  }
  throw new TypeError(
    'audit.sink: expected an AuditSink ({ write(events) }) or a function (event) => void',
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

async function awaitRest(
  pending: PromiseLike<unknown>,
  write: (event: unknown) => unknown,
  events: readonly unknown[],
  from: number,
): Promise<void> {
  await pending;
  for (let i = from; i < events.length; i++) await write(events[i]);
}

function wholeNumber(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${option}: expected a whole number of at least 1`);
  }
  return value;
}
