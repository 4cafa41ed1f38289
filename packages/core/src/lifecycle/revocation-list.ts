/**
 * Revocation: refusing a token before its `exp`. A `RevocationList` answers synchronously from a
 * copy held in this process, so the check costs a few map look-ups per request, cached token or
 * not; stores shared by several instances (`@tokenward/redis`) keep that copy current by push.
 */
import type { AccessToken } from '../verifier/access-token';

/** One revocation, as stored and listed. */
export type RevocationEntry =
  | {
      /** One token, by its issuer and `jti` (never the token string). */
      readonly kind: 'token';
      readonly issuer: string;
      readonly jti: string;
      /** When the token expires: the entry is kept until then. */
      readonly expiresAt: Date;
    }
  | {
      /** Every token the issuer issued to `subject` before `before` ("log out everywhere"). */
      readonly kind: 'subject';
      readonly issuer: string;
      readonly subject: string;
      readonly before: Date;
      /** When the entry can be forgotten: no token issued before `before` is valid by then. */
      readonly expiresAt: Date;
    }
  | {
      /** Every token the issuer issued to `clientId` before `before` ("this client is compromised"). */
      readonly kind: 'client';
      readonly issuer: string;
      readonly clientId: string;
      readonly before: Date;
      readonly expiresAt: Date;
    };

/** What the list says about one token. */
export type RevocationVerdict =
  /** Not revoked. */
  | 'valid'
  /** Revoked: by its `jti`, or as a token of a revoked subject or client. */
  | 'revoked'
  /** The list's copy is older than its staleness limit: it cannot say (the request gets 503). */
  | 'unknown';

/** A list of revoked tokens, subjects and clients. */
export interface RevocationList {
  /**
   * Revokes one token until it expires. Resolves once the revocation is durable (for a shared
   * store: written and published); rejects when it cannot be made so.
   */
  revokeToken(entry: { issuer: string; jti: string; expiresAt: Date }): Promise<void>;
  /**
   * Revokes every token `issuer` issued to `subject` before `before` (default: now). `expiresAt`
   * defaults to `before` + the list's `maxTokenLifetime`.
   */
  revokeSubject(entry: {
    issuer: string;
    subject: string;
    before?: Date;
    expiresAt?: Date;
  }): Promise<void>;
  /** Revokes every token `issuer` issued to `clientId` before `before` (default: now). */
  revokeClient(entry: {
    issuer: string;
    clientId: string;
    before?: Date;
    expiresAt?: Date;
  }): Promise<void>;
  /** Withdraws a revocation (an operator's mistake): the entry `id` of {@link RevocationList.list}. */
  remove(id: string): Promise<boolean>;
  /** The live entries, each with its id, for operators. */
  list(): Promise<ReadonlyArray<RevocationEntry & { readonly id: string }>>;
  /**
   * Whether `token` is revoked at `nowMs`, from the local copy: synchronous, no I/O. A token
   * without `iat` counts as issued before any subject or client revocation of its issuer.
   */
  check(token: AccessToken, nowMs: number): RevocationVerdict;
}

/** The id of an entry: its kind and the names it covers (stable, so re-revoking replaces). */
export function revocationId(entry: RevocationEntry): string {
  switch (entry.kind) {
    case 'token':
      return JSON.stringify(['token', entry.issuer, entry.jti]);
    case 'subject':
      return JSON.stringify(['subject', entry.issuer, entry.subject]);
    default:
      return JSON.stringify(['client', entry.issuer, entry.clientId]);
  }
}
