/**
 * Verifies a compact JWS signature with the issuer's keys and returns its header and claims.
 */
import { InvalidTokenError } from '../errors/errors';
import type { ImportedKey } from '../keys/key-input';
import type { SigningKeySource } from '../keys/key-source';
import { decodeHeaderSegment, decodeJSONSegment } from '../compact/compact';
import { checkCommonHeader, readAlg } from '../compact/header-checks';
import { verifySignature } from './jws-signature';

/** What JWS verification needs from the verifier. */
export interface JWSVerificationContext<T extends JWSIssuer> {
  /** Allowed JWS algorithms (already bound to the configured key type). */
  readonly algorithms: ReadonlySet<string>;
  /**
   * The trust record of the issuer a token names (claims/trusted-issuer.ts); throws when that
   * issuer is not configured. The `iss` claim is read *before* the signature is checked, only to
   * pick the record; it is trusted only after the signature verifies with that issuer's keys.
   */
  readonly trustFor: (claims: Record<string, unknown>) => T;
}

/** What JWS verification needs of an issuer: its key source and its own algorithms. */
export interface JWSIssuer {
  readonly source: SigningKeySource;
  readonly algorithms: ReadonlySet<string>;
}

/** A JWS whose signature verified, with the trust record of its issuer. */
export interface VerifiedJWS<T = unknown> {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** The record that chose the keys (absent only for an unsigned encrypted token). */
  readonly trust: T;
  /** The key the signature verified with (the verified-token cache remembers it). */
  readonly key: ImportedKey;
}

/**
 * Verifies the compact JWS `token` (already shape-checked, split into `segments`).
 *
 * @param context The verifier's algorithm allowlist and its issuer trust records.
 * @throws InvalidTokenError for a disallowed algorithm, an untrusted issuer, no fitting key or a
 *   bad signature; KeysUnavailableError when a remote key source cannot answer.
 * @example
 * ```ts
 * const { claims, trust } = await verifyJWS(token, splitCompact(token, max).segments, context)
 * ```
 */
export async function verifyJWS<T extends JWSIssuer>(
  token: string,
  segments: readonly string[],
  context: JWSVerificationContext<T>,
): Promise<VerifiedJWS<T>> {
  const header = decodeHeaderSegment(segments[0] as string, 'JWS');
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

  const trust = context.trustFor(claims);
  // Checked before any key is looked up, so a token naming a remote issuer with an algorithm only
  // another issuer accepts never causes a fetch.
  if (!trust.algorithms.has(alg)) {
    throw new InvalidTokenError(
      'ERR_JWS_ALG_NOT_ALLOWED',
      `the JWS algorithm is not allowed for this issuer (option issuers[].algorithms)`,
    );
  }
  const kid = header.kid as string | undefined;
  const issuer = typeof claims.iss === 'string' ? claims.iss : undefined;
  const candidates = await trust.source.getKeys({ alg, kid, header, issuer });
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
      if (await verifySignature(alg, candidate.key, token, segments)) {
        return { header, claims, trust, key: candidate };
      }
    } catch (error) {
      // A key node:crypto refuses for this algorithm is a configuration mismatch, not a reason
      // to try the remaining keys.
      lastError = error;
      break;
    }
  }
  // A signature that does not verify is our own finding (no jose error exists to keep); a key
  // node:crypto refused stays as `cause`.
  throw new InvalidTokenError(
    'ERR_JWS_SIGNATURE_INVALID',
    'the token signature is invalid',
    lastError === undefined ? undefined : { cause: lastError },
  );
}
