/**
 * The signature check of a compact JWS on `node:crypto`, with keys imported once (KeyObjects).
 *
 * jose 6 sends every check through WebCrypto, which costs one libuv thread-pool job plus its own
 * parsing for every call; with the header and claims already parsed by tokenward, the only work
 * left is the signature itself. No cryptography is written here: each algorithm maps onto one
 * `node:crypto` primitive with the parameters RFC 7518 §3 fixes for it. A differential test
 * (packages/core/test/differential) checks that this gives jose's verdict on every vector.
 *
 * Asymmetric checks use the callback form of `crypto.verify`, which runs on the libuv thread pool
 * and so spreads over cores instead of stalling the event loop (RSA ≈ 22 µs, ECDSA ≈ 65 µs,
 * Ed25519 ≈ 100 µs on the reference machine). HMAC is a few microseconds: cheaper than the
 * hand-off to the pool, so it runs synchronously.
 */
import {
  constants,
  createHmac,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
  type VerifyKeyObjectInput,
} from 'node:crypto';

/** How one JWS `alg` maps onto node:crypto (RFC 7518 §3.1). */
interface SignatureParameters {
  /** The digest, or null for EdDSA (which hashes internally). */
  readonly digest: string | null;
  readonly kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa';
  /** Exact byte length of the signature where the algorithm fixes it (HMAC output, ECDSA r||s). */
  readonly length?: number;
}

const PARAMETERS: Readonly<Record<string, SignatureParameters>> = {
  HS256: { digest: 'sha256', kind: 'hmac', length: 32 },
  HS384: { digest: 'sha384', kind: 'hmac', length: 48 },
  HS512: { digest: 'sha512', kind: 'hmac', length: 64 },
  RS256: { digest: 'sha256', kind: 'rsa' },
  RS384: { digest: 'sha384', kind: 'rsa' },
  RS512: { digest: 'sha512', kind: 'rsa' },
  PS256: { digest: 'sha256', kind: 'pss' },
  PS384: { digest: 'sha384', kind: 'pss' },
  PS512: { digest: 'sha512', kind: 'pss' },
  // RFC 7518 §3.4: the JWS signature is R || S, each the size of the curve order.
  ES256: { digest: 'sha256', kind: 'ecdsa', length: 64 },
  ES384: { digest: 'sha384', kind: 'ecdsa', length: 96 },
  ES512: { digest: 'sha512', kind: 'ecdsa', length: 132 },
  EdDSA: { digest: null, kind: 'eddsa' },
  Ed25519: { digest: null, kind: 'eddsa' },
};

// RFC 7518 §3.5: the PSS salt is as long as the hash output (what WebCrypto, and so jose, uses).
const PSS_SALT_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Checks the signature of the compact JWS `token` (already shape-checked; `segments` are its three
 * parts) with `key`, for the allowlisted `alg` the key was selected for.
 *
 * @returns true when the signature verifies, false when it does not.
 * @throws TypeError when `alg` is not one of the JWS algorithms this module knows, or node:crypto
 *   refuses the key for the algorithm (a configuration mismatch, not a bad signature).
 * @example
 * ```ts
 * const ok = await verifySignature('RS256', key.key, token, token.split('.'))
 * ```
 */
export function verifySignature(
  alg: string,
  key: KeyObject,
  token: string,
  segments: readonly string[],
): Promise<boolean> | boolean {
  const parameters = PARAMETERS[alg];
  if (parameters === undefined || !Object.hasOwn(PARAMETERS, alg)) {
    throw new TypeError(`unsupported JWS algorithm ${alg}`);
  }
  const signature = Buffer.from(segments[2] as string, 'base64url');
  // The JWS Signing Input is ASCII(BASE64URL(header) || '.' || BASE64URL(payload)) (RFC 7515 §5.2);
  // the token is already restricted to the base64url alphabet and dots.
  const input = Buffer.from(
    token.slice(0, (segments[0] as string).length + 1 + (segments[1] as string).length),
    'latin1',
  );
  if (parameters.kind === 'hmac') {
    if (key.type !== 'secret') throw new TypeError(`${alg} needs a secret key`);
    const expected = createHmac(parameters.digest as string, key)
      .update(input)
      .digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  if (key.type !== 'public') throw new TypeError(`${alg} needs a public key`);
  if (parameters.length !== undefined && signature.length !== parameters.length) return false;
  let verifyKey: KeyObject | VerifyKeyObjectInput = key;
  if (parameters.kind === 'pss') {
    verifyKey = {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: PSS_SALT_BYTES[parameters.digest as string] as number,
    };
  } else if (parameters.kind === 'ecdsa') {
    // JWS carries raw r||s (IEEE P1363); a DER signature has another length and is refused above.
    verifyKey = { key, dsaEncoding: 'ieee-p1363' };
  }
  return new Promise<boolean>((resolve, reject) => {
    cryptoVerify(parameters.digest, input, verifyKey, signature, (error, ok) => {
      if (error) reject(error);
      else resolve(ok);
    });
  });
}
