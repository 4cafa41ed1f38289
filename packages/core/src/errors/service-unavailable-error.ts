/**
 * The failures that are the server's, not the token's: HTTP 503 with `Retry-After`, no challenge.
 */
import { TokenwardError, type TokenwardErrorCode, type TokenwardErrorOptions } from './errors';

/**
 * Base of the 503 answers (`KeysUnavailableError`, `VerifierBusyError`,
 * `ReplayCheckUnavailableError`): something this server depends on cannot answer, so the token
 * may be perfectly valid. A 401 would tell the client to throw its token away (and hide the
 * outage from 5xx alerting); instead no `WWW-Authenticate` challenge is sent (RFC 9110 §15.6.4),
 * `Retry-After` says when to try again, and the body carries only `error_description`, since
 * RFC 6750 defines no `error` value for a server-side outage.
 *
 * @example
 * ```ts
 * if (err instanceof ServiceUnavailableError) res.status(503).set(err.headers).json(err.toJSON())
 * ```
 */
export class ServiceUnavailableError extends TokenwardError {
  /** Seconds after which a retry may succeed, at least 1. */
  readonly retryAfter: number;

  constructor(
    code: TokenwardErrorCode,
    message: string,
    retryAfter: number,
    options?: TokenwardErrorOptions,
  ) {
    super(503, undefined, code, message, options);
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  /** `Retry-After` only: a challenge would tell the client its credentials are at fault. */
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }

  /** `{ error_description }`: no RFC defines an `error` value for a server-side outage. */
  override toJSON(): { error_description: string } {
    return { error_description: this.message };
  }
}
