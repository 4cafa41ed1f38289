/** The Concat KDF of ECDH-ES (RFC 7518 §4.6.2), composed from SHA-256 and nothing else. */
import { createHash } from 'node:crypto';

/**
 * The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as RFC 7518 §4.6.2 instantiates it:
 * K(i) = SHA-256(counter i || Z || OtherInfo) for i = 1…⌈keydatalen / 256⌉, truncated, where
 * OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo (each of the first three a
 * 32-bit big-endian length, then the bytes; SuppPubInfo the key length in bits, 32-bit big-endian;
 * SuppPrivInfo empty). The fast path reaches it only without `apu`/`apv` (both party infos
 * empty); the external key engine passes them when the header has them.
 *
 * @param z The shared secret of the key agreement.
 * @param algorithmId The `enc` (direct agreement) or the `alg` (with key wrap).
 * @param keyBits The length of the derived key in bits.
 * @param partyUInfo The decoded `apu`, if any.
 * @param partyVInfo The decoded `apv`, if any.
 * @example
 * ```ts
 * const kek = concatKDF(z, 'ECDH-ES+A256KW', 256)
 * ```
 */
export function concatKDF(
  z: Buffer,
  algorithmId: string,
  keyBits: number,
  partyUInfo: Buffer = Buffer.alloc(0),
  partyVInfo: Buffer = Buffer.alloc(0),
): Buffer {
  const id = Buffer.from(algorithmId, 'ascii');
  const lengthPrefixed = (bytes: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length, 0);
    return Buffer.concat([length, bytes]);
  };
  const suppPubInfo = Buffer.alloc(4);
  suppPubInfo.writeUInt32BE(keyBits, 0);
  const otherInfo = Buffer.concat([
    lengthPrefixed(id),
    lengthPrefixed(partyUInfo),
    lengthPrefixed(partyVInfo),
    suppPubInfo,
  ]);
  const counter = Buffer.alloc(4);
  const blocks: Buffer[] = [];
  for (let i = 1; i <= Math.ceil(keyBits / 256); i++) {
    counter.writeUInt32BE(i, 0);
    blocks.push(createHash('sha256').update(counter).update(z).update(otherInfo).digest());
  }
  return Buffer.concat(blocks).subarray(0, keyBits / 8);
}
