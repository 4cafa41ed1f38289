/**
 * Registered-claim checks (RFC 7519 §4.1, RFC 9068 §4, RFC 8725 §3.8–3.11) on a token whose
 * signature is already verified.
 */
import { InvalidTokenError } from '../errors/errors';
import { normalizeMediaType } from '../compact/media-type';
import type { ClaimsProfile } from './presets';

/** The claim rules a verifier runs with, already normalised. */
export interface ClaimRules {
  /** The one issuer these rules belong to (its `iss` was matched by claims/trusted-issuer.ts). */
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Seconds. */
  readonly clockTolerance: number;
  /** Seconds, when set. */
  readonly maxTokenAge: number | undefined;
  /** The longest accepted `exp − iat`, seconds, when set. */
  readonly maxTokenLifetime: number | undefined;
  readonly requiredClaims: readonly string[];
  /** Accepted header `typ` values (normalised; `''` = absent). */
  readonly tokenTypes: readonly string[];
  readonly profile: ClaimsProfile;
}

/** What a validated token's registered claims resolved to. */
export interface ValidatedClaims {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly subject: string | undefined;
  readonly expiresAt: Date;
  readonly issuedAt: Date | undefined;
}

const describe = (typ: unknown): string =>
  typeof typ === 'string' && /^[\w.+/-]{1,40}$/.test(typ)
    ? `"${typ}"`
    : typ === undefined
      ? 'none'
      : 'unprintable';

const showTypes = (types: readonly string[]) =>
  types.map((t) => (t === '' ? "'' (no typ)" : `'${t}'`)).join(', ');

/** Checks the header `typ` and the IdP's access-token markers (an ID token is not an access token). */
export function checkTokenType(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  rules: ClaimRules,
): void {
  const typ = header.typ;
  if (typ !== undefined && typeof typ !== 'string') {
    throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the typ header must be a string');
  }
  const normalized = typ === undefined ? '' : normalizeMediaType(typ);
  if (!rules.tokenTypes.includes(normalized)) {
    const suggestion = typ === undefined ? `tokenType: ['']` : `tokenType: '${normalized}'`;
    throw new InvalidTokenError(
      'ERR_TOKEN_TYPE_INVALID',
      `the token type (typ ${describe(typ)}) is not an accepted access token type (${showTypes(rules.tokenTypes)}); ` +
        `if your authorization server issues access tokens of this type, set ${suggestion} or the claims preset for it`,
    );
  }
  const reason = rules.profile.accessTokenCheck?.(claims);
  if (reason !== undefined) {
    throw new InvalidTokenError(
      'ERR_TOKEN_TYPE_INVALID',
      `the token is not a ${rules.profile.name} access token: ${reason}`,
    );
  }
}

// ECMAScript time values span ±8.64e15 ms (ECMA-262 §21.4.1.1); a NumericDate beyond that
// would become an Invalid Date in `expiresAt`/`issuedAt`.
const MAX_NUMERIC_DATE = 8.64e12;

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  // RFC 7519 §2: NumericDate is a JSON number; a string or boolean here is a malformed token.
  // JSON.parse turns a literal such as 1e400 into Infinity, which is no date either.
  if (typeof value !== 'number' || !(Math.abs(value) <= MAX_NUMERIC_DATE)) {
    throw new InvalidTokenError(
      'ERR_CLAIM_INVALID',
      `the ${name} claim must be a NumericDate (a number)`,
      { claim: name },
    );
  }
  return value;
}

function optionalString(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidTokenError('ERR_CLAIM_INVALID', `the ${name} claim must be a string`, {
      claim: name,
    });
  }
  return value;
}

function readAudience(claims: Record<string, unknown>, rules: ClaimRules): string[] {
  const aud = claims.aud;
  if (aud === undefined) {
    const fallback = rules.profile.audienceFallback;
    const value = fallback === undefined ? undefined : claims[fallback];
    if (typeof value === 'string') return [value];
    throw new InvalidTokenError(
      'ERR_CLAIM_MISSING',
      'the token has no aud claim (RFC 9068 §4 requires one)',
      { claim: 'aud' },
    );
  }
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'))
    return aud as string[];
  throw new InvalidTokenError(
    'ERR_CLAIM_INVALID',
    'the aud claim must be a string or a non-empty array of strings',
    { claim: 'aud' },
  );
}

