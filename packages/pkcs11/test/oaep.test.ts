/**
 * The in-process EME-OAEP decoding of `oaep: 'process'` (src/oaep.ts) against node:crypto: what
 * OpenSSL encodes decodes to the message, and any change to the encoded message is refused with
 * the same undefined.
 */
import {
  constants,
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { oaepDecode, type OaepHash } from '../src/oaep';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const K = 256;

/** The raw RSA output (the encoded message EM) of an OAEP encryption of `message`. */
function encoded(message: Buffer, hash: OaepHash): Buffer {
  const ciphertext = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
    message,
  );
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
}

test.each(['sha1', 'sha256'] as const)('%s: OpenSSL encodings decode to the message', (hash) => {
  for (const length of [0, 1, 16, 32, 64, K - 2 * (hash === 'sha1' ? 20 : 32) - 2]) {
    const message = randomBytes(length);
    expect(oaepDecode(encoded(message, hash), hash, K)).toEqual(message);
  }
});

test.each(['sha1', 'sha256'] as const)('%s: every altered encoding is refused alike', (hash) => {
  const em = encoded(randomBytes(32), hash);
  const hLen = hash === 'sha1' ? 20 : 32;
  // Y, the masked seed, the masked lHash, the masked PS / separator, the masked message.
  for (const index of [0, 1, hLen, hLen + 1, hLen + 5, K - 40, K - 1]) {
    const altered = Buffer.from(em);
    altered[index] = (altered[index] as number) ^ 0x01;
    expect(oaepDecode(altered, hash, K)).toBeUndefined();
  }
  expect(oaepDecode(em, hash === 'sha1' ? 'sha256' : 'sha1', K)).toBeUndefined();
  expect(oaepDecode(em.subarray(1), hash, K)).toBeUndefined();
  expect(oaepDecode(Buffer.alloc(K), hash, K)).toBeUndefined();
});

/** EME-OAEP encoding (RFC 8017 §7.1.1 step 2) of a data block `db` as given, to build bad ones. */
function encode(db: Buffer, hash: OaepHash): Buffer {
  const hLen = hash === 'sha1' ? 20 : 32;
  const mgf = (seed: Buffer, length: number): Buffer => {
    const out: Buffer[] = [];
    for (let i = 0; out.length * hLen < length; i++) {
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(i);
      out.push(createHash(hash).update(seed).update(counter).digest());
    }
    return Buffer.concat(out).subarray(0, length);
  };
  const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ (b[i] as number)));
  const seed = randomBytes(hLen);
  const maskedDB = xor(db, mgf(seed, db.length));
  return Buffer.concat([Buffer.alloc(1), xor(seed, mgf(maskedDB, hLen)), maskedDB]);
}

test.each(['sha1', 'sha256'] as const)(
  '%s: a data block without the 0x01 separator, or with a non-zero PS byte, is refused',
  (hash) => {
    const hLen = hash === 'sha1' ? 20 : 32;
    const lHash = createHash(hash).digest();
    const length = K - hLen - 1;
    const good = Buffer.concat([
      lHash,
      Buffer.alloc(length - hLen - 33),
      Buffer.from([1]),
      randomBytes(32),
    ]);
    expect(oaepDecode(encode(good, hash), hash, K)).toEqual(good.subarray(length - 32));
    const noSeparator = Buffer.concat([lHash, Buffer.alloc(length - hLen)]);
    expect(oaepDecode(encode(noSeparator, hash), hash, K)).toBeUndefined();
    const dirtyPs = Buffer.from(good);
    dirtyPs[hLen + 3] = 7;
    expect(oaepDecode(encode(dirtyPs, hash), hash, K)).toBeUndefined();
  },
);
