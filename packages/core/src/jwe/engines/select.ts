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
 *
 * This file picks the engine for one token; rsa-oaep.ts, ecdh-es.ts and aes-gcm.ts hold the steps.
 */
import type { KeyObject } from 'node:crypto';
import { isGCM } from './aes-gcm';
import { decryptECDHES, ephemeralKey, isECDH } from './ecdh-es';
import { decryptRSAOAEP, isRSAOAEP } from './rsa-oaep';

/**
 * Whether a fast path handles this `alg`/`enc` pair (RSA-OAEP or ECDH-ES with AES-GCM).
 */
export function isFastJWE(alg: string, enc: unknown): boolean {
  return (isRSAOAEP(alg) || isECDH(alg)) && isGCM(enc);
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
  if (!isECDH(alg)) return (key) => decryptRSAOAEP(alg, contentAlg, segments, key);
  const epk = ephemeralKey(header);
  if (epk === undefined) return undefined;
  if (epk === 'invalid') return () => undefined;
  return (key) => decryptECDHES(alg, contentAlg, segments, key, epk);
}
