/**
 * The claims stage: token type, registered claims and the claims profile of the token's issuer
 * turn a verified JWS into the frozen {@link AccessToken} every adapter and policy reads.
 */
import type { IssuerTrust } from '../config/issuer-trust';
import { InvalidTokenError } from '../errors/errors';
import type { AccessToken, TokenBinding } from '../verifier/access-token';
import { mapClaims } from './map-claims';
import { recordTokenProfile } from './token-profile';
import { checkTokenType, validateClaims } from './validate-claims';

/** What the earlier stages established about a token. */
export interface VerifiedLayers {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** The record of the issuer `iss` named (checked once, claims/trusted-issuer.ts). */
  readonly trust: IssuerTrust;
  /** The outer JWE protected header, for an encrypted token. */
  readonly encryption: Record<string, unknown> | undefined;
}

/**
 * Validates the claims of a verified token and builds its {@link AccessToken}.
 *
 * @param token The token exactly as received.
 * @param now The time of the check, in seconds since the epoch.
 * @throws InvalidTokenError for a wrong `typ` or a failed claim check.
 * @example
 * ```ts
 * const accessToken = buildAccessToken(token, { header, claims, trust, encryption }, nowSeconds)
 * ```
 */
export function buildAccessToken(token: string, layers: VerifiedLayers, now: number): AccessToken {
  checkTokenType(layers.header, layers.claims, layers.trust.rules);
  return accessTokenFromClaims(token, layers, now);
}

/**
 * {@link buildAccessToken} without the token-type checks, which read a JWS header: the claim
 * checks and the mapping alone, for claims an authorization server vouched for by another
 * route (an introspection response, introspection/introspected-token.ts).
 *
 * @throws InvalidTokenError for a failed claim check.
 * @example
 * ```ts
 * const accessToken = accessTokenFromClaims(token, { header: {}, claims, trust, encryption: undefined }, now)
 * ```
 */
export function accessTokenFromClaims(
  token: string,
  layers: VerifiedLayers,
  now: number,
): AccessToken {
  const { header, claims, trust } = layers;
  const rules = trust.rules;
  const validated = validateClaims(claims, rules, now);
  const mapped = mapClaims(claims, rules.profile);
  const cnf = claims.cnf;
  const binding = bindingOf(cnf);
  const accessToken: AccessToken = Object.freeze({
    token,
    claims: Object.freeze(claims),
    header: Object.freeze(header),
    ...(layers.encryption && { encryption: Object.freeze(layers.encryption) }),
    issuer: validated.issuer,
    ...(validated.subject !== undefined && { subject: validated.subject }),
    ...(mapped.clientId !== undefined && { clientId: mapped.clientId }),
    audience: Object.freeze([...validated.audience]),
    scopes: mapped.scopes,
    roles: mapped.roles,
    expiresAt: validated.expiresAt,
    ...(validated.issuedAt && { issuedAt: validated.issuedAt }),
    ...(typeof cnf === 'object' &&
      cnf !== null &&
      !Array.isArray(cnf) && { confirmation: Object.freeze(cnf as Record<string, unknown>) }),
    binding,
    ...(trust.tenant !== undefined && { tenant: trust.tenant }),
  });
  recordTokenProfile(accessToken, rules.profile);
  return accessToken;
}

// A SHA-256 thumbprint in base64url: 43 characters (RFC 9449 §6.1, RFC 8705 §3.1).
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const BEARER: TokenBinding = Object.freeze({ scheme: 'bearer' });

/**
 * The binding a `cnf` claim states. A malformed `cnf` is refused, never read as unbound: an
 * issuer that meant to bind the token must not have it accepted as a bearer token.
 */
function bindingOf(cnf: unknown): TokenBinding {
  if (cnf === undefined) return BEARER;
  const invalid = (what: string) =>
    new InvalidTokenError('ERR_CLAIM_INVALID', `the cnf claim ${what}`, { claim: 'cnf' });
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf))
    throw invalid('is not an object');
  const { jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>;
  if (jkt !== undefined && (typeof jkt !== 'string' || !THUMBPRINT.test(jkt))) {
    throw invalid('has a jkt that is not a SHA-256 JWK thumbprint');
  }
  if (x5t !== undefined && (typeof x5t !== 'string' || !THUMBPRINT.test(x5t))) {
    throw invalid('has an x5t#S256 that is not a SHA-256 certificate thumbprint');
  }
  if (jkt === undefined && x5t === undefined) return BEARER;
  return Object.freeze({
    scheme: jkt !== undefined ? 'dpop' : 'mtls',
    ...(jkt !== undefined && { jkt }),
    ...(x5t !== undefined && { x5t }),
  });
}
