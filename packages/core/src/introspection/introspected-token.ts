/**
 * An `active: true` introspection response (RFC 7662 §2.2) becomes the same frozen
 * {@link AccessToken} a verified JWT does, under the claim rules of the issuer its `iss` names:
 * `aud` against that issuer's audiences, `exp` required and not passed, `nbf`, `iat`,
 * `maxTokenAge`, `maxTokenLifetime` and `requiredClaims` as for a JWT; `scope`, `client_id`,
 * `sub`, `jti` and `cnf` give the scopes, client, subject, revocation id and binding, so the
 * revocation and binding checks that follow treat both kinds of token alike.
 */
import { accessTokenFromClaims } from '../claims/build-access-token';
import type { ClaimsProfile } from '../claims/presets';
import { trustedIssuer } from '../claims/trusted-issuer';
import { checkTimeClaims } from '../claims/validate-claims';
import type { IssuerTrust } from '../config/issuer-trust';
import { InvalidTokenError } from '../errors/errors';
import type { AccessToken } from '../verifier/access-token';

// An opaque token has no header; the AccessToken's `header` is empty, never absent.
const NO_HEADER: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The issuer's claims profile with the RFC 7662 §2.2 members first: `scope` (space-delimited)
 * and `client_id` mean what they mean whatever the issuer's JWTs call them. The token-type
 * markers of a preset are JWT checks and are not applied (an Okta introspection response, say,
 * carries no `cid`).
 */
function introspectionProfile(profile: ClaimsProfile): ClaimsProfile {
  const first = (name: string, paths: readonly (readonly string[])[]) => [
    [name],
    ...paths.filter((path) => !(path.length === 1 && path[0] === name)),
  ];
  return Object.freeze({
    name: profile.name,
    scopes: first('scope', profile.scopes),
    roles: profile.roles,
    clientId: first('client_id', profile.clientId),
    tokenTypes: profile.tokenTypes,
    ...(profile.audienceFallback !== undefined && { audienceFallback: profile.audienceFallback }),
  });
}

/** RFC 6749 §7.1 access token types an answer may name (RFC 6750 `Bearer`, RFC 9449 `DPoP`). */
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'n_a']);
/** Keycloak's `typ` of the tokens that are not access tokens (its access tokens say `Bearer`). */
const NOT_ACCESS_TYPS = new Set(['refresh', 'offline', 'id', 'logout']);

/**
 * Refuses an answer about a token that is not an access token. RFC 7662 answers for any token the
 * server issued, and a client may present its refresh token (a longer-lived credential) as if it
 * were an access token: an `active: true` answer alone would then let it through. The members
 * servers use to say what the token is: `token_type` (RFC 7662 §2.2, an RFC 6749 §7.1 access
 * token type), `token_use` (Ory Hydra: `access_token` or `refresh_token`) and `typ` (Keycloak:
 * `Bearer`, `Refresh`, `Offline`, `ID`). Absent members say nothing and are not required.
 *
 * @throws InvalidTokenError `ERR_TOKEN_TYPE_INVALID`.
 */
function checkIntrospectedType(response: Readonly<Record<string, unknown>>): void {
  const { token_type: tokenType, token_use: tokenUse, typ } = response;
  const refused =
    (tokenType !== undefined &&
      !(typeof tokenType === 'string' && ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase()))) ||
    (tokenUse !== undefined && tokenUse !== 'access_token') ||
    (typeof typ === 'string' && NOT_ACCESS_TYPS.has(typ.toLowerCase()));
  if (refused) {
    throw new InvalidTokenError(
      'ERR_TOKEN_TYPE_INVALID',
      'the authorization server describes a token that is not an access token (token_type, token_use or typ of the introspection answer)',
    );
  }
}

// One introspection record per issuer record, made on first use.
const introspectionTrust = new WeakMap<IssuerTrust, IssuerTrust>();
// The AccessToken of each cached response, so a reused answer is one object, as a cached JWT is
// (the audit trail computes its pseudonyms once per object).
const built = new WeakMap<object, AccessToken>();

function trustFor(trust: IssuerTrust): IssuerTrust {
  let found = introspectionTrust.get(trust);
  if (found === undefined) {
    found = Object.freeze({
      ...trust,
      rules: Object.freeze({ ...trust.rules, profile: introspectionProfile(trust.rules.profile) }),
    });
    introspectionTrust.set(trust, found);
  }
  return found;
}

/**
 * The AccessToken of an active introspection response, checked at `now`. A response seen before
 * gives the AccessToken built then, its time claims checked again (as a verified-token cache hit
 * is).
 *
 * @param token The token exactly as received.
 * @param response The response, `active: true` already checked; it becomes `claims`.
 * @param trust The records of the configured issuers, by exact `iss`.
 * @param now The time of the check, in seconds since the epoch.
 * @throws InvalidTokenError `ERR_ISSUER_INVALID` for an `iss` that is absent or not configured,
 *   and every claim failure of a JWT (`ERR_TOKEN_EXPIRED`, `ERR_AUDIENCE_INVALID`, …).
 * @example
 * ```ts
 * const accessToken = introspectedAccessToken(token, answer.response, plan.trust, nowSeconds)
 * ```
 */
export function introspectedAccessToken(
  token: string,
  response: Readonly<Record<string, unknown>>,
  trust: ReadonlyMap<string, IssuerTrust>,
  now: number,
): AccessToken {
  // RFC 7662 makes `iss` optional; here it is required: it names the claim rules, and an answer
  // that does not say which issuer it speaks for is not taken as any configured one's.
  const issuer = trustFor(trustedIssuer(trust, response));
  const known = built.get(response);
  if (known !== undefined) {
    checkTimeClaims(response, issuer.rules, now);
    return known;
  }
  checkIntrospectedType(response);
  const accessToken = accessTokenFromClaims(
    token,
    { header: NO_HEADER, claims: response, trust: issuer, encryption: undefined },
    now,
  );
  built.set(response, accessToken);
  return accessToken;
}
