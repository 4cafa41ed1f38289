/**
 * The claims stage: token type, registered claims and the claims profile of the token's issuer
 * turn a verified JWS into the frozen {@link AccessToken} every adapter and policy reads.
 */
import type { IssuerTrust } from '../config/issuer-trust';
import type { AccessToken } from '../verifier/access-token';
import { mapClaims } from './map-claims';
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
  const { header, claims, trust } = layers;
  const rules = trust.rules;
  checkTokenType(header, claims, rules);
  const validated = validateClaims(claims, rules, now);
  const mapped = mapClaims(claims, rules.profile);
  const cnf = claims.cnf;
  return Object.freeze({
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
  });
}
