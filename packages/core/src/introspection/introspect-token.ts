/**
 * The introspection stage of the pipeline (verifier/pipeline.ts): an opaque token is checked for
 * shape, then asked about, and the answer becomes its AccessToken; in `'always'` mode a verified
 * JWT must also be active. Every refusal is an InvalidTokenError or an
 * IntrospectionUnavailableError, which the verifier's error boundary reports like any other.
 */
import type { IssuerTrust } from '../config/issuer-trust';
import { InvalidTokenError } from '../errors/errors';
import { isCompactSerialization } from '../compact/compact';
import { isB64Token } from '../http/authorization';
import type { AccessToken } from '../verifier/access-token';
import { introspectedAccessToken } from './introspected-token';
import type { Introspector } from './introspector';

const inactive = () =>
  new InvalidTokenError(
    'ERR_TOKEN_INACTIVE',
    'the authorization server says the token is not active (token introspection)',
  );

/**
 * Verifies an opaque token (one that is not a JWS or JWE compact serialization) by introspection.
 *
 * @param token The token exactly as received, at most `maxTokenLength` characters.
 * @param introspector The verifier's introspector.
 * @param trust The records of the configured issuers, by exact `iss`.
 * @param now The time of the check, in seconds since the epoch.
 * @throws InvalidTokenError `ERR_TOKEN_MALFORMED` for a token that is not an RFC 6750 b64token
 *   (it is not sent), `ERR_TOKEN_INACTIVE`, or a failed claim check of the answer;
 *   IntrospectionUnavailableError when the server cannot answer.
 * @example
 * ```ts
 * const accessToken = await introspectOpaqueToken(token, plan.introspection, plan.trust, now)
 * ```
 */
export async function introspectOpaqueToken(
  token: string,
  introspector: Introspector,
  trust: ReadonlyMap<string, IssuerTrust>,
  now: number,
): Promise<AccessToken> {
  // `verify(token)` takes any string: one that no authorization server can have issued as a
  // bearer credential (RFC 6750 §2.1) costs no request.
  if (!isB64Token(token)) {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'the token is neither a compact JWS or JWE nor an RFC 6750 b64token',
    );
  }
  const answer = await introspector.answer(token);
  if (!answer.active) throw inactive();
  return introspectedAccessToken(token, answer.response, trust, now);
}

/**
 * An opaque token answered from the introspection cache, synchronously: the verifier's cache-hit
 * path, taken before {@link introspectOpaqueToken} would ask. The same checks and results as
 * there, without a request.
 *
 * @param token The token exactly as received (its length already within `maxTokenLength`).
 * @returns The AccessToken, or undefined when the token is not opaque or no answer is cached.
 * @throws InvalidTokenError `ERR_TOKEN_INACTIVE` for a cached inactive answer, or a failed claim
 *   check of a cached active one (its `exp` passed since, say).
 * @example
 * ```ts
 * const hit = cachedOpaqueToken(token, plan.introspection, plan.trust, now)
 * ```
 */
export function cachedOpaqueToken(
  token: string,
  introspector: Introspector,
  trust: ReadonlyMap<string, IssuerTrust>,
  now: number,
): AccessToken | undefined {
  // Without a dot the token cannot be compact (the common opaque token): one scan, not two
  // patterns that each read it to the end.
  if ((token.includes('.') && isCompactSerialization(token)) || !isB64Token(token)) {
    return undefined;
  }
  const answer = introspector.cached(token);
  if (answer === undefined) return undefined;
  if (!answer.active) throw inactive();
  return introspectedAccessToken(token, answer.response, trust, now);
}

/**
 * `'always'` mode: a JWT that passed every stage is refused unless the authorization server
 * also says it is active (it may have been revoked there before its `exp`).
 *
 * @param verified The AccessToken of the verified JWT; it stays the result (the answer's claims
 *   are not merged into it).
 * @throws InvalidTokenError `ERR_TOKEN_INACTIVE`; IntrospectionUnavailableError.
 * @example
 * ```ts
 * await requireActive(verified.accessToken, plan.introspection)
 * ```
 */
export async function requireActive(
  verified: AccessToken,
  introspector: Introspector,
): Promise<void> {
  const answer = await introspector.answer(verified.token, verified.expiresAt.getTime());
  if (!answer.active) throw inactive();
}
