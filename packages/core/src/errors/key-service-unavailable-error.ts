/**
 * A decryption key held outside the process (an HSM, a cloud KMS) failed its private-key step:
 * the server's fault, not the token's.
 */
import type { TokenwardErrorOptions } from './errors';
import { ServiceUnavailableError } from './service-unavailable-error';

/**
 * An external decryption key (`ExternalDecryptionKey` in `decryptionKeys`) threw, rejected,
 * answered something that is not bytes, or did not answer within `externalKeyTimeout`: HTTP 503
 * with `Retry-After`, no challenge.
 *
 * Why 503 and not 401: the token has not been judged, so it may be perfectly valid; a 401 would
 * tell the client to discard it and hide the key service's outage from 5xx alerting. A key
 * service that answers with wrong bytes (a CEK that does not decrypt the content) is an ordinary
 * 401 `ERR_JWE_DECRYPTION_FAILED`: a bad token looks exactly like that.
 *
 * The key service's own error is the `cause` (for logs; never shown to clients).
 *
 * @example
 * ```ts
 * if (err instanceof KeyServiceUnavailableError) res.status(503).set(err.headers).end()
 * ```
 */
export class KeyServiceUnavailableError extends ServiceUnavailableError {
  constructor(options?: TokenwardErrorOptions) {
    // Retry after 1 s: an HSM session or a KMS call usually recovers within that.
    super(
      'ERR_KEY_SERVICE_UNAVAILABLE',
      'the decryption key service cannot answer right now; retry later',
      1,
      options,
    );
  }
}
