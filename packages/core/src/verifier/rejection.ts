/**
 * The `onRejection` hook: one small event for every request or token a verifier refuses, for
 * server-side logs, metrics and (later) an audit trail. The event carries what was *received*,
 * unverified: never the token, never any claim besides `iss` and `aud`, never a query string.
 */
import type { BearerErrorAttribute, TokenwardError, TokenwardErrorCode } from '../errors/errors';
import type { RequestLike } from '../http/request';
import { scanJSONShape } from '../compact/json-shape';
import { parseJSONObject } from '../lib/parse-json-object';
import {
  CLAIMS_JSON_LIMITS,
  HEADER_JSON_LIMITS,
  MAX_HEADER_SEGMENT_CHARS,
  type JSONShapeLimits,
} from '../compact/limits';

/** What the `onRejection` hook is told about one rejection. Keep it small: it is public API. */
export interface RejectionEvent {
  /** The error code (`ERR_TOKEN_EXPIRED`, …). */
  readonly code: TokenwardErrorCode;
  /** The HTTP status the client is answered with (400, 401, 403 or 503). */
  readonly status: number;
  /** The RFC 6750 `error` attribute; absent for a missing token and for 503. */
  readonly error: BearerErrorAttribute | undefined;
  /** The `iss` the token named, unverified (it may be forged), when it could be read. */
  readonly issuer?: string;
  /** The `aud` the token named, unverified, when it could be read. */
  readonly audience?: readonly string[];
  /** The `kid` of the token's (outer) header, unverified. */
  readonly kid?: string;
  /** The `alg` of the token's (outer) header, unverified. */
  readonly alg?: string;
  /** The request, for `verifyRequest` and adapter failures: its method and path (no query). */
  readonly request?: { readonly method: string | undefined; readonly path: string | undefined };
}

/**
 * Receives every rejection, synchronously, before the client is answered. An exception it throws
 * is caught and ignored (a broken log sink never changes an answer); it must not block.
 */
export type RejectionHandler = (event: RejectionEvent) => void;

/** Longest string value copied into an event (a forged token could carry megabytes). */
const MAX_VALUE_LENGTH = 256;
/** Most `aud` entries copied into an event. */
const MAX_AUDIENCES = 10;

const short = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.slice(0, MAX_VALUE_LENGTH) : undefined;

function decodeObject(
  segment: string | undefined,
  limits: JSONShapeLimits,
): Record<string, unknown> | undefined {
  if (segment === undefined || segment === '') return undefined;
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  // The token's own shape caps (compact/limits.ts): a hostile shape costs the hook no more
  // than it cost the verifier.
  return scanJSONShape(text, limits).ok ? parseJSONObject(text) : undefined;
}

/** The unverified `iss`, `aud`, `kid` and `alg` of a token, read without trusting any of it. */
function describeToken(
  token: string,
  maxLength: number,
): Pick<RejectionEvent, 'issuer' | 'audience' | 'kid' | 'alg'> {
  // Over-long tokens are refused before decoding; the hook does not decode them either.
  if (token.length > maxLength) return {};
  const segments = token.split('.');
  if (segments.length !== 3 && segments.length !== 5) return {};
  const header =
    (segments[0] as string).length > MAX_HEADER_SEGMENT_CHARS
      ? undefined
      : decodeObject(segments[0], HEADER_JSON_LIMITS);
  // A JWE's payload is ciphertext: only the header (with any replicated iss/aud) can be read.
  const claims = segments.length === 3 ? decodeObject(segments[1], CLAIMS_JSON_LIMITS) : header;
  const aud = claims?.aud;
  const audience =
    typeof aud === 'string'
      ? [short(aud) as string]
      : Array.isArray(aud)
        ? aud
            .filter((a): a is string => typeof a === 'string')
            .slice(0, MAX_AUDIENCES)
            .map((a) => a.slice(0, MAX_VALUE_LENGTH))
        : undefined;
  const issuer = short(claims?.iss);
  const kid = short(header?.kid);
  const alg = short(header?.alg);
  return {
    ...(issuer !== undefined && { issuer }),
    ...(audience !== undefined && { audience }),
    ...(kid !== undefined && { kid }),
    ...(alg !== undefined && { alg }),
  };
}

/**
 * The `iss` a token names, unverified (it may be forged), read under the same caps as
 * {@link reportRejection}: for the audit trail, which keeps it only when it is a configured issuer.
 *
 * @example
 * ```ts
 * const named = unverifiedIssuer(token, plan.maxTokenLength)
 * const issuer = named !== undefined && plan.trust.has(named) ? named : undefined
 * ```
 */
export function unverifiedIssuer(token: string, maxLength: number): string | undefined {
  try {
    return describeToken(token, maxLength).issuer;
  } catch {
    return undefined;
  }
}

/** The method and path of a request: the query (which may hold `access_token`) never. */
function describeRequest(request: RequestLike): NonNullable<RejectionEvent['request']> {
  const url = typeof request.url === 'string' ? request.url : undefined;
  const end = url === undefined ? -1 : url.search(/[?#]/);
  const path = url === undefined ? undefined : end < 0 ? url : url.slice(0, end);
  return {
    method: typeof request.method === 'string' ? request.method : undefined,
    path: path?.slice(0, 2048),
  };
}

/**
 * Calls `handler` with the event of `error`; never throws.
 *
 * @param token The token as received, when one was found.
 * @param request The request, when there is one.
 * @param maxTokenLength The verifier's cap: longer tokens are not decoded for the event.
 * @example
 * ```ts
 * reportRejection(plan.onRejection, error, token, request, plan.maxTokenLength)
 * ```
 */
export function reportRejection(
  handler: RejectionHandler | undefined,
  error: TokenwardError,
  token: string | undefined,
  request: RequestLike | undefined,
  maxTokenLength: number,
): void {
  if (handler === undefined) return;
  try {
    const event: RejectionEvent = Object.freeze({
      code: error.code,
      status: error.status,
      error: error.error,
      ...(typeof token === 'string' && describeToken(token, maxTokenLength)),
      ...(request !== undefined && { request: Object.freeze(describeRequest(request)) }),
    });
    handler(event);
  } catch {
    // Documented: a throwing hook is ignored, the rejection is answered as it would have been.
  }
}
