/**
 * Step-up authentication (RFC 9470): a route requirement on how, and how recently, the user
 * authenticated, read from the token's `acr` and `auth_time` where the claims mapping says the
 * identity provider puts them. A refusal is 401 `insufficient_user_authentication` with the
 * route's requirement in the challenge (docs/step-up.md).
 *
 * One policy for both requirements, not one each: a route that needs a strong and recent
 * sign-in states both in one challenge, so the client re-authenticates once, not twice.
 */
import { readClaim } from '../claims/claim-path';
import { resolveClaimsProfile, type ClaimsMapping, type ClaimsPresetName } from '../claims/presets';
import { tokenProfile } from '../claims/token-profile';
import { DEFAULT_CLOCK_TOLERANCE } from '../config/verifier-options';
import { InvalidTokenError } from '../errors/errors';
import { InsufficientUserAuthenticationError } from '../errors/insufficient-user-authentication-error';
import type { AccessToken } from '../verifier/access-token';
import type { Policy } from './policies';

/** What {@link requireStepUp} requires of the user's authentication; at least one of the two. */
export interface StepUpOptions {
  /**
   * Accepted authentication context class references, in order of preference: the token passes
   * with any one of them. Sent back as `acr_values` in the challenge.
   */
  readonly acr?: readonly string[];
  /**
   * The longest time, in whole seconds, since the user last authenticated (`auth_time`). Strict:
   * no clock tolerance is added. Sent back as `max_age` in the challenge.
   */
  readonly maxAge?: number;
  /**
   * Where the tokens carry `acr` and `auth_time`: a claims preset or mapping (its `acr` and
   * `authTime` fields). Default: the preset or mapping the verifier read the token with (the
   * standard `acr` and `auth_time` for a token no verifier built).
   */
  readonly claims?: ClaimsPresetName | ClaimsMapping;
}

const OPTION_NAMES = new Set(['acr', 'maxAge', 'claims']);
// RFC 9470 §3 sends acr_values space-separated inside a quoted string: each value must be a
// non-empty run of printable ASCII without space, `"` or `\` (the scope-token grammar of
// RFC 6749 §3.3), or the client would read a different list.
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const fail = (message: string): never => {
  throw new TypeError(`requireStepUp: ${message}`);
};

/**
 * Requires the user behind the token to have authenticated strongly enough (`acr`: one of the
 * listed classes) and recently enough (`auth_time` at most `maxAge` seconds ago, by the server's
 * clock). Otherwise 401 `insufficient_user_authentication` (`ERR_ACR_INSUFFICIENT`,
 * `ERR_AUTH_TIME_MISSING`, `ERR_AUTH_TOO_OLD`), whose challenge states every requirement of the
 * route (`acr_values="…"`, `max_age="…"`) so one new sign-in meets them all. A token without
 * `auth_time` under a `maxAge` is refused. An `acr` or `auth_time` claim of the wrong type, or an
 * `auth_time` in the future beyond the default clock tolerance, is 401 `invalid_token`
 * `ERR_CLAIM_INVALID`.
 *
 * @param options The requirement; checked here, so a mistake fails at start-up.
 * @throws TypeError for an unknown option, no requirement, an empty or malformed `acr` list, a
 *   `maxAge` that is not a whole number of seconds, or a bad `claims` mapping.
 * @example
 * ```ts
 * router.post('/transfers', authorize(requireStepUp({ acr: ['urn:example:mfa'], maxAge: 300 })), handler)
 * ```
 */
