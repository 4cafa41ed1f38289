/**
 * The bound on an RSA public exponent (docs/architecture.md SD-25). FIPS 186-5 §5.4 (and NIST
 * SP 800-56B Rev. 2 §6.2 for RSA key establishment) require an odd `e` with 2^16 < e < 2^256.
 * Below: e = 1 makes a PKCS#1 signature the encoded message itself, so anyone can forge one, and
 * small exponents such as 3 are the precondition of Bleichenbacher's 2006 signature forgery
 * against lax PKCS#1 v1.5 parsers and of broadcast attacks on encryption. Above: every
 * signature check costs time linear in the exponent's length: with a 3,072-bit modulus and a
 * 3,070-bit `e` published in a JWK Set, each forged token costs about 8 ms of event-loop time
 * (0.1 ms with e = 65537; measured on Node 20).
 */

/** The smallest accepted exponent is 2^16 + 1 (65537, what every issuer uses). */
const MIN_EXPONENT = 2n ** 16n;
/** Every accepted exponent is below 2^256. */
const MAX_EXPONENT = 2n ** 256n;

/** The rule, as refusals state it. */
export const RSA_EXPONENT_RULE = 'the RSA public exponent must be odd, above 2^16 and below 2^256';

/**
 * Whether `e` is an acceptable RSA public exponent (odd, 2^16 < e < 2^256).
 *
 * @param e The exponent, as `KeyObject.asymmetricKeyDetails.publicExponent` gives it.
 * @example
 * ```ts
 * isAcceptableRSAExponent(65537n) // true
 * isAcceptableRSAExponent(3n) // false
 * ```
 */
export function isAcceptableRSAExponent(e: bigint): boolean {
  return e > MIN_EXPONENT && e < MAX_EXPONENT && e % 2n === 1n;
}
