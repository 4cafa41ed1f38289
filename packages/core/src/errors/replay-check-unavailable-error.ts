/**
 * The replay store behind DPoP proofs cannot answer: the proof may be fine, but whether it was
 * used before cannot be known, so the request is refused as the server's fault.
 */
import { TokenwardError, type TokenwardErrorOptions } from './errors';

/**
 * The DPoP replay store is down, slow or full (HTTP 503 with `Retry-After`). Accepting the proof
 * unchecked would let a captured request be replayed for as long as the store is out; a 401 would
 * tell a well-behaved client its credentials are at fault. As with `KeysUnavailableError`,
 * no challenge is sent and the body carries only `error_description`.
 *
 * @example
 * ```ts
 * if (err instanceof ReplayCheckUnavailableError) res.status(503).set(err.headers).end()
 * ```
 */
export class ReplayCheckUnavailableError extends TokenwardError {
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number;

  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      503,
      undefined,
      'ERR_REPLAY_STORE_UNAVAILABLE',
      'the DPoP replay check is temporarily unavailable; retry later',
      options,
    );
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
