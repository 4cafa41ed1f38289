/**
 * AES-GCM content decryption (RFC 7518 §5.3) on `node:crypto`, shared by the RSA-OAEP and ECDH-ES
 * engines: synchronous, a few microseconds per token.
 */
import { createDecipheriv, type CipherGCMTypes } from 'node:crypto';

/** Key size in bytes of each AES-GCM `enc` (RFC 7518 §5.3: 96-bit IV, 128-bit tag). */
export const GCM_KEY_BYTES: Readonly<Record<string, number>> = {
  A128GCM: 16,
  A192GCM: 24,
  A256GCM: 32,
};
const GCM_CIPHER: Readonly<Record<string, CipherGCMTypes>> = {
  A128GCM: 'aes-128-gcm',
  A192GCM: 'aes-192-gcm',
  A256GCM: 'aes-256-gcm',
};
/** RFC 7518 §5.3: the IV is 96 bits. */
export const GCM_IV_BYTES = 12;
/** RFC 7518 §5.3: the authentication tag is 128 bits. */
export const GCM_TAG_BYTES = 16;

/** Whether `enc` is one of the AES-GCM content encryptions. */
export function isGCM(enc: unknown): enc is string {
  return typeof enc === 'string' && Object.hasOwn(GCM_KEY_BYTES, enc);
}

/** AES-GCM content decryption (RFC 7518 §5.3), or undefined when any check fails. */
/**
 * @param enc An AES-GCM `enc` (see {@link isGCM}).
 * @param cek The content encryption key the key management step produced.
 * @param segments The five compact segments.
 * @example
 * ```ts
 * const plaintext = decryptGCM('A256GCM', cek, segments)
 * ```
 */
export function decryptGCM(
  enc: string,
  cek: Buffer,
  segments: readonly string[],
): Uint8Array | undefined {
  const [protectedHeader, , ivB64, ciphertextB64, tagB64] = segments as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (cek.length !== GCM_KEY_BYTES[enc]) return undefined;
  const iv = Buffer.from(ivB64, 'base64url');
  const tag = Buffer.from(tagB64, 'base64url');
  if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv(GCM_CIPHER[enc] as CipherGCMTypes, cek, iv, {
      authTagLength: GCM_TAG_BYTES,
    });
    // RFC 7516 §5.2 step 14: the AAD is ASCII(BASE64URL(UTF8(JWE Protected Header))).
    decipher.setAAD(Buffer.from(protectedHeader, 'latin1'));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(ciphertextB64, 'base64url')),
      decipher.final(),
    ]);
    return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  } catch {
    return undefined;
  }
}
