/**
 * The audit event schema `tokenward.audit/1`: one event per decision a verifier makes, at
 * authentication and at the route step, and the events the audit queue adds about itself.
 * Field by field reference: docs/audit.md.
 */
import type { TokenwardErrorCode } from '../errors/errors';

/** The schema identifier every event carries; a reader refuses any other. */
export const AUDIT_SCHEMA = 'tokenward.audit/1';

/**
 * What happened, in the OWASP logging vocabulary where it has a word for it:
 * - `authn_token_valid`: the token was verified (authentication allowed).
 * - `authn_token_missing`: no token where one was required (401, no error attribute).
 * - `authn_token_invalid`: the token was refused (401 `invalid_token`).
 * - `authn_request_invalid`: the request was malformed (400 `invalid_request`).
 * - `authn_unavailable`: the verifier could not decide (503: keys unreachable, busy).
 * - `authz_success`: every requirement of the route held.
 * - `authz_fail`: a requirement of the route did not hold, or the caller may not use the API
 *   from where it calls or as the client it is (403: network allowlist, approved clients).
 * - `excess_rate_limit_exceeded`: a rate limit or the failure budget refused the request (429).
 */
export type AuditDecisionName =
  | 'authn_token_valid'
  | 'authn_token_missing'
  | 'authn_token_invalid'
  | 'authn_request_invalid'
  | 'authn_unavailable'
  | 'authz_success'
  | 'authz_fail'
  | 'excess_rate_limit_exceeded';

/** Where in the pipeline a decision was made. */
export type AuditStage = 'authentication' | 'authorization';

/** How the token was bound to its holder (`bearer`: not bound). */
export type AuditBindingScheme = 'bearer' | 'dpop' | 'mtls';

/** The outer JWE algorithms of an encrypted token. */
export interface AuditEncryption {
  readonly alg: string;
  readonly enc: string;
}

/**
 * One decision. Only the fields below ever appear: never the token, never a claim besides what
 * is listed, and subject, client and token id only as keyed pseudonyms
 * (`audit.pseudonymizationKey`; without a key those three fields are omitted).
 */
export interface AuditDecisionEvent {
  readonly schema: typeof AUDIT_SCHEMA;
  /** When the decision was made: ISO 8601, UTC, milliseconds. */
  readonly time: string;
  readonly event: AuditDecisionName;
  readonly stage: AuditStage;
  readonly outcome: 'allow' | 'deny';
  /** The stable error code of a denial, or `ok`. */
  readonly reason: TokenwardErrorCode | 'ok';
  /** The HTTP status of the decision: 200 for an allow, else the error's status. */
  readonly status: number;
  /** The request method, when the decision was about a request. */
  readonly method?: string;
  /** The route template (`/messages/:id`), as the adapter knows it; never the raw URL. */
  readonly route?: string;
  /**
   * The issuer: the verified `iss` for an allow; for a denial, the `iss` the token named only
   * when it is one of the configured issuers (a forged value is never copied).
   */
  readonly issuer?: string;
  /** Keyed pseudonym of the client (`client_id`/`azp`); omitted without a key. */
  readonly client?: string;
  /** Keyed pseudonym of the subject (`sub`); omitted without a key. */
  readonly subject?: string;
  /** Keyed pseudonym of the token id (`jti`); omitted without a key. */
  readonly tokenId?: string;
  /** The scopes the token was granted (verified tokens only), sorted, at most 50. */
  readonly scopes?: readonly string[];
  /** `{ alg, enc }` of an encrypted token, `none` for a signed-only one; absent when unknown. */
  readonly encryption?: AuditEncryption | 'none';
  /** How the token was presented and bound. */
  readonly binding?: AuditBindingScheme;
  /** The `kid` of the signature key that verified the token. */
  readonly signingKeyId?: string;
  /** The `kid` of the decryption key that opened the token. */
  readonly decryptionKeyId?: string;
  /** The signature algorithm of a verified token. */
  readonly signingAlg?: string;
  /** Seconds between `iat` and `exp` of a verified token that states both. */
  readonly lifetime?: number;
  /** The client address as the framework reports it (its trust-proxy setting applies). */
  readonly ip?: string;
  /** The request id (the framework's `req.id`, else a valid `X-Request-Id`). */
  readonly requestId?: string;
  /** The tenant the request was resolved to, when tenants are configured. */
  readonly tenant?: string;
}

/**
 * Emitted by the audit queue when it had to drop events (queue full, or the sink failed to
 * write them), as soon as it can write again: nothing is lost silently.
 */
export interface AuditDropEvent {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly time: string;
  readonly event: 'audit_events_dropped';
  /** Why they were lost. */
  readonly cause: 'queue_full' | 'write_failed';
  /** How many events were lost since the previous drop event. */
  readonly dropped: number;
  /** When the first of them was lost: ISO 8601, UTC. */
  readonly since: string;
}

/**
 * What an anomaly detector saw (the OWASP name where there is one):
 * - `anomaly_token_spread`: one token used from more distinct addresses than allowed in a window;
 * - `anomaly_denial_burst`: more refusals of one client's verified tokens than allowed in a window;
 * - `authn_token_reuse`: a revoked token presented again (OWASP `authn_token_reuse`);
 * - `anomaly_proof_replay`: a DPoP proof presented a second time.
 */
export type AuditAnomalyName =
  'anomaly_token_spread' | 'anomaly_denial_burst' | 'authn_token_reuse' | 'anomaly_proof_replay';

/**
 * One detection, next to the decision event of the request that triggered it. Token, client and
 * subject appear as in decision events (keyed pseudonyms, omitted without a key).
 */
export interface AuditAnomalyEvent {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly time: string;
  readonly event: AuditAnomalyName;
  /** `alert`: recorded only; `block`: `blocked` is refused for `blockSeconds` from now. */
  readonly action: 'alert' | 'block';
  /** What a block applies to: the token (401), its client or the request's address (403). */
  readonly blocked?: 'token' | 'client' | 'address';
  readonly blockSeconds?: number;
  /** The count that reached the threshold: distinct addresses, or denials. */
  readonly count?: number;
  /** The detector's threshold (its `addresses` or `denials`). */
  readonly threshold?: number;
  /** The detector's window, in seconds. */
  readonly window?: number;
  readonly method?: string;
  readonly route?: string;
  readonly issuer?: string;
  readonly client?: string;
  readonly subject?: string;
  readonly tokenId?: string;
  readonly ip?: string;
  readonly requestId?: string;
}

/** Everything an audit sink receives. */
export type AuditEvent = AuditDecisionEvent | AuditDropEvent | AuditAnomalyEvent;
