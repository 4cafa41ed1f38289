/**
 * The `audit` option resolved: builds one {@link AuditDecisionEvent} per decision and queues it.
 * The verifier calls it at authentication, the route step calls it at authorization; nothing
 * here can throw into a request or wait for the sink.
 */
import type { SignedWith } from '../cache/verified-token-cache';
import type { TokenwardError } from '../errors/errors';
import type { RequestLike } from '../http/request';
import type { AccessToken } from '../verifier/access-token';
import {
  AUDIT_SCHEMA,
  type AuditAnomalyEvent,
  type AuditDecisionEvent,
  type AuditDecisionName,
  type AuditStage,
} from './audit-event';
import { AuditQueue, type AuditQueueStats } from './audit-queue';
import type { AuditOptions, AuditSink } from './audit-sink';
import { createPseudonymizer } from './pseudonymize';
import { TokenFactsMemo, type TokenFacts } from './token-facts';

/** Where a decision was made, as the caller knows it. */
export interface DecisionPlace {
  readonly stage: AuditStage;
  readonly request?: RequestLike;
  /** The route template, from the adapter. */
  readonly route?: string;
}

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

/** What an anomaly event says beyond its place and token. */
export type AnomalyDetection = Pick<
  AuditAnomalyEvent,
  'event' | 'action' | 'blocked' | 'blockSeconds' | 'count' | 'threshold' | 'window'
>;

const OPTION_NAMES = new Set([
  'sink',
  'pseudonymizationKey',
  'maxQueuedEvents',
  'batchSize',
  'writeTimeout',
  'requestId',
]);

