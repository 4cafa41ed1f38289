/**
 * Verifies a compact JWS signature with the issuer's keys and returns its header and claims.
 */
import { errors as joseErrors } from 'jose';
import { InvalidTokenError } from '../errors/errors';
import type { SigningKeySource } from '../keys/key-source';
import { decodeJSONSegment } from '../compact/compact';
import { checkCommonHeader, readAlg } from '../compact/header-checks';
import { verifySignature } from './jws-signature';

/** What JWS verification needs from the verifier. */
export interface JWSVerificationContext {
  /** Allowed JWS algorithms (already bound to the configured key type). */
  readonly algorithms: ReadonlySet<string>;
  /**
   * The key source of the issuer a token names, or undefined when that issuer is not configured.
   * The `iss` claim is read *before* the signature is checked, only to pick a key source; it is
   * trusted only after the signature verifies with that issuer's keys.
   */
  readonly keySourceFor: (issuer: unknown) => SigningKeySource | undefined;
}

/** A JWS whose signature verified. */
export interface VerifiedJWS {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** Verifies the compact JWS `token` (already shape-checked, split into `segments`). */
export async function verifyJWS(
  token: string,
  segments: readonly string[],
  context: JWSVerificationContext,
): Promise<VerifiedJWS> {
  const header = decodeJSONSegment(segments[0] as string, 'JWS header');
  const alg = readAlg(header, 'JWS');
  // RFC 8725 §3.1: the algorithm comes from our allowlist, never from the token alone;
  // `none` is never in it, in any spelling.
  if (!context.algorithms.has(alg)) {
    throw new InvalidTokenError(
      'ERR_JWS_ALG_NOT_ALLOWED',
      `the JWS algorithm is not allowed (option algorithms)`,
    );
  }
  checkCommonHeader(header, 'JWS');
  const claims = decodeJSONSegment(segments[1] as string, 'JWT claims');

  const source = context.keySourceFor(claims.iss);
  if (source === undefined) {
    throw new InvalidTokenError(
      'ERR_ISSUER_INVALID',
      'the token was issued by an issuer this verifier does not trust (option issuer)',
      { claim: 'iss' },
    );
  }
  const kid = header.kid as string | undefined;
  const candidates = await source.getKeys({ alg, kid });
  if (candidates.length === 0) {
    throw new InvalidTokenError(
      'ERR_JWS_KEY_NOT_FOUND',
      kid === undefined
        ? 'no configured key fits the token algorithm'
        : 'no configured key has the token kid',
    );
  }
  // The header and claims are parsed once, above; only the signature is left to check, on
  // node:crypto with the key imported at construction (see jws-signature.ts).
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      if (await verifySignature(alg, candidate.key, token, segments)) return { header, claims };
      // The same cause jose gives, so callers that inspect `cause` see no difference.
      lastError = new joseErrors.JWSSignatureVerificationFailed();
    } catch (error) {
      // A key node:crypto refuses for this algorithm is a configuration mismatch, not a reason
      // to try the remaining keys.
      lastError = error;
      break;
    }
  }
  throw new InvalidTokenError('ERR_JWS_SIGNATURE_INVALID', 'the token signature is invalid', {
    cause: lastError,
  });
}
