/**
 * The caller used up a route's rate limit: HTTP 429 with `Retry-After`, no challenge.
 */
import { TokenwardError, type TokenwardErrorOptions } from './errors';

/**
 * A route's rate limit (`rateLimit()`) refused the request: HTTP 429 (RFC 6585 §4) with
 * `Retry-After` in whole seconds (at least 1) and the `RateLimit-Policy` / `RateLimit` fields of
 * the windows in effect, code `ERR_RATE_LIMITED`.
 *
 * Why no `WWW-Authenticate` challenge: the token is fine, so nothing about it may tell the client
 * to fetch another one (RFC 6750 defines no `error` value for this). Like the 503 errors, the
 * body carries only `error_description`.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof RateLimitedError) res.status(429).set(err.headers).json(err.toJSON())
 * }
 * ```
 */
export class RateLimitedError extends TokenwardError {
  /** Seconds after which a retry may succeed, at least 1. */
  readonly retryAfter: number;
  /** The `RateLimit-Policy` and `RateLimit` fields of the refusal (empty when none apply). */
  readonly rateLimitHeaders: Readonly<Record<string, string>>;

  /**
   * @param message Says which limit refused the request; never an identity.
   * @param retryAfter Seconds until a retry may succeed (rounded up, at least 1).
   * @param rateLimitHeaders The `RateLimit-Policy` / `RateLimit` fields to send with the 429.
   * @param options As for every tokenward error.
   */
  constructor(
    message: string,
    retryAfter: number,
    rateLimitHeaders: Readonly<Record<string, string>> = {},
    options?: TokenwardErrorOptions,
  ) {
    super(429, undefined, 'ERR_RATE_LIMITED', message, options);
    this.retryAfter = Number.isFinite(retryAfter) ? Math.max(1, Math.ceil(retryAfter)) : 1;
    this.rateLimitHeaders = Object.freeze({ ...rateLimitHeaders });
  }

  /** `Retry-After` and the rate-limit fields: a challenge would blame the token. */
  override get headers(): Record<string, string> {
    return { ...this.rateLimitHeaders, 'Retry-After': String(this.retryAfter) };
  }

  /** `{ error_description }`: RFC 6750 has no `error` value for a rate limit. */
  override toJSON(): { error_description: string } {
    return { error_description: this.message };
  }
}