/** Longest route template, ip or request id copied into an event. */
const MAX_ROUTE_LENGTH = 256;
const MAX_IP_LENGTH = 64;
const MAX_REQUEST_ID_LENGTH = 128;
/** A request id a client sent: visible ASCII only, so it cannot break a log line or a report. */
const REQUEST_ID_SYNTAX = /^[\x21-\x7e]{1,128}$/;

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
  // Decisions come in bursts: the date and time up to the second is formatted once per second,
  // the milliseconds come from a table.
  let lastSecond = -1;
  let secondPrefix = '';
  const now = (): string => {
    const ms = Date.now();
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      // `2026-01-01T00:00:00.`: the first 20 characters of toISOString for years 0 to 9999.
      secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    return `${secondPrefix}${MILLISECONDS[ms - second * 1000]}Z`;
  };

  // One template event per token and kind of place (which of method, route, ip and request id it
  // has): an event about a verified token is a copy of its template with the per-event values
  // assigned in place. One allocation of one fixed shape, instead of an object grown field by
  // field with the token's facts copied in, which in a busy server costs several times as much.
  const templates = new WeakMap<TokenFacts, Record<string, unknown>[]>();
  const templateOf = (facts: TokenFacts, fields: PlaceFields, mask: number) => {
    let byMask = templates.get(facts);
    if (byMask === undefined) templates.set(facts, (byMask = []));
    let template = byMask[mask];
    if (template === undefined) {
      template = { ...HEAD_PLACEHOLDERS };
      assignPlace(template, fields, facts, undefined);
      byMask[mask] = template;
    }
    return template;
  };

  /** One decision event: its head, then method, route, token facts, ip, request id and tenant. */
  const decision = (
    place: DecisionPlace,
    event: AuditDecisionName,
    outcome: 'allow' | 'deny',
    reason: AuditDecisionEvent['reason'],
    status: number,
    facts: TokenFacts | undefined,
    issuer: string | undefined,
  ): AuditDecisionEvent => {
    const fields = placeFieldsOf(place);
    let e: Record<string, unknown>;
    if (facts === undefined) {
      e = { ...HEAD_PLACEHOLDERS };
      assignPlace(e, fields, undefined, issuer);
    } else {
      const mask =
        (fields.method === undefined ? 0 : 1) |
        (fields.route === undefined ? 0 : 2) |
        (fields.ip === undefined ? 0 : 4) |
        (fields.requestId === undefined ? 0 : 8);
      e = { ...templateOf(facts, fields, mask) };
      if (fields.method !== undefined) e.method = fields.method;
      if (fields.route !== undefined) e.route = fields.route;
      if (fields.ip !== undefined) e.ip = fields.ip;
      if (fields.requestId !== undefined) e.requestId = fields.requestId;
    }
    e.time = now();
    e.event = event;
    e.stage = place.stage;
    e.outcome = outcome;
    e.reason = reason;
    e.status = status;
    return e as unknown as AuditDecisionEvent;
  };

  /** What an event may say about its place, each field bounded. */
  const placeFieldsOf = (place: DecisionPlace): PlaceFields => {
    const request = place.request;
    const fields: PlaceFields = {
      method: undefined,
      route: typeof place.route === 'string' ? place.route.slice(0, MAX_ROUTE_LENGTH) : undefined,
      ip: undefined,
      requestId: undefined,
    };
    if (request === undefined) return fields;
    if (typeof request.method === 'string') fields.method = request.method.slice(0, 16);
    const ip = request.ip;
    if (typeof ip === 'string') fields.ip = ip.slice(0, MAX_IP_LENGTH);
    if (requestIdOf !== false) {
      try {
        const id = requestIdOf(request);
        if (typeof id === 'string' && id !== '') {
          fields.requestId = id.slice(0, MAX_REQUEST_ID_LENGTH);
        }
      } catch {
        // An application's id function that throws costs the event its request id, nothing more.
      }
    }
    return fields;
  };

  /** Method, route, token facts (or the issuer alone), ip, request id and tenant, in that order. */
  const assignPlace = (
    e: Record<string, unknown>,
    fields: PlaceFields,
    facts: TokenFacts | undefined,
    issuer: string | undefined,
  ): void => {
    if (fields.method !== undefined) e.method = fields.method;
    if (fields.route !== undefined) e.route = fields.route;
    if (facts !== undefined) Object.assign(e, facts);
    else if (issuer !== undefined) e.issuer = issuer;
    if (fields.ip !== undefined) e.ip = fields.ip;
    if (fields.requestId !== undefined) e.requestId = fields.requestId;
    if (tenant !== undefined) e.tenant = tenant;
  };

  return {
    allow(place, token, signedWith) {
      const name = place.stage === 'authentication' ? 'authn_token_valid' : 'authz_success';
      queue.push(decision(place, name, 'allow', 'ok', 200, memo.of(token, signedWith), undefined));
    },
    deny(place, error, issuer, token) {
      // A verified token refused at the route step is described fully; an unverified one only
      // by the configured issuer it named.
      const facts = token === undefined ? undefined : memo.of(token);
      const name = denialName(place.stage, error);
      queue.push(decision(place, name, 'deny', error.code, error.status, facts, issuer));
    },
    anomaly(place, detection, token) {
      const e: Record<string, unknown> = { schema: AUDIT_SCHEMA, time: now(), ...detection };
      // Only the decision fields a detection is about: no scopes, keys or lifetimes.
      const facts = token === undefined ? undefined : memo.of(token);
      assignPlace(e, placeFieldsOf(place), undefined, token?.issuer);
      if (facts?.client !== undefined) e.client = facts.client;
      if (facts?.subject !== undefined) e.subject = facts.subject;
      if (facts?.tokenId !== undefined) e.tokenId = facts.tokenId;
      queue.push(e as unknown as AuditAnomalyEvent);
    },
    flush: () => queue.flush(),
    close: () => queue.close(),
    stats: () => queue.stats(),
  };
}

/** The bounded place fields of one event; `undefined` where the event has none. */
interface PlaceFields {
  method: string | undefined;
  route: string | undefined;
  ip: string | undefined;
  requestId: string | undefined;
}

/** The head of every decision event, in its order; the values are set per event. */
const HEAD_PLACEHOLDERS: Readonly<Record<string, unknown>> = Object.freeze({
  schema: AUDIT_SCHEMA,
  time: '',
  event: '',
  stage: '',
  outcome: '',
  reason: '',
  status: 0,
});

/** `000` to `999`: the milliseconds of an event's time. */
const MILLISECONDS: readonly string[] = Array.from({ length: 1000 }, (_, i) =>
  String(i).padStart(3, '0'),
);

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

/** The framework's request id, else a well-formed `X-Request-Id`. */
function defaultRequestId(request: RequestLike): string | undefined {
  const id = request.id;
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  // Node, Express and Fastify keep header names in lower case: one property read, no scan.
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID_SYNTAX.test(header) ? header : undefined;
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
