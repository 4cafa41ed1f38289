/**
 * Minting of good access tokens: signed (JWS, `typ: at+jwt`, RFC 9068) and nested (that JWS
 * encrypted to the resource server with `cty: "JWT"`, RFC 7519 §11.2), both made by core's
 * `createIssuer` so the kit tests the same tokens a first-party issuer produces.
 */
import type { IssueClaims } from '@tokenward/core';
import type { EncryptionKeys } from './encryption-keys';
import type { TestTokenOptions } from './options';
import type { SigningKeys } from './signing-keys';

/** What a minter reads at each call (the issuer identifier changes when the server starts). */
export interface MinterState {
  readonly signing: SigningKeys;
  readonly encryption: EncryptionKeys | undefined;
  readonly issuer: () => string;
  readonly defaultClaims: IssueClaims;
}

/** Mints good tokens; see {@link createMinter}. */
export interface Minter {
  /** The claims a token gets: `iss`, then the default claims, then the call's claims. */
  claimsFor(claims: IssueClaims): IssueClaims;
  /** A signed access token. */
  issueSigned(claims?: IssueClaims, options?: TestTokenOptions): Promise<string>;
  /** A nested access token. @throws TypeError when the issuer has no encryption key. */
  issueNested(claims?: IssueClaims, options?: TestTokenOptions): Promise<string>;
  /**
   * The resource server's encryption keys.
   *
   * @param what The method asking, named in the error.
   * @throws TypeError when the issuer was created with `keyManagementAlgorithm: false`.
   */
  requireEncryption(what: string): EncryptionKeys;
}

/**
 * Creates the minter of good tokens over the issuer's keys.
 *
 * @param state Signing and encryption keys, the current issuer identifier and default claims.
 * @example `await createMinter(state).issueNested({ scope: 'messages:read' })`
 */
export function createMinter(state: MinterState): Minter {
  const claimsFor = (claims: IssueClaims): IssueClaims => ({
    iss: state.issuer(),
    ...state.defaultClaims,
    ...claims,
  });
  const requireEncryption = (what: string): EncryptionKeys => {
    if (state.encryption === undefined) {
      throw new TypeError(
        `${what}: this test issuer has no encryption key (keyManagementAlgorithm: false)`,
      );
    }
    return state.encryption;
  };
  return {
    claimsFor,
    requireEncryption,
    issueSigned: (claims = {}, options = {}) =>
      state.signing.current().issue(claimsFor(claims), { ...options, encrypt: false }),
    async issueNested(claims = {}, options = {}) {
      requireEncryption('issueNested');
      return state.signing.current().issue(claimsFor(claims), { ...options, encrypt: true });
    },
  };
}
