/**
 * What an audit event may say about a verified token, computed once per verified token and
 * remembered beside it: a verified-token cache hit returns the same frozen {@link AccessToken},
 * so a reused token costs its pseudonyms (three HMACs) once, not on every request.
 */
import type { SignedWith } from '../cache/verified-token-cache';
import type { AccessToken } from '../verifier/access-token';
import type { AuditDecisionEvent } from './audit-event';
import type { Pseudonymizer } from './pseudonymize';

/** The token fields of a decision event. */
export type TokenFacts = Pick<
  AuditDecisionEvent,
  | 'issuer'
  | 'client'
  | 'subject'
  | 'tokenId'
  | 'scopes'
  | 'encryption'
  | 'binding'
  | 'signingKeyId'
  | 'decryptionKeyId'
  | 'signingAlg'
  | 'lifetime'
>;

/** Most scopes copied into an event (a token may carry hundreds). */
export const MAX_AUDIT_SCOPES = 50;
/** Longest identifier copied into an event (`kid`, `alg`, scope names). */
const MAX_FIELD_LENGTH = 128;

const short = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value.slice(0, MAX_FIELD_LENGTH) : undefined;

/** Remembers the facts of each verified token, keyed by its AccessToken object. */
export class TokenFactsMemo {
  private readonly facts = new WeakMap<AccessToken, TokenFacts>();

  constructor(private readonly pseudonymize: Pseudonymizer | undefined) {}

  /**
   * The facts of `token`, computed on first use.
   *
   * @param signedWith The signature key, known when the token was just verified (a cache hit
   *   finds the facts remembered from then).
   */
  of(token: AccessToken, signedWith?: SignedWith): TokenFacts {
    let facts = this.facts.get(token);
    if (facts === undefined) {
      facts = this.compute(token, signedWith);
      this.facts.set(token, facts);
    }
    return facts;
  }

  private compute(token: AccessToken, signedWith: SignedWith | undefined): TokenFacts {
    const p = this.pseudonymize;
    const jti = token.claims.jti;
    const encryption = token.encryption;
    const alg = short(encryption?.alg);
    const enc = short(encryption?.enc);
    const signingKeyId = short(signedWith?.key.kid) ?? short(token.header.kid);
    const decryptionKeyId = short(encryption?.kid);
    const signingAlg = encryption === token.header ? undefined : short(token.header.alg);
    const scopes = [...token.scopes]
      .sort()
      .slice(0, MAX_AUDIT_SCOPES)
      .map((s) => s.slice(0, MAX_FIELD_LENGTH));
    const lifetime =
      token.issuedAt === undefined
        ? undefined
        : Math.round((token.expiresAt.getTime() - token.issuedAt.getTime()) / 1000);
    return Object.freeze({
      issuer: token.issuer,
      ...(p && token.clientId !== undefined && { client: p('client', token.clientId) }),
      ...(p && token.subject !== undefined && { subject: p('sub', token.subject) }),
      ...(p && typeof jti === 'string' && { tokenId: p('jti', jti) }),
      scopes: Object.freeze(scopes),
      encryption:
        encryption === undefined
          ? 'none'
          : Object.freeze({ alg: alg ?? 'unknown', enc: enc ?? 'unknown' }),
      binding: token.binding.scheme,
      ...(signingKeyId !== undefined && { signingKeyId }),
      ...(decryptionKeyId !== undefined && { decryptionKeyId }),
      ...(signingAlg !== undefined && { signingAlg }),
      ...(lifetime !== undefined && { lifetime }),
    });
  }
}