/**
 * Checks the time-based claims (`exp` required, `nbf`, `iat`, `maxTokenLifetime`, `maxTokenAge`) at `now` (seconds
 * since the epoch). The verified-token cache runs this on every hit, so a cached token expires on
 * time whatever the cache's own clock says.
 */
export function checkTimeClaims(
  claims: Record<string, unknown>,
  rules: ClaimRules,
  now: number,
): { exp: number; iat: number | undefined } {
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) {
    throw new InvalidTokenError(
      'ERR_CLAIM_MISSING',
      'the token has no exp claim; access tokens must expire',
      { claim: 'exp' },
    );
  }
  const tolerance = rules.clockTolerance;
  // RFC 7519 §4.1.4: the token must not be accepted on or after exp.
  if (now >= exp + tolerance) {
    throw new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired', { claim: 'exp' });
  }
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && now + tolerance < nbf) {
    throw new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)', {
      claim: 'nbf',
    });
  }
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && iat > now + tolerance) {
    throw new InvalidTokenError(
      'ERR_TOKEN_ISSUED_IN_FUTURE',
      'the token was issued in the future (iat); check the clocks',
      { claim: 'iat' },
    );
  }
  if (rules.maxTokenLifetime !== undefined) {
    if (iat === undefined) {
      throw new InvalidTokenError(
        'ERR_CLAIM_MISSING',
        'the token has no iat claim, which option maxTokenLifetime needs',
        { claim: 'iat' },
      );
    }
    // No clock tolerance: both times come from the issuer's one clock.
    if (exp - iat > rules.maxTokenLifetime) {
      throw new InvalidTokenError(
        'ERR_TOKEN_LIFETIME_TOO_LONG',
        `the token lives longer (exp − iat) than option maxTokenLifetime allows (${rules.maxTokenLifetime} s)`,
        { claim: 'exp' },
      );
    }
  }
  if (rules.maxTokenAge !== undefined) {
    if (iat === undefined) {
      throw new InvalidTokenError(
        'ERR_CLAIM_MISSING',
        'the token has no iat claim, which option maxTokenAge needs',
        { claim: 'iat' },
      );
    }
    if (now - iat > rules.maxTokenAge + tolerance) {
      throw new InvalidTokenError(
        'ERR_TOKEN_TOO_OLD',
        'the token is older than option maxTokenAge allows',
        { claim: 'iat' },
      );
    }
  }

  return { exp, iat };
}

/**
 * Validates registered claims against the rules of the token's issuer at time `now` (seconds since
 * the epoch).
 */
export function validateClaims(
  claims: Record<string, unknown>,
  rules: ClaimRules,
  now: number,
): ValidatedClaims {
  // `iss` was matched once, exactly, when it selected these rules (claims/trusted-issuer.ts).
  const audience = readAudience(claims, rules);
  if (!audience.some((a) => rules.audiences.includes(a))) {
    throw new InvalidTokenError(
      'ERR_AUDIENCE_INVALID',
      'the token is meant for another audience (option audience)',
      { claim: 'aud' },
    );
  }

  const { exp, iat } = checkTimeClaims(claims, rules, now);

  const subject = optionalString(claims, 'sub');
  optionalString(claims, 'jti');
  for (const name of rules.requiredClaims) {
    if (!Object.hasOwn(claims, name)) {
      throw new InvalidTokenError(
        'ERR_CLAIM_MISSING',
        `the token has no ${name} claim (option requiredClaims)`,
        { claim: name },
      );
    }
  }
  return {
    issuer: rules.issuer,
    audience,
    subject,
    expiresAt: new Date(exp * 1000),
    issuedAt: iat === undefined ? undefined : new Date(iat * 1000),
  };
}
