/**
 * AES-CBC with HMAC-SHA-2 content decryption (RFC 7518 §5.2) on `node:crypto`, for the external
 * key engine, which holds the CEK itself and so cannot hand the token to jose.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 7518 §5.2.3-5.2.5: CEK size in bytes, the HMAC hash, the AES-CBC cipher. */
const CBC_HMAC: Readonly<Record<string, { keyBytes: number; hash: string; cipher: string }>> = {
  'A128CBC-HS256': { keyBytes: 32, hash: 'sha256', cipher: 'aes-128-cbc' },
  'A192CBC-HS384': { keyBytes: 48, hash: 'sha384', cipher: 'aes-192-cbc' },
  'A256CBC-HS512': { keyBytes: 64, hash: 'sha512', cipher: 'aes-256-cbc' },
};
/** RFC 7518 §5.2.2.1: the IV is 128 bits. */
const CBC_IV_BYTES = 16;

/** Whether `enc` is one of the AES-CBC-HMAC content encryptions. */
export function isCBCHMAC(enc: unknown): enc is string {
  return typeof enc === 'string' && Object.hasOwn(CBC_HMAC, enc);
}

/**
 * Whether the IV and tag segments have the lengths `enc` fixes, checked before any private-key
 * work.
 */
export function cbcHmacShapeOk(enc: string, segments: readonly string[]): boolean {
  const spec = CBC_HMAC[enc];
  if (spec === undefined) return false;
  const iv = Buffer.from(segments[2] as string, 'base64url');
  const tag = Buffer.from(segments[4] as string, 'base64url');
  return iv.length === CBC_IV_BYTES && tag.length === spec.keyBytes / 2;
}

/**
 * AES-CBC-HMAC content decryption (RFC 7518 §5.2.2.2): the tag is checked (in constant time)
 * before anything is decrypted.
 *
 * @param cek MAC_KEY || ENC_KEY, as the key management step produced it.
 * @returns The plaintext, or undefined when any check fails.
 * @example
 * ```ts
 * const plaintext = decryptCBCHMAC('A128CBC-HS256', cek, segments)
 * ```
 */
export function decryptCBCHMAC(
  enc: string,
  cek: Buffer,
  segments: readonly string[],
): Uint8Array | undefined {
  const spec = CBC_HMAC[enc];
  if (spec === undefined || cek.length !== spec.keyBytes || !cbcHmacShapeOk(enc, segments)) {
    return undefined;
  }
  const [protectedHeader, , ivB64, ciphertextB64, tagB64] = segments as [
    string,
    string,
    string,
    string,
    string,
  ];
  const half = spec.keyBytes / 2;
  const iv = Buffer.from(ivB64, 'base64url');
  const ciphertext = Buffer.from(ciphertextB64, 'base64url');
  const tag = Buffer.from(tagB64, 'base64url');
  // RFC 7516 §5.2 step 14: the AAD is ASCII(BASE64URL(UTF8(JWE Protected Header))); AL is its
  // length in bits as a 64-bit big-endian integer.
  const aad = Buffer.from(protectedHeader, 'latin1');
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length) * 8n);
  const mac = createHmac(spec.hash, cek.subarray(0, half))
    .update(aad)
    .update(iv)
    .update(ciphertext)
    .update(al)
    .digest()
    .subarray(0, half);
  if (!timingSafeEqual(mac, tag)) return undefined;
  try {
    const decipher = createDecipheriv(spec.cipher, cek.subarray(half), iv);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  } catch {
    return undefined;
  }
}
