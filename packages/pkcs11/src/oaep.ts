/**
 * EME-OAEP decoding (RFC 8017 §7.1.2 step 3) for tokens whose CKM_RSA_PKCS_OAEP lacks the hash
 * a JWE needs (SoftHSM2 2.6 accepts only SHA-1): the token does the RSA private-key operation
 * (CKM_RSA_X_509) and the padding is removed here. Every failure is the same `undefined`, and the
 * checks run without early exit, so the answer does not tell which check failed (Manger's
 * attack needs exactly that distinction).
 */
import { createHash } from 'node:crypto';

/** The OAEP hashes of JWE: RSA-OAEP (SHA-1) and RSA-OAEP-256 (SHA-256), MGF1 with the same. */
export type OaepHash = 'sha1' | 'sha256';

const H_LEN: Readonly<Record<OaepHash, number>> = { sha1: 20, sha256: 32 };

/** MGF1 (RFC 8017 §B.2.1) of `seed`, `length` bytes. */
function mgf1(seed: Buffer, length: number, hash: OaepHash): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0; blocks.length * H_LEN[hash] < length; i++) {
    counter.writeUInt32BE(i, 0);
    blocks.push(createHash(hash).update(seed).update(counter).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** 1 when `a === b` (bytes), else 0, without a branch on the values. */
const eq = (a: number, b: number): number => ((((a ^ b) - 1) >>> 31) & 1) as number;

/**
 * Decodes an encoded message EM (the raw RSA output, `k` bytes) with an empty label.
 *
 * @returns The message, or undefined when EM is not a valid encoding (whichever check failed).
 * @example
 * ```ts
 * const cek = oaepDecode(rawRsaOutput, 'sha256', 256)
 * ```
 */
export function oaepDecode(em: Buffer, hash: OaepHash, k: number): Buffer | undefined {
  const hLen = H_LEN[hash];
  // Public facts (the modulus size), not secrets: an early exit leaks nothing.
  if (em.length !== k || k < 2 * hLen + 2) return undefined;
  const lHash = createHash(hash).digest();
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDB = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(maskedDB, hLen, hash));
  const db = xor(maskedDB, mgf1(seed, k - hLen - 1, hash));
  let bad = 1 - eq(em[0] as number, 0);
  for (let i = 0; i < hLen; i++) bad |= 1 - eq(db[i] as number, lHash[i] as number);
  // PS (zeros) then 0x01: find the first 0x01 after lHash', every byte before it must be zero.
  let looking = 1;
  let separator = 0;
  for (let i = hLen; i < db.length; i++) {
    const one = eq(db[i] as number, 1);
    const zero = eq(db[i] as number, 0);
    const first = looking & one;
    separator = first * i + (1 - first) * separator;
    looking &= 1 - one;
    bad |= looking & (1 - zero);
  }
  bad |= looking;
  return bad === 0 ? db.subarray(separator + 1) : undefined;
}
