/**
 * The JSON text of audit events, for a sink that writes text (the file sink) and is fed by the
 * verifier's own queue. An event about a verified token is a copy of its token's template
 * (event-builder.ts), whose token facts never change; for such a sink the template also carries
 * the facts' JSON, made once, under a symbol key, and an event's text is its per-event members
 * around it: a few short strings joined instead of a full `JSON.stringify` of twenty members. The
 * text is exactly `JSON.stringify`'s (a test holds the two equal).
 */
import { AUDIT_SCHEMA, type AuditDecisionEvent, type AuditEvent } from './audit-event';

/**
 * The key of a template's facts JSON (its members without braces). Set only on the templates of
 * an auditor whose sink takes text, so no other sink ever sees it; a spread copies it into each
 * event, and `JSON.stringify` skips symbol keys.
 */
export const FACTS_JSON: unique symbol = Symbol('tokenward.audit.factsJson');

/** An event as a template's copy carries it. */
type WithFactsJson = AuditDecisionEvent & { readonly [FACTS_JSON]?: string };

/** What every decision event's text begins with. */
const HEAD = `{"schema":${JSON.stringify(AUDIT_SCHEMA)},"time":`;

/**
 * One event's JSON text: `JSON.stringify(event)`, made from the template's facts JSON when the
 * event carries it.
 *
 * Only for events straight from an auditor: a copy of a template whose members someone changed
 * afterwards would be written with the template's facts.
 *
 * @example `serializeEvent(event) === JSON.stringify(event)`
 */
export function serializeEvent(event: AuditEvent): string {
  const e = event as WithFactsJson;
  const facts = e[FACTS_JSON];
  if (facts === undefined) return JSON.stringify(event);
  // The members in the template's order (event-builder.ts): head, method, route, token facts,
  // ip, request id, tenant. The time stamp, event name, stage and outcome are the builder's own
  // strings (digits and punctuation, letters and `_`), which JSON writes as they are; the reason
  // (an error's code) and every string from outside are quoted by JSON.stringify.
  let text = `${HEAD}"${e.time}","event":"${e.event}","stage":"${e.stage}","outcome":"${e.outcome}","reason":${q(e.reason)},"status":${JSON.stringify(e.status)}`;
  if (e.method !== undefined) text += `,"method":${q(e.method)}`;
  if (e.route !== undefined) text += `,"route":${q(e.route)}`;
  text += `,${facts}`;
  if (e.ip !== undefined) text += `,"ip":${q(e.ip)}`;
  if (e.requestId !== undefined) text += `,"requestId":${q(e.requestId)}`;
  if (e.tenant !== undefined) text += `,"tenant":${q(e.tenant)}`;
  return `${text}}`;
}

/**
 * The facts JSON of a template: its token facts' members, without braces.
 *
 * @example `template[FACTS_JSON] = factsJson(facts)`
 */
export function factsJson(facts: object): string {
  return JSON.stringify(facts).slice(1, -1);
}

const q = (value: string): string => JSON.stringify(value);
