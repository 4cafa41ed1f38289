/**
 * The token is valid, but the user's authentication behind it is not the one the route needs
 * (RFC 9470 §3): 401 `insufficient_user_authentication`, with the route's requirement in the
 * challenge so the client can ask the authorization server for a token that meets it.
 */
import { TokenwardError, type TokenwardErrorCode, type TokenwardErrorOptions } from './errors';

/** What a route requires of the user's authentication, as its challenge states it. */
export interface UserAuthenticationRequirement {
  /** Accepted authentication context class references, in order of preference (`acr_values`). */
  readonly acrValues?: readonly string[];
  /** The longest time since the user's authentication, in seconds (`max_age`). */
  readonly maxAge?: number;
}

// The attribute grammar of errors.ts: printable ASCII without `"` or `\` (RFC 6750 §3). The
// policy only ever passes checked values; this keeps a hand-built error from splitting a header.
const attributeValue = (value: string): string =>
  value
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?');

/**
 * Refusal of a token whose authentication is too weak or too old for the route (RFC 9470): 401
 * `insufficient_user_authentication` with `acr_values="…"` (space-separated) and/or
 * `max_age="…"` in the `WWW-Authenticate` challenge. Not `invalid_token`: the token stays good
 * for other routes; the user has to authenticate again, not the client to refresh.
 *
 * @example
 * ```ts
 * new InsufficientUserAuthenticationError('ERR_AUTH_TOO_OLD', 'more recent authentication is required', { maxAge: 300 }).challenge
 * // 'Bearer realm="api", error="insufficient_user_authentication", error_description="…", max_age="300"'
 * ```
 */
export class InsufficientUserAuthenticationError extends TokenwardError {
  /** The accepted authentication context class references, advertised as `acr_values`. */
  readonly acrValues: readonly string[];
  /** The longest accepted authentication age in seconds, advertised as `max_age`. */
  readonly maxAge: number | undefined;

  constructor(
    code: TokenwardErrorCode,
    message: string,
    requirement: UserAuthenticationRequirement = {},
    options?: TokenwardErrorOptions,
  ) {
    super(401, 'insufficient_user_authentication', code, message, options);
    this.acrValues = Object.freeze([...(requirement.acrValues ?? [])]);
    const maxAge = requirement.maxAge;
    this.maxAge =
      typeof maxAge === 'number' && Number.isSafeInteger(maxAge) && maxAge >= 0
        ? maxAge
        : undefined;
  }

  protected override challengeAttributes(): string[] {
    const attributes: string[] = [];
    if (this.acrValues.length > 0) {
      attributes.push(`acr_values="${attributeValue(this.acrValues.join(' '))}"`);
    }
    if (this.maxAge !== undefined) attributes.push(`max_age="${this.maxAge}"`);
    return attributes;
  }
}
