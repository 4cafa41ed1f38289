/**
 * The issuer's signing keys cannot be obtained: the server's fault, not the token's.
 */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * The signing keys of the issuer a token names cannot be obtained (its JWKS or metadata endpoint
 * fails and no cached key set is young enough to use): HTTP 503 with `Retry-After`.
 *
 * Why 503 and not 401 `invalid_token`: the token may be perfectly valid. A 401 tells the client to
 * throw its token away and fetch a new one from an authorization server that is likely the very
 * thing failing, and hides the outage from 5xx alerting. RFC 6750 has no error attribute for this,
 * so `error` is undefined, the body carries only `error_description` and no `WWW-Authenticate`
 * challenge is sent (RFC 9110 §15.6.4, §10.2.3).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof KeysUnavailableError) res.status(503).set(err.headers).json(err.toJSON())
 * }
 * ```
 */
export class KeysUnavailableError extends ServiceUnavailableError {
  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      'ERR_KEYS_UNAVAILABLE',
      "the issuer's signing keys are temporarily unavailable; retry later",
      retryAfter,
      options,
    );
  }
}
