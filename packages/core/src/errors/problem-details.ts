/**
 * RFC 9457 problem details for tokenward's refusals (`errorFormat: 'problem'`): the stable `type`
 * URI of each error code, the title of each outcome family, and the body's shape.
 */
// No runtime import from errors.ts (which imports this file): codes and attributes are plain
// strings here, as in descriptions.ts.
import type { BearerErrorAttribute } from './descriptions';

/**
 * How a verifier's refusals are written: `'oauth'` (default), the RFC 6750 JSON body
 * `{ error, error_description }`; `'problem'`, an RFC 9457 `application/problem+json` body (see
 * {@link ProblemDetails}). The headers (`WWW-Authenticate`, `Retry-After`, `RateLimit`,
 * `DPoP-Nonce`) are the same in both.
 */
export type ErrorFormat = 'oauth' | 'problem';

/** The media type of an RFC 9457 problem details body (RFC 9457 §3). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The prefix of every problem `type` URI: a code's URI is this prefix and the code's slug (see
 * {@link problemType}). The URIs identify problem types; clients compare them as strings and
 * never need to fetch them (RFC 9457 §3.1.1).
 */
export const PROBLEM_TYPE_BASE =
  'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-';

/**
 * An RFC 9457 problem details object as tokenward writes it: the standard members and two
 * extension members (RFC 9457 §3.2). It carries nothing of the request: never the token, a claim
 * or an address.
 *
 * @example
 * ```json
 * {
 *   "type": "https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired",
 *   "title": "Invalid access token",
 *   "status": 401,
 *   "detail": "The access token expired",
 *   "code": "ERR_TOKEN_EXPIRED",
 *   "error": "invalid_token"
 * }
 * ```
 */
export interface ProblemDetails {
  /** The problem type: {@link PROBLEM_TYPE_BASE} and the slug of {@link ProblemDetails.code}. */
  readonly type: string;
  /** A short fixed title per outcome family (the `error` attribute, else the status). */
  readonly title: string;
  /** The HTTP status of the response. */
  readonly status: number;
  /**
   * The `error_description` the RFC 6750 body would carry (the terse text under
   * `errorDescriptions: 'terse'`); absent where that body has none (a request without a token).
   */
  readonly detail?: string;
  /** The stable tokenward error code (`ERR_TOKEN_EXPIRED`, …). */
  readonly code: string;
  /** The RFC 6750 / RFC 9449 `error` attribute, when the refusal has one. */
  readonly error?: BearerErrorAttribute;
}

// One title per `error` attribute: what the client must fix.
const TITLE_BY_ATTRIBUTE: Readonly<Record<BearerErrorAttribute, string>> = Object.freeze({
  invalid_request: 'Invalid request',
  invalid_token: 'Invalid access token',
  insufficient_scope: 'Insufficient scope',
  invalid_dpop_proof: 'Invalid DPoP proof',
  use_dpop_nonce: 'DPoP nonce required',
  insufficient_user_authentication: 'Insufficient user authentication',
});

// The refusals without an `error` attribute are told apart by their status alone.
const TITLE_BY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  401: 'Access token required',
  403: 'Access denied',
  429: 'Too many requests',
  503: 'Service unavailable',
});

/** Title of a status no built-in refusal uses (an application's own error class). */
const FALLBACK_TITLE = 'Request refused';

/**
 * The `type` URI of an error code: {@link PROBLEM_TYPE_BASE}, then the code without its `ERR_`
 * prefix, lower-cased, each run of characters other than `a-z` and `0-9` turned into one `-`
 * (`ERR_TOKEN_EXPIRED` → `https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired`). Deterministic, so a
 * code keeps its URI for as long as it keeps its name; codes added by augmentation follow the
 * same rule.
 *
 * @param code The error code.
 * @example
 * ```ts
 * problemType('ERR_SCOPE_MISSING') // 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-scope-missing'
 * ```
 */
export function problemType(code: string): string {
  const slug = code
    .replace(/^ERR_/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // A code made only of separators still names a resolvable path segment.
  return PROBLEM_TYPE_BASE + (slug === '' ? 'error' : slug);
}

/**
 * The `title` of a refusal's family: by its `error` attribute when it has one, else by its status
 * (`Access token required`, `Access denied`, `Too many requests`, `Service unavailable`).
 *
 * @param status The HTTP status.
 * @param error The RFC 6750 / RFC 9449 `error` attribute, if any.
 * @example
 * ```ts
 * problemTitle(401, 'invalid_token') // 'Invalid access token'
 * problemTitle(429, undefined)       // 'Too many requests'
 * ```
 */
export function problemTitle(status: number, error: BearerErrorAttribute | undefined): string {
  if (error !== undefined) return TITLE_BY_ATTRIBUTE[error];
  return Object.hasOwn(TITLE_BY_STATUS, status)
    ? (TITLE_BY_STATUS[status] as string)
    : FALLBACK_TITLE;
}

/**
 * Builds the problem details of a refusal from its parts (`TokenwardError.toProblem` calls it).
 *
 * @param code The error code.
 * @param status The HTTP status.
 * @param error The `error` attribute, if any (omitted from the body when absent).
 * @param detail The `error_description`, if any (omitted from the body when absent).
 */
export function problemDetails(
  code: string,
  status: number,
  error: BearerErrorAttribute | undefined,
  detail: string | undefined,
): ProblemDetails {
  return {
    type: problemType(code),
    title: problemTitle(status, error),
    status,
    ...(detail !== undefined && { detail }),
    code,
    ...(error !== undefined && { error }),
  };
}
