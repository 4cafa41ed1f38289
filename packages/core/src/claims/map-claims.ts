/**
 * Turns verified claims into the scopes, roles and client id of an {@link AccessToken}.
 */
import { InvalidTokenError } from '../errors/errors';
import { readClaim } from './claim-path';
import type { ClaimsProfile } from './presets';

/** The authorization-relevant values read from a token's claims. */
export interface MappedClaims {
  readonly scopes: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly clientId: string | undefined;
}

const invalid = (path: readonly string[], expected: string) =>
  new InvalidTokenError('ERR_CLAIM_INVALID', `the ${path.join('.')} claim must be ${expected}`, {
    claim: path.join('.'),
  });

function collect(
  claims: Record<string, unknown>,
  paths: readonly (readonly string[])[],
  splitStrings: boolean,
): Set<string> {
  const values = new Set<string>();
  for (const path of paths) {
    const value = readClaim(claims, path);
    if (value === undefined) continue;
    if (typeof value === 'string') {
      // RFC 6749 §3.3 / RFC 9068 §2.2.3: `scope` is a space-delimited string.
      for (const item of splitStrings ? value.split(' ') : [value])
        if (item !== '') values.add(item);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      for (const item of value as string[]) values.add(item);
    } else {
      throw invalid(path, 'a string or an array of strings');
    }
  }
  return values;
}

/** Reads scopes, roles and client id from claims per the profile. */
export function mapClaims(claims: Record<string, unknown>, profile: ClaimsProfile): MappedClaims {
  let clientId: string | undefined;
  for (const path of profile.clientId) {
    const value = readClaim(claims, path);
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(path, 'a string');
    clientId = value;
    break;
  }
  return {
    scopes: collect(claims, profile.scopes, true),
    roles: collect(claims, [profile.roles], false),
    clientId,
  };
}
