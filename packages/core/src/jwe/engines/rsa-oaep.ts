/**
 * RSA-OAEP(-256/384/512) key unwrap (RFC 7518 §4.3) with AES-GCM content. The RSA step stays on
 * WebCrypto — node:crypto has no asynchronous `privateDecrypt`, and ≈ 240 µs of RSA on the event
 * loop would stall every other request — with a `CryptoKey` imported once per key and hash
 * (jose 6 imports it anew on every token).
 */
import { webcrypto, type KeyObject } from 'node:crypto';
import { decryptGCM, GCM_IV_BYTES, GCM_TAG_BYTES } from './aes-gcm';

type CryptoKeyLike = Awaited<ReturnType<typeof webcrypto.subtle.importKey>>;

const OAEP_HASH: Readonly<Record<string, string>> = {
  'RSA-OAEP': 'SHA-1',
  'RSA-OAEP-256': 'SHA-256',
  'RSA-OAEP-384': 'SHA-384',
  'RSA-OAEP-512': 'SHA-512',
};

/** Whether `alg` is one of the RSA-OAEP key encryptions. */
export function isRSAOAEP(alg: string): boolean {
  return Object.hasOwn(OAEP_HASH, alg);
}

// One CryptoKey per (KeyObject, OAEP hash), imported on first use and kept for the key's life.
const imported = new WeakMap<KeyObject, Map<string, Promise<CryptoKeyLike>>>();

function oaepKey(key: KeyObject, hash: string): Promise<CryptoKeyLike> {
  let byHash = imported.get(key);
  if (byHash === undefined) {
    byHash = new Map();
    imported.set(key, byHash);
  }
  let cryptoKey = byHash.get(hash);
  if (cryptoKey === undefined) {
    cryptoKey = webcrypto.subtle.importKey(
      'jwk',
      key.export({ format: 'jwk' }),
      { name: 'RSA-OAEP', hash },
      false,
      ['decrypt'],
    );
    // A failed import is not cached, so it is reported again rather than remembered.
    cryptoKey.catch(() => byHash.delete(hash));
    byHash.set(hash, cryptoKey);
  }
  return cryptoKey;
}

/**
 * Decrypts a compact JWE whose `alg` is RSA-OAEP* and `enc` AES-GCM , its
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
  let cek: Buffer;
  try {
    const cryptoKey = await oaepKey(key, OAEP_HASH[alg] as string);
    cek = Buffer.from(
      await webcrypto.subtle.decrypt(
        { name: 'RSA-OAEP' },
        cryptoKey,
        Buffer.from(encryptedKeyB64, 'base64url'),
      ),
    );
  } catch {
    return undefined;
  }
  return decryptGCM(enc, cek, segments);
}
