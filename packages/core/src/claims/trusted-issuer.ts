/**
 * The one issuer check: a token's `iss` selects the {@link IssuerTrust} record of a configured
 * issuer (its keys, algorithms and claim rules), or the token is refused. It runs once per token,
 * before any key is looked up; the claim is trusted only after that issuer's signature verifies.
 */
import type { IssuerTrust } from '../config/issuer-trust';
import { InvalidTokenError } from '../errors/errors';

/**
 * The trust record of the issuer `claims.iss` names.
 *
 * @param trust The records of the verification plan, by exact `iss`.
 * @param claims The (not yet verified) claims of the token.
 * @throws InvalidTokenError `ERR_ISSUER_INVALID` when `iss` is absent, not a string, or no
 *   configured issuer's exactly (RFC 9068 §4: no trailing-slash or case folding).
 * @example
 * ```ts
 * const { source, rules } = trustedIssuer(plan.trust, claims)
 * ```
 */
export function trustedIssuer(
  trust: ReadonlyMap<string, IssuerTrust>,
  claims: Record<string, unknown>,
): IssuerTrust {
  const iss = claims.iss;
  const found = typeof iss === 'string' ? trust.get(iss) : undefined;
  if (found === undefined) {
    throw new InvalidTokenError(
      'ERR_ISSUER_INVALID',
      'the token was issued by an issuer this verifier does not trust (option issuer)',
      { claim: 'iss' },
    );
  }
  return found;
}
