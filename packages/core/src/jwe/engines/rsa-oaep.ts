/**
 * RSA-OAEP(-256/384/512) key unwrap (RFC 7518 §4.3) with AES-GCM content. The RSA private-key
 * step runs on a worker thread (crypto-worker.ts): node:crypto has no asynchronous
 * `privateDecrypt`, and WebCrypto's `decrypt` still spends part of the RSA work on the calling
 * thread (≈ 1 ms per RSA-4096 unwrap on Node 20). The content decryption stays here (microseconds).
 */
import type { KeyObject } from 'node:crypto';
import { decryptGCM, GCM_IV_BYTES, GCM_TAG_BYTES } from './aes-gcm';
import { decryptOAEP } from './crypto-worker';

// RFC 7518 §4.3: the OAEP hash of each algorithm; MGF1 uses the same hash.
const OAEP_HASH: Readonly<Record<string, string>> = {
  'RSA-OAEP': 'sha1',
  'RSA-OAEP-256': 'sha256',
  'RSA-OAEP-384': 'sha384',
  'RSA-OAEP-512': 'sha512',
};

/** Whether `alg` is one of the RSA-OAEP key encryptions. */
export function isRSAOAEP(alg: string): boolean {
  return Object.hasOwn(OAEP_HASH, alg);
}

/**
 * Decrypts a compact JWE whose `alg` is RSA-OAEP* and `enc` AES-GCM, its
 * header already checked by the caller.
 *
 * @param segments The five compact segments.
 * @param key An RSA private key.
 * @returns The plaintext, or undefined when the token does not decrypt with this key (any step:
 *   unwrap, CEK length, IV or tag length, authentication).
 * @example
 * ```ts
 * const plaintext = await decryptRSAOAEP('RSA-OAEP-256', 'A256GCM', segments, key.key)
 * ```
 */
export async function decryptRSAOAEP(
  alg: string,
  enc: string,
  segments: readonly string[],
  key: KeyObject,
): Promise<Uint8Array | undefined> {
  const [, encryptedKeyB64, ivB64, , tagB64] = segments as [string, string, string, string, string];
  if (!Object.hasOwn(OAEP_HASH, alg) || encryptedKeyB64.length === 0) return undefined;
  // Checked before the RSA operation, so a malformed token costs no private-key work.
  const iv = Buffer.from(ivB64, 'base64url');
  const tag = Buffer.from(tagB64, 'base64url');
  if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) return undefined;
  if (key.asymmetricKeyType !== 'rsa') return undefined;
  const hash = OAEP_HASH[alg] as string;
  const cek = await decryptOAEP(key, hash, Buffer.from(encryptedKeyB64, 'base64url'));
  return cek === undefined ? undefined : decryptGCM(enc, cek, segments);
}
