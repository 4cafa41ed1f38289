/**
 * The one failure that is not the client's fault: the issuer's signing keys cannot be obtained.
 */
import { TokenwardError, type TokenwardErrorOptions } from './errors';

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
export class KeysUnavailableError extends TokenwardError {
  /** Seconds after which a retry may succeed (the remaining fetch cooldown), at least 1. */
  readonly retryAfter: number;

  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      503,
      undefined,
      'ERR_KEYS_UNAVAILABLE',
      "the issuer's signing keys are temporarily unavailable; retry later",
      options,
    );
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  /** `Retry-After` only: a challenge would tell the client its credentials are at fault. */
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }

  /** `{ error_description }`: RFC 6750 defines no `error` value for a server-side outage. */
  override toJSON(): { error_description: string } {
    return { error_description: this.message };
  }
}
