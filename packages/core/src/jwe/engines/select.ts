/**
 * Shorter paths for the commonest nested-token encryptions, on `node:crypto` with keys prepared
 * once: RSA-OAEP(-256/384/512) (RFC 7518 §4.3) and ECDH-ES, direct or with AES key wrap
 * (RFC 7518 §4.6), each with AES-GCM content encryption (RFC 7518 §5.3).
 *
 * jose 6 spends a thread-pool job on every WebCrypto call (two per RSA-OAEP token; for ECDH-ES the
 * agreement, the KDF's hash, the unwrap and the content decryption: four) and re-parses the
 * header tokenward has already checked.
 *
 * - Every private-key operation (the RSA-OAEP unwrap; the `epk` import and the ECDH agreement)
 *   runs on a worker thread (crypto-worker.ts), never on the event loop: Node 20 has no
 *   asynchronous `privateDecrypt` or `diffieHellman`, and WebCrypto does part of that work on the
 *   calling thread. The verifier's CryptoPool bounds how many run at once.
 * - The Concat KDF (`createHash`), the AES key unwrap and the content decryption
 *   (`createDecipheriv`) take microseconds and run on the calling thread.
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
 * `alg`/`enc`, or an ECDH-ES header this path does not handle). For ECDH-ES the `epk` shape is
 * read here, once per token; the point is imported and checked in the worker, and one off the
 * curve makes every candidate fail.
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
  return (key) => decryptECDHES(alg, contentAlg, segments, key, epk);
}
