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
  /**
   * The whole protected header (already shape-checked, NOT verified), for sources that choose
   * keys by more than `alg` and `kid` (the `getKey` lookup).
   */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The configured issuer the token's unverified `iss` names (its trust record is in use). */
  readonly issuer?: string;
}

/** Anything that can produce candidate signature verification keys for a token header. */
export interface SigningKeySource {
  /**
   * Returns the keys that may have signed a token with this header, in the order to try them.
   * An empty list means no key fits. Nothing about the token is verified yet at this point.
   */
  getKeys(selector: KeySelector): readonly ImportedKey[] | Promise<readonly ImportedKey[]>;
  /**
   * Whether `key`, which this source returned earlier, is still one of its keys (synchronous, no
   * fetch). The verified-token cache asks this on every hit and refuses a token whose key is
   * gone. A source without this method (fixed local keys) never drops a key.
   */
  holds?(key: ImportedKey): boolean;
}

/**
 * A freshly imported key list in which every key equal to one of `previous` (same `kid`, `alg`
 * and key material) is that previous object, so identity-based {@link SigningKeySource.holds}
 * survives a refresh that changed nothing about a key.
 *
 * @example
 * ```ts
 * this.keys = carryOverKeys(this.keys, importRemoteJWKSet(body, url))
 * ```
 */
export function carryOverKeys(
  previous: readonly ImportedKey[] | undefined,
  next: readonly ImportedKey[],
): ImportedKey[] {
  if (previous === undefined) return [...next];
  return next.map(
    (key) =>
      previous.find(
        (old) => old.kid === key.kid && old.alg === key.alg && old.key.equals(key.key),
      ) ?? key,
  );
}

/** At most this many keys are tried for one token (when several fit and the token has no `kid`). */
export const MAX_KEY_CANDIDATES = 3;
