/**
 * The seam between verification and wherever signing keys come from. Local keys implement it
 * here; remote JWKS and discovery sources implement the same interface, so the verifier does not
 * care where a key was found.
 */
import type { ImportedKey } from './key-input';

/** The parts of a JWS protected header a key source may use to choose keys. */
export interface KeySelector {
  /** The JWS `alg`, already checked against the allowlist. */
  readonly alg: string;
  /** The JWS `kid`: only a lookup key, never trusted for anything else. */
  readonly kid: string | undefined;
}

/** Anything that can produce candidate signature verification keys for a token header. */
export interface SigningKeySource {
  /**
   * Returns the keys that may have signed a token with this header, in the order to try them.
   * An empty list means no key fits. Nothing about the token is verified yet at this point.
   */
  getKeys(selector: KeySelector): readonly ImportedKey[] | Promise<readonly ImportedKey[]>;
}

/** At most this many keys are tried for one token (when several fit and the token has no `kid`). */
export const MAX_KEY_CANDIDATES = 3;
