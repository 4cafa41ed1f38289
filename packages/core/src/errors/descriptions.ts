/**
 * Fixed, generic `error_description` texts for `errorDescriptions: 'terse'`: a client learns what
 * to do (get a new token, ask for another scope), never which check failed. The detailed message
 * stays on the error (`message`) for server-side logs and the `onRejection` hook.
 */
// No import from errors.ts (which imports this file): codes and attributes are plain strings here.
/**
 * The `error` attribute values of a challenge: RFC 6750 §3.1, RFC 9449 §7.1 / §8 for DPoP
 * (`invalid_dpop_proof`, `use_dpop_nonce`), and RFC 9470 §3 for step-up authentication
 * (`insufficient_user_authentication`).
 */
export type BearerErrorAttribute =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_user_authentication';

/** How much `error_description` tells the client: the detailed message, or a generic text. */
export type ErrorDescriptionMode = 'detailed' | 'terse';

/** Generic texts by RFC 6750 §3.1 `error` attribute, for codes without their own entry. */
export const TERSE_BY_ATTRIBUTE: Readonly<Record<BearerErrorAttribute, string>> = Object.freeze({
  invalid_request: 'The request is malformed',
  invalid_token: 'The access token is invalid',
  insufficient_scope: 'The access token does not grant access to this resource',
  invalid_dpop_proof: 'The DPoP proof is invalid',
  use_dpop_nonce: 'The DPoP proof must carry the nonce the server provided',
  // The challenge's acr_values / max_age say what to do; the text only says a new sign-in helps.
  insufficient_user_authentication: 'A different or more recent user authentication is required',
});

// Only outcomes a well-behaved client acts on differently get their own text: an expired token is
// refreshed, a token that is not valid yet is retried. Every other invalid_token stays generic,
// so a forger learns nothing about which check stopped the token.
const TERSE_BY_CODE: Readonly<Record<string, string>> = {
  ERR_TOKEN_EXPIRED: 'The access token expired',
  ERR_TOKEN_NOT_YET_VALID: 'The access token is not valid yet',
  ERR_REQUEST_MULTIPLE_TOKENS: 'The request carries more than one access token',
};

/**
 * The terse `error_description` of a code.
 *
 * @param code The error code.
 * @param error Its RFC 6750 `error` attribute (the fallback for codes without their own text).
 * @example
 * ```ts
 * terseDescription('ERR_JWS_SIGNATURE_INVALID', 'invalid_token') // 'The access token is invalid'
 * ```
 */
export function terseDescription(code: string, error: BearerErrorAttribute): string {
  return Object.hasOwn(TERSE_BY_CODE, code)
    ? (TERSE_BY_CODE[code] as string)
    : TERSE_BY_ATTRIBUTE[error];
}
