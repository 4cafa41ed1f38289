/**
 * The replay store behind DPoP proofs cannot answer: the proof may be fine, but whether it was
 * used before cannot be known, so the request is refused as the server's fault.
 */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * The DPoP replay store is down, slow or full (HTTP 503 with `Retry-After`). Accepting the proof
 * unchecked would let a captured request be replayed for as long as the store is out.
 *
 * @example
 * ```ts
 * if (err instanceof ReplayCheckUnavailableError) res.status(503).set(err.headers).end()
 * ```
 */
export class ReplayCheckUnavailableError extends ServiceUnavailableError {
  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      'ERR_REPLAY_STORE_UNAVAILABLE',
      'the DPoP replay check is temporarily unavailable; retry later',
      retryAfter,
      options,
    );
  }
}
