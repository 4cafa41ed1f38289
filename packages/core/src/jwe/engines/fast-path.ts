/**
 * Shorter paths for the commonest nested-token encryptions, on `node:crypto` with keys prepared
 * once: RSA-OAEP(-256/384/512) (RFC 7518 §4.3) and ECDH-ES, direct or with AES key wrap
 * (RFC 7518 §4.6), each with AES-GCM content encryption (RFC 7518 §5.3).
 *
 * jose 6 spends a thread-pool job on every WebCrypto call (two per RSA-OAEP token; for ECDH-ES the
 * agreement, the KDF's hash, the unwrap and the content decryption: four) and re-parses the
 * header tokenward has already checked.
 *
 * - RSA-OAEP keeps the RSA unwrap on WebCrypto — node:crypto has no asynchronous
 *   `privateDecrypt`, and ≈ 240 µs of RSA on the event loop would stall every other request — but
 *   with a `CryptoKey` imported once per key and hash.
 * - ECDH-ES runs synchronously: `crypto.diffieHellman` (Node 20 has no asynchronous form, and
 *   WebCrypto's import + deriveBits measured 5× the CPU of `createPublicKey` + `diffieHellman`
 *   here), the Concat KDF from `createHash`, the unwrap with the `id-aes*-wrap` ciphers.
 * - The content is decrypted synchronously with `createDecipheriv` (a few microseconds).
 *
 * No cryptography is invented here: each step is one primitive with the parameters RFC 7518 fixes,
 * and the Concat KDF is composed from SHA-256 exactly as NIST SP 800-56A §5.8.1 states it. Anything
 * unusual (other `alg`/`enc`, `apu`/`apv`, an `epk` with other members) goes through jose. The
 * differential tests in packages/core/test/differential check both give jose's verdict.
 */
import {
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  webcrypto,
  type CipherGCMTypes,
  type KeyObject,
} from 'node:crypto';

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

/**
 * Whether a fast path handles this `alg`/`enc` pair ({@link decryptFast} for RSA-OAEP,
 * {@link decryptECDHFast} for ECDH-ES, which also needs {@link ephemeralKey}).
 */
export function isFastJWE(alg: string, enc: unknown): boolean {
  return (
    (Object.hasOwn(OAEP_HASH, alg) || isECDH(alg)) &&
    typeof enc === 'string' &&
    Object.hasOwn(GCM_KEY_BYTES, enc)
  );
}

