/**
 * The claims profile each verified token was read with, kept beside the frozen AccessToken (a
 * cache hit returns the same object): route requirements that read more claims than the token
 * carries as fields (`requireStepUp`'s `acr` and `auth_time`) then read them where the
 * verifier's preset or mapping says, without being told again.
 */
import type { AccessToken } from '../verifier/access-token';
import type { ClaimsProfile } from './presets';

const profiles = new WeakMap<AccessToken, ClaimsProfile>();

/** Records the profile `token` was built with (once per verification, not per cache hit). */
export function recordTokenProfile(token: AccessToken, profile: ClaimsProfile): void {
  profiles.set(token, profile);
}

/** The profile the verifier read `token` with; `undefined` for a token built elsewhere. */
export function tokenProfile(token: AccessToken): ClaimsProfile | undefined {
  return profiles.get(token);
}
