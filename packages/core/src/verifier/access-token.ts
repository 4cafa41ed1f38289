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
}
