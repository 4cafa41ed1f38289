/**
 * The authorization server cannot say whether an opaque token is active: the server's fault, not
 * the token's.
 */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * The introspection endpoint (RFC 7662) could not be asked or gave no usable answer: it is down,
 * slower than `introspection.timeout`, answered an error status or a redirect, or a body that is
 * too large or not a JSON object, or a JWT answer (`responseFormat: 'jwt'`) that fails a check
 * (and, without `introspection.endpoint`, the issuer's metadata could not be read); or it failed
 * `failureThreshold` times in a row and is not asked until its backoff period ends. HTTP 503 with `Retry-After`, never an acceptance: an unanswered question
 * is not an "active". Not a 401 either: the token may be perfectly valid, and a 401 would tell
 * the client to throw it away.
 *
 * The detailed reason (URL and failure, never the token or the client secret) is the `cause`.
 *
 * @example
 * ```ts
 * if (err instanceof IntrospectionUnavailableError) res.status(503).set(err.headers).end()
 * ```
 */
export class IntrospectionUnavailableError extends ServiceUnavailableError {
  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      'ERR_INTROSPECTION_UNAVAILABLE',
      'whether the token is active cannot be checked right now; retry later',
      retryAfter,
      options,
    );
  }
}
