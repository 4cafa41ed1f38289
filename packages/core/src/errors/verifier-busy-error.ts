/**
 * The verifier is at its bound of concurrent private-key work: our capacity, not the token's
 * fault.
 */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * Every slot for private-key work (JWE key agreement or unwrap) is taken and the wait queue is
 * full (options `maxConcurrentDecryptions`, `maxQueuedDecryptions`): HTTP 503 with `Retry-After`.
 *
 * Why 503 and not 401: the token has not been looked at, so it may be valid; a 401 would tell the
 * client to discard it. Shedding the overflow keeps a flood of expensive tokens from queueing
 * without end and starving valid traffic (RFC 9110 §15.6.4). Like {@link KeysUnavailableError},
 * no challenge is sent and the body carries only `error_description`.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof VerifierBusyError) res.status(503).set(err.headers).json(err.toJSON())
 * }
 * ```
 */
export class VerifierBusyError extends ServiceUnavailableError {
  constructor(options?: TokenwardErrorOptions) {
    // Retry after 1 s: the queue drains in milliseconds.
    super(
      'ERR_VERIFIER_BUSY',
      'the server is at its limit of concurrent token decryptions; retry later',
      1,
      options,
    );
  }
}