/** An imported ephemeral public key (`epk`) and its curve. */
export interface EphemeralKey {
  readonly crv: string;
  readonly key: KeyObject;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A coordinate in canonical base64url of exactly the curve's size, or undefined. */
function coordinate(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || !BASE64URL.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64url');
  return decoded.length === bytes && decoded.toString('base64url') === value ? value : undefined;
}

/**
 * Imports the JWE header's `epk` once per token, for {@link decryptECDHFast}.
 *
 * @returns The key; `'invalid'` when the key is well-formed but node:crypto refuses it (a point
 *   that is not on the named curve: OpenSSL checks it on import, NIST SP 800-56A §5.6.2.3); or
 *   undefined when the header is not the plain shape this path handles (`apu`/`apv` present, other
 *   `epk` members, an unknown curve): such tokens go through jose.
 */
export function ephemeralKey(
  header: Record<string, unknown>,
): EphemeralKey | 'invalid' | undefined {
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
  try {
    const jwk = curve.kty === 'EC' ? { kty: 'EC', crv, x: xs, y: ys } : { kty: 'OKP', crv, x: xs };
    return { crv, key: createPublicKey({ key: jwk, format: 'jwk' }) };
  } catch {
    return 'invalid';
  }
}

/** Whether our private `key` is on the ephemeral key's curve. */
function onCurve(key: KeyObject, crv: string): boolean {
  const node = (ECDH_CURVES[crv] as (typeof ECDH_CURVES)[string]).node;
  return node === 'x25519'
    ? key.asymmetricKeyType === 'x25519'
    : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === node;
}

/**
 * The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as RFC 7518 §4.6.2 instantiates it:
 * K(i) = SHA-256(counter i || Z || OtherInfo) for i = 1…⌈keydatalen / 256⌉, truncated, where
 * OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo (each of the first three a
 * 32-bit big-endian length, then the bytes; SuppPubInfo the key length in bits, 32-bit big-endian;
 * SuppPrivInfo empty). Reached only without `apu`/`apv`, so both party infos are empty.
 */
function concatKDF(z: Buffer, algorithmId: string, keyBits: number): Buffer {
  const id = Buffer.from(algorithmId, 'ascii');
  // Zero-filled: PartyUInfo and PartyVInfo are their zero lengths.
  const otherInfo = Buffer.alloc(4 + id.length + 4 + 4 + 4);
  otherInfo.writeUInt32BE(id.length, 0);
  id.copy(otherInfo, 4);
  otherInfo.writeUInt32BE(keyBits, 4 + id.length + 8);
  const counter = Buffer.alloc(4);
  const blocks: Buffer[] = [];
  for (let i = 1; i <= Math.ceil(keyBits / 256); i++) {
    counter.writeUInt32BE(i, 0);
    blocks.push(createHash('sha256').update(counter).update(z).update(otherInfo).digest());
  }
  return Buffer.concat(blocks).subarray(0, keyBits / 8);
}

/**
 * Decrypts a compact JWE whose `alg` is ECDH-ES(+A*KW) and `enc` AES-GCM, its header already
 * checked by the caller and its `epk` imported with {@link ephemeralKey}. Synchronous.
 *
 * @param key Our EC or X25519 private key.
 * @returns The plaintext, or undefined when the token does not decrypt with this key (another
 *   curve, a non-empty encrypted key with direct ECDH-ES or an empty one with key wrap, an
 *   all-zero shared secret, unwrap integrity, CEK length, IV or tag length, authentication).
 * @example
 * ```ts
 * const epk = ephemeralKey(header)
 * const plaintext = typeof epk === 'object' ? decryptECDHFast(alg, enc, segments, key, epk) : undefined
 * ```
 */
export function decryptECDHFast(
  alg: string,
  enc: string,
  segments: readonly string[],
  key: KeyObject,
  epk: EphemeralKey,
): Uint8Array | undefined {
  if (key.type !== 'private' || !onCurve(key, epk.crv)) return undefined;
  const direct = alg === 'ECDH-ES';
  const encryptedKey = segments[1] as string;
  // RFC 7518 §4.6: with direct key agreement the JWE Encrypted Key is empty.
  if (direct !== (encryptedKey.length === 0)) return undefined;
  let z: Buffer;
  try {
    z = diffieHellman({ privateKey: key, publicKey: epk.key });
  } catch {
    return undefined;
  }
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

/** AES-GCM content decryption (RFC 7518 §5.3), or undefined when any check fails. */
function decryptGCM(enc: string, cek: Buffer, segments: readonly string[]): Uint8Array | undefined {
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

/** Decrypts one token with one candidate key; undefined when it does not decrypt with that key. */
export type FastDecryptor = (
  key: KeyObject,
) => Promise<Uint8Array | undefined> | Uint8Array | undefined;

/**
 * The fast path for one token, or undefined when the token must go through jose (another
 * `alg`/`enc`, or an ECDH-ES header this path does not handle). For ECDH-ES the `epk` is imported
 * here, once per token, whatever the number of candidate keys; an `epk` node:crypto refuses (off
 * the curve) makes every candidate fail.
 *
 * @example
 * ```ts
 * const decrypt = fastDecryptorFor(alg, enc, header, segments)
 * const plaintext = decrypt && (await decrypt(candidate.key))
 * ```
 */
export function fastDecryptorFor(
  alg: string,
  enc: unknown,
  header: Record<string, unknown>,
  segments: readonly string[],
): FastDecryptor | undefined {
  if (!isFastJWE(alg, enc)) return undefined;
  const contentAlg = enc as string;
  if (!isECDH(alg)) return (key) => decryptFast(alg, contentAlg, segments, key);
  const epk = ephemeralKey(header);
  if (epk === undefined) return undefined;
  if (epk === 'invalid') return () => undefined;
  return (key) => decryptECDHFast(alg, contentAlg, segments, key, epk);
}