export function requireStepUp(options: StepUpOptions): Policy {
  if (typeof options !== 'object' || options === null) fail('expected an options object');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) fail(`unknown option ${JSON.stringify(name)}`);
  }
  const { acr, maxAge } = options;
  if (acr === undefined && maxAge === undefined) fail('expected acr, maxAge or both');
  if (
    acr !== undefined &&
    (!Array.isArray(acr) ||
      acr.length === 0 ||
      !acr.every((value) => typeof value === 'string' && ACR_VALUE.test(value)))
  ) {
    fail('acr: expected a non-empty list of values without spaces, quotes or backslashes');
  }
  if (
    maxAge !== undefined &&
    (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0)
  ) {
    fail('maxAge: expected a whole number of seconds, 0 or more');
  }
  let given;
  try {
    given = options.claims === undefined ? undefined : resolveClaimsProfile(options.claims);
  } catch (error) {
    return fail((error as Error).message);
  }
  /** Where `token` carries acr and auth_time: `claims`, else the verifier's profile, else standard. */
  const pathsOf = (token: AccessToken) => {
    const profile = given ?? tokenProfile(token);
    const authTimePath = profile?.authTime ?? ['auth_time'];
    return {
      acrPaths: profile?.acr ?? [['acr']],
      authTimePath,
      authTimeLabel: authTimePath.join('.'),
    };
  };
  const accepted = acr === undefined ? undefined : Object.freeze([...acr]);
  const requirement = {
    ...(accepted !== undefined && { acrValues: accepted }),
    ...(maxAge !== undefined && { maxAge }),
  };
  const refuse = (
    code: 'ERR_ACR_INSUFFICIENT' | 'ERR_AUTH_TIME_MISSING' | 'ERR_AUTH_TOO_OLD',
    message: string,
    claim: string,
  ) => new InsufficientUserAuthenticationError(code, message, requirement, { claim });

  return (token: AccessToken) => {
    const claims = token.claims as Record<string, unknown>;
    const { acrPaths, authTimePath, authTimeLabel } = pathsOf(token);
    if (accepted !== undefined) {
      const values = acrValuesOf(claims, acrPaths);
      if (!accepted.some((value) => values.has(value))) {
        throw refuse(
          'ERR_ACR_INSUFFICIENT',
          values.size === 0
            ? `the token states no authentication context class (acr); this route needs one of: ${accepted.join(' ')}`
            : `the user's authentication context class (acr) is not one this route accepts (needs one of: ${accepted.join(' ')})`,
          (acrPaths[0] as readonly string[]).join('.'),
        );
      }
    }
    if (maxAge !== undefined) {
      const authTime = readClaim(claims, authTimePath);
      if (authTime === undefined) {
        throw refuse(
          'ERR_AUTH_TIME_MISSING',
          `the token does not say when the user authenticated (${authTimeLabel}); this route needs an authentication at most ${maxAge} s old`,
          authTimeLabel,
        );
      }
      if (typeof authTime !== 'number' || !Number.isFinite(authTime) || authTime < 0) {
        throw new InvalidTokenError(
          'ERR_CLAIM_INVALID',
          `the ${authTimeLabel} claim must be a NumericDate`,
          { claim: authTimeLabel },
        );
      }
      // The verifier's clock: whole seconds, as it checks exp and iat.
      const now = Math.floor(Date.now() / 1000);
      // An authentication in the future would count as fresh for ever: beyond the usual skew it
      // is a broken token, not a recent sign-in.
      if (authTime > now + DEFAULT_CLOCK_TOLERANCE) {
        throw new InvalidTokenError(
          'ERR_CLAIM_INVALID',
          `the ${authTimeLabel} claim lies in the future; check the clocks`,
          { claim: authTimeLabel },
        );
      }
      // RFC 9470 §3 / OpenID Connect Core §3.1.2.1: too old when the elapsed time is greater
      // than max_age. No tolerance: the route asked for this bound, skew must not widen it.
      if (now - authTime > maxAge) {
        throw refuse(
          'ERR_AUTH_TOO_OLD',
          `the user's authentication is older than this route accepts (at most ${maxAge} s)`,
          authTimeLabel,
        );
      }
    }
  };
}

/** The `acr` values a token states, from every mapped claim (a string, or an array of them). */
function acrValuesOf(
  claims: Record<string, unknown>,
  paths: readonly (readonly string[])[],
): ReadonlySet<string> {
  const values = new Set<string>();
  for (const path of paths) {
    const value = readClaim(claims, path);
    if (value === undefined) continue;
    if (typeof value === 'string') {
      if (value !== '') values.add(value);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      for (const item of value as string[]) if (item !== '') values.add(item);
    } else {
      const label = path.join('.');
      throw new InvalidTokenError(
        'ERR_CLAIM_INVALID',
        `the ${label} claim must be a string or an array of strings`,
        { claim: label },
      );
    }
  }
  return values;
}
