/** The revocation list cannot say whether a token is revoked: the server's fault, not the token's. */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * The revocation list's copy is older than its staleness limit (its store has been unreachable
 * too long): HTTP 503 with `Retry-After`. Accepting the token could accept a revoked one; a 401
 * would tell a well-behaved client its token is bad.
 *
 * @example
 * ```ts
 * if (err instanceof RevocationUnavailableError) res.status(503).set(err.headers).end()
 * ```
 */
export class RevocationUnavailableError extends ServiceUnavailableError {
  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      'ERR_REVOCATION_UNAVAILABLE',
      'whether the token is revoked cannot be checked right now; retry later',
      retryAfter,
      options,
    );
  }
}
