/**
 * The audit events of one auditor, built: a decision event per decision, an anomaly event per
 * detection, each with its bounded place fields (method, route, ip, request id) and the tenant.
 * Nothing here queues or writes; the auditor does.
 */
import { frameworkClientAddress } from '../http/client-address';
import type { RequestLike } from '../http/request';
import {
  AUDIT_SCHEMA,
  type AuditAnomalyEvent,
  type AuditDecisionEvent,
  type AuditDecisionName,
  type AuditStage,
} from './audit-event';
import { FACTS_JSON, factsJson } from './event-json';
import type { TokenFacts } from './token-facts';

/** Where a decision was made, as the caller knows it. */
export interface DecisionPlace {
  readonly stage: AuditStage;
  readonly request?: RequestLike | undefined;
  /** The route template, from the adapter. */
  readonly route?: string | undefined;
}

/** What an anomaly event says beyond its place and token. */
export type AnomalyDetection = Pick<
  AuditAnomalyEvent,
  'event' | 'action' | 'blocked' | 'blockSeconds' | 'count' | 'threshold' | 'window'
>;

/** Longest route template, ip or request id copied into an event. */
const MAX_ROUTE_LENGTH = 256;
const MAX_IP_LENGTH = 64;
const MAX_REQUEST_ID_LENGTH = 128;
/** A request id a client sent: visible ASCII only, so it cannot break a log line or a report. */
const REQUEST_ID_SYNTAX = /^[\x21-\x7e]{1,128}$/;

/** Builds the events of one auditor. */
export interface EventBuilder {
  /** One decision event; `facts` for a verified token, else the configured `issuer` alone. */
  decision(
    place: DecisionPlace,
    event: AuditDecisionName,
    outcome: 'allow' | 'deny',
    reason: AuditDecisionEvent['reason'],
    status: number,
    facts: TokenFacts | undefined,
    issuer: string | undefined,
  ): AuditDecisionEvent;
  /** One anomaly event: the detection, its place, and who it is about (no scopes or keys). */
  anomaly(
    place: DecisionPlace,
    detection: AnomalyDetection,
    facts: TokenFacts | undefined,
    issuer: string | undefined,
  ): AuditAnomalyEvent;
}

/**
 * The event builder of an auditor.
 *
 * @param requestIdOf The `audit.requestId` option resolved (`false`: no request ids).
 * @param tenant The verifier's tenant, on every event.
 * @param forText Whether the events are for a sink that takes their text (`writeJsonLines`):
 *   then each template also carries its facts' JSON (event-json.ts).
 * @example
 * ```ts
 * const events = createEventBuilder(defaultRequestId, undefined)
 * queue.push(events.decision(place, 'authn_token_valid', 'allow', 'ok', 200, facts, undefined))
 * ```
 */
export function createEventBuilder(
  requestIdOf: false | ((request: RequestLike) => string | undefined),
  tenant: string | undefined,
  forText = false,
): EventBuilder {
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
  const templates = new WeakMap<TokenFacts, Template[]>();
  const templateOf = (facts: TokenFacts, fields: PlaceFields, mask: number) => {
    let byMask = templates.get(facts);
    if (byMask === undefined) templates.set(facts, (byMask = []));
    let template = byMask[mask];
    if (template === undefined) {
      template = { ...HEAD_PLACEHOLDERS };
      assignPlace(template, fields, facts, undefined);
      if (forText) template[FACTS_JSON] = factsJson(facts);
      byMask[mask] = template;
    }
    return template;
  };

  /** One decision event: its head, then method, route, token facts, ip, request id and tenant. */
  const decision: EventBuilder['decision'] = (
    place,
    event,
    outcome,
    reason,
    status,
    facts,
    issuer,
  ) => {
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
    const ip = frameworkClientAddress(request);
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
    decision,
    anomaly(place, detection, facts, issuer) {
      const e: Record<string, unknown> = { schema: AUDIT_SCHEMA, time: now(), ...detection };
      // Only the decision fields a detection is about: no scopes, keys or lifetimes.
      assignPlace(e, placeFieldsOf(place), undefined, issuer);
      if (facts?.client !== undefined) e.client = facts.client;
      if (facts?.subject !== undefined) e.subject = facts.subject;
      if (facts?.tokenId !== undefined) e.tokenId = facts.tokenId;
      return e as unknown as AuditAnomalyEvent;
    },
  };
}

/** A template event (its members, and for a text sink its facts' JSON). */
type Template = Record<string, unknown> & { [FACTS_JSON]?: string };

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

/** The framework's request id, else a well-formed `X-Request-Id`. */
export function defaultRequestId(request: RequestLike): string | undefined {
  const id = request.id;
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  // Node, Express and Fastify keep header names in lower case: one property read, no scan.
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID_SYNTAX.test(header) ? header : undefined;
}
