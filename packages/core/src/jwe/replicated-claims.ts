/**
 * RFC 7519 §5.3: an encrypted JWT may replicate claims in its (unencrypted) header so that a
 * recipient can route it before decrypting. A recipient that reads them must check they equal
 * the claims inside; otherwise the header could say one issuer and the payload another.
 */
import { isDeepStrictEqual } from 'node:util';
import { InvalidTokenError } from '../errors/errors';

// Registered claims (RFC 7519 §4.1) that may be replicated into a JWE header.
const REPLICABLE_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'] as const;

/** Throws when a claim replicated in the JWE header differs from the same claim inside. */
export function checkReplicatedClaims(
  jweHeader: Record<string, unknown>,
  claims: Record<string, unknown>,
): void {
  for (const name of REPLICABLE_CLAIMS) {
    if (jweHeader[name] !== undefined && !isDeepStrictEqual(jweHeader[name], claims[name])) {
      throw new InvalidTokenError(
        'ERR_JWE_HEADER_CLAIM_MISMATCH',
        `the ${name} claim replicated in the JWE header differs from the one inside (RFC 7519 §5.3)`,
        { claim: name },
      );
    }
  }
}
