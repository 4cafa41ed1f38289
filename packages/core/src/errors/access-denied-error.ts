/** A refusal that is not the token's fault: 403 without an RFC 6750 error attribute. */
import { TokenwardError, type TokenwardErrorCode, type TokenwardErrorOptions } from './errors';

/**
 * Base of the 403 answers that do not blame the token (`IpNotAllowedError`,
 * `ClientNotApprovedError`): the request comes from a network, or the token from a client, this
 * API does not serve. `insufficient_scope` would tell the client to ask for a token with more
 * scopes, and `invalid_token` to ask for a new one; neither helps. So no `error` attribute and
 * no `WWW-Authenticate` challenge are sent (RFC 9110 §15.5.4: the credentials are understood
 * and not enough; a challenge would invite re-authentication), and the body carries only
 * `error_description`.
 *
 * @example
 * ```ts
 * if (err instanceof AccessDeniedError) res.status(403).set(err.headers).json(err.toJSON())
 * ```
 */
export class AccessDeniedError extends TokenwardError {
  constructor(code: TokenwardErrorCode, message: string, options?: TokenwardErrorOptions) {
    super(403, undefined, code, message, options);
  }

  /** No headers: a challenge would tell the client its credentials are at fault. */
  override get headers(): Record<string, string> {
    return {};
  }

  /** `{ error_description }`: RFC 6750 defines no `error` value for this refusal. */
  override toJSON(): { error_description: string } {
    return { error_description: this.message };
  }
}
