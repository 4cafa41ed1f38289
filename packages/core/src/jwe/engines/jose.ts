/**
 * The general engine: every `alg`/`enc` pair the allowlists admit that no fast engine handles
 * (`dir`, `A*KW`, `A*GCMKW`, AES-CBC-HMAC content, ECDH-ES with `apu`/`apv`), through jose 6.
 */
import type { KeyObject } from 'node:crypto';
import { compactDecrypt } from 'jose';

/**
 * Decrypts a compact JWE with one candidate key, the header already checked by the caller.
 *
 * @param alg The one key management algorithm jose may accept (the header's, already allowed).
 * @param enc The one content encryption algorithm jose may accept.
 * @returns The plaintext.
 * @throws jose's error when the token does not decrypt with this key (kept as `cause`).
 * @example
 * ```ts
 * const plaintext = await decryptWithJose(token, key, 'dir', 'A256GCM')
 * ```
 */
export async function decryptWithJose(
  token: string,
  key: KeyObject | Uint8Array,
  alg: string,
  enc: string,
): Promise<Uint8Array> {
  const { plaintext } = await compactDecrypt(token, key, {
    keyManagementAlgorithms: [alg],
    contentEncryptionAlgorithms: [enc],
    // RFC 8725 §3.6: `zip` is refused before this point; no decompression either way.
    maxDecompressedLength: 0,
  });
  return plaintext;
}
