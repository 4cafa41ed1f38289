/**
 * How a token is bound to its holder (RFC 7800 `cnf`): `dpop` for a key the client proves on each
 * request (RFC 9449 `cnf.jkt`), `mtls` for a client certificate (RFC 8705 `cnf["x5t#S256"]`),
 * `bearer` for an unbound token anyone holding it can use.
 */
export interface TokenBinding {
  readonly scheme: 'bearer' | 'dpop' | 'mtls';
  /** The RFC 7638 thumbprint of the DPoP key (`cnf.jkt`). */
  readonly jkt?: string;
  /** The SHA-256 thumbprint of the client certificate (`cnf["x5t#S256"]`). */
  readonly x5t?: string;
}

/** The result of a successful verification. */
export interface AccessToken {
  /** The token exactly as received (keep it out of logs). */
  readonly token: string;
  /** The verified JWT claims set. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The protected header of the signed JWT (the inner one, for a nested token). */
  readonly header: Readonly<Record<string, unknown>>;
  /** The outer JWE protected header, present when the token was encrypted. */
  readonly encryption?: Readonly<Record<string, unknown>>;
  /** The `iss` claim, one of the configured issuers. */
  readonly issuer: string;
  /** The `sub` claim. */
  readonly subject?: string;
  /** The OAuth client the token was issued to (`client_id`, `azp`, … per the claims profile). */
  readonly clientId?: string;
  /** The `aud` claim as a list. */
  readonly audience: readonly string[];
  /** Scopes granted to the token. */
  readonly scopes: ReadonlySet<string>;
  /** Roles (or groups, permissions) carried by the token. */
  readonly roles: ReadonlySet<string>;
  /** When the token expires (`exp`). */
  readonly expiresAt: Date;
  /** When the token was issued (`iat`), if stated. */
  readonly issuedAt?: Date;
  /** The RFC 7800 `cnf` claim, for proof-of-possession checks. */
  readonly confirmation?: Readonly<Record<string, unknown>>;
  /**
   * What the token is bound to, from `cnf`. The verifier has checked the binding before it
   * returns the token: a DPoP proof by that key, or that client certificate.
   */
  readonly binding: TokenBinding;
  /** The tenant whose verifier accepted the token (`createTenantVerifier`); absent otherwise. */
  readonly tenant?: string;
}
