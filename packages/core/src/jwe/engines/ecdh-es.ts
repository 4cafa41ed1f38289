/**
 * ECDH-ES, direct or with AES key wrap (RFC 7518 §4.6), with AES-GCM content. The `epk` import
 * (with its on-curve check) and the key agreement run on a worker thread (crypto-worker.ts: Node 20
 * has no asynchronous `diffieHellman`, and a P-521 agreement is ≈ 4 ms of CPU); the Concat KDF
 * (`createHash`), the unwrap (`id-aes*-wrap`) and the content decryption take microseconds and stay
 * here. Headers of another shape (`apu`/`apv`, an `epk` with other members) are left to the jose
 * engine.
 */
import { createDecipheriv, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decryptGCM, GCM_KEY_BYTES } from './aes-gcm';
import { concatKDF } from './concat-kdf';
import { deriveSharedSecret } from './crypto-worker';

// RFC 7518 §4.6: the key-wrapping variants and the size of their key-encryption key.
const ECDH_KW_BITS: Readonly<Record<string, number>> = {
  'ECDH-ES+A128KW': 128,
  'ECDH-ES+A192KW': 192,
  'ECDH-ES+A256KW': 256,
};
// RFC 3394 §2.2.3.1: the default initial value of AES key wrap.
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** Curves of ECDH-ES (RFC 7518 §6.2.1.1, RFC 8037 §2): JWK `kty`, node:crypto's name, size. */
const ECDH_CURVES: Readonly<Record<string, { kty: 'EC' | 'OKP'; node: string; bytes: number }>> = {
  'P-256': { kty: 'EC', node: 'prime256v1', bytes: 32 },
  'P-384': { kty: 'EC', node: 'secp384r1', bytes: 48 },
  'P-521': { kty: 'EC', node: 'secp521r1', bytes: 66 },
  X25519: { kty: 'OKP', node: 'x25519', bytes: 32 },
};

/** Whether `alg` is ECDH-ES, direct or with key wrap. */
export function isECDH(alg: string): boolean {
  return alg === 'ECDH-ES' || Object.hasOwn(ECDH_KW_BITS, alg);
}

/** An ephemeral public key (`epk`) of a checked shape, and its curve; imported in the worker. */
export interface EphemeralKey {
  readonly crv: string;
  readonly jwk: JsonWebKey;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A coordinate in canonical base64url of exactly the curve's size, or undefined. */
function coordinate(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || !BASE64URL.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64url');
  return decoded.length === bytes && decoded.toString('base64url') === value ? value : undefined;
}

/**
 * Reads the JWE header's `epk` once per token, for {@link decryptECDHES}. The point itself is
 * imported and checked on the curve (NIST SP 800-56A §5.6.2.3, by OpenSSL on import) in the
 * worker, since that check alone is ≈ 1.4 ms for P-521; a point off the curve fails there.
 *
 * @returns The key; or undefined when the header is not the plain shape this path handles
 *   (`apu`/`apv` present, other `epk` members, an unknown curve): such tokens go through jose.
 */
export function ephemeralKey(header: Record<string, unknown>): EphemeralKey | undefined {
  if (header.apu !== undefined || header.apv !== undefined) return undefined;
  const epk = header.epk;
  if (typeof epk !== 'object' || epk === null || Array.isArray(epk)) return undefined;
  const { kty, crv, x, y } = epk as Record<string, unknown>;
  if (typeof crv !== 'string' || !Object.hasOwn(ECDH_CURVES, crv)) return undefined;
  const curve = ECDH_CURVES[crv] as (typeof ECDH_CURVES)[string];
  // Exactly the public members: a private `d` (or anything else) is jose's to judge.
  const members = Object.keys(epk).length;
  if (kty !== curve.kty || members !== (curve.kty === 'EC' ? 4 : 3)) return undefined;
  const xs = coordinate(x, curve.bytes);
  const ys = curve.kty === 'EC' ? coordinate(y, curve.bytes) : undefined;
  if (xs === undefined || (curve.kty === 'EC' && ys === undefined)) return undefined;
  const jwk = curve.kty === 'EC' ? { kty: 'EC', crv, x: xs, y: ys } : { kty: 'OKP', crv, x: xs };
  return { crv, jwk };
}

/** Whether our private `key` is on the ephemeral key's curve. */
function onCurve(key: KeyObject, crv: string): boolean {
  const node = (ECDH_CURVES[crv] as (typeof ECDH_CURVES)[string]).node;
  return node === 'x25519'
    ? key.asymmetricKeyType === 'x25519'
    : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === node;
}

/**
 * Decrypts a compact JWE whose `alg` is ECDH-ES(+A*KW) and `enc` AES-GCM, its header already
 * checked by the caller and its `epk` read with {@link ephemeralKey}.
 *
 * @param key Our EC or X25519 private key.
 * @returns The plaintext, or undefined when the token does not decrypt with this key (another
 *   curve, a non-empty encrypted key with direct ECDH-ES or an empty one with key wrap, an
 *   all-zero shared secret, unwrap integrity, CEK length, IV or tag length, authentication).
 * @example
 * ```ts
 * const epk = ephemeralKey(header)
 * const plaintext = epk && (await decryptECDHES(alg, enc, segments, key, epk))
 * ```
 */
export async function decryptECDHES(
  alg: string,
  enc: string,
  segments: readonly string[],
  key: KeyObject,
  epk: EphemeralKey,
): Promise<Uint8Array | undefined> {
  if (key.type !== 'private' || !onCurve(key, epk.crv)) return undefined;
  const direct = alg === 'ECDH-ES';
  const encryptedKey = segments[1] as string;
  // RFC 7518 §4.6: with direct key agreement the JWE Encrypted Key is empty.
  if (direct !== (encryptedKey.length === 0)) return undefined;
  const z = await deriveSharedSecret(key, epk.jwk);
  if (z === undefined) return undefined;
  // RFC 7748 §6.1: an all-zero X25519 output means a small-order point (OpenSSL refuses it too).
  if (z.every((byte) => byte === 0)) return undefined;
  const cekBytes = GCM_KEY_BYTES[enc] as number;
  let cek: Buffer;
  if (direct) {
    // RFC 7518 §4.6.2: with direct agreement the AlgorithmID is the `enc` value.
    cek = concatKDF(z, enc, cekBytes * 8);
  } else {
    const kekBits = ECDH_KW_BITS[alg] as number;
    try {
      const unwrap = createDecipheriv(
        `id-aes${kekBits}-wrap`,
        concatKDF(z, alg, kekBits),
        AES_KW_IV,
      );
      cek = Buffer.concat([unwrap.update(Buffer.from(encryptedKey, 'base64url')), unwrap.final()]);
    } catch {
      return undefined;
    }
  }
  return decryptGCM(enc, cek, segments);
}
