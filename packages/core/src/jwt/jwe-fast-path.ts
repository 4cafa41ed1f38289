/**
 * A shorter path for the commonest nested-token encryption, RSA-OAEP(-256/384/512) with AES-GCM
 * (RFC 7518 §4.3, §5.3), on `node:crypto` with keys prepared once.
 *
 * jose 6 spends two thread-pool jobs per token here (the RSA unwrap and the AES-GCM decryption,
 * both through WebCrypto) and re-parses the header tokenward has already checked. This path keeps
 * the RSA unwrap on WebCrypto — node:crypto has no asynchronous `privateDecrypt`, and ≈ 240 µs of
 * RSA on the event loop would stall every other request — but with a `CryptoKey` imported once per
 * key and hash, and decrypts the content (a few microseconds) synchronously with `createDecipheriv`.
 * No cryptography is written here; each step is one primitive with the parameters RFC 7518 fixes.
 * Every other `alg`/`enc` goes through jose. A differential test checks both give one verdict.
 */
import { createDecipheriv, webcrypto, type CipherGCMTypes, type KeyObject } from 'node:crypto';

type CryptoKeyLike = Awaited<ReturnType<typeof webcrypto.subtle.importKey>>;

const OAEP_HASH: Readonly<Record<string, string>> = {
  'RSA-OAEP': 'SHA-1',
  'RSA-OAEP-256': 'SHA-256',
  'RSA-OAEP-384': 'SHA-384',
  'RSA-OAEP-512': 'SHA-512',
};

// RFC 7518 §5.3: AES-GCM with a 96-bit IV and a 128-bit tag.
const GCM_KEY_BYTES: Readonly<Record<string, number>> = { A128GCM: 16, A192GCM: 24, A256GCM: 32 };
const GCM_CIPHER: Readonly<Record<string, CipherGCMTypes>> = {
  A128GCM: 'aes-128-gcm',
  A192GCM: 'aes-192-gcm',
  A256GCM: 'aes-256-gcm',
};
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

/** Whether {@link decryptFast} handles this `alg`/`enc` pair. */
export function isFastJWE(alg: string, enc: unknown): boolean {
  return (
    Object.hasOwn(OAEP_HASH, alg) && typeof enc === 'string' && Object.hasOwn(GCM_KEY_BYTES, enc)
  );
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
 * Decrypts a compact JWE whose `alg` is RSA-OAEP* and `enc` AES-GCM (see {@link isFastJWE}), its
 * header already checked by the caller.
 *
 * @param segments The five compact segments.
 * @param key An RSA private key.
 * @returns The plaintext, or undefined when the token does not decrypt with this key (any step:
 *   unwrap, CEK length, IV or tag length, authentication).
 * @example
 * ```ts
 * const plaintext = await decryptFast('RSA-OAEP-256', 'A256GCM', segments, key.key)
 * ```
 */
export async function decryptFast(
  alg: string,
  enc: string,
  segments: readonly string[],
  key: KeyObject,
): Promise<Uint8Array | undefined> {
  const [protectedHeader, encryptedKeyB64, ivB64, ciphertextB64, tagB64] = segments as [
    string,
    string,
    string,
    string,
    string,
  ];
  const cekBytes = GCM_KEY_BYTES[enc] as number;
  if (encryptedKeyB64.length === 0) return undefined;
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
  if (cek.length !== cekBytes) return undefined;
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
