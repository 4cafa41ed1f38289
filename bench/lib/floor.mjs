/* global Buffer */
// The reference subject: the same verification steps on plain synchronous node:crypto, keys
// imported in advance, no library. It is the physical floor the issue compares CPU against, not
// a product: it checks what every subject checks (signature, iss, aud, exp) and nothing more.
// Only node:crypto primitives are called; the JWE steps follow RFC 7516 / RFC 7518 §4.6.
import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  createHmac,
  constants,
  diffieHellman,
  privateDecrypt,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { AUDIENCE, ISSUER, SCENARIOS } from './fixtures.mjs';

const DIGEST = { HS256: 'sha256', RS256: 'sha256', ES256: 'sha256', EdDSA: null };

function verifyJWS(token, alg, key) {
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot), 'latin1');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  let ok;
  if (alg === 'HS256') {
    const mac = createHmac('sha256', key).update(input).digest();
    ok = mac.length === signature.length && timingSafeEqual(mac, signature);
  } else {
    const k = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
    ok = verify(DIGEST[alg], input, k, signature);
  }
  if (!ok) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, dot), 'base64url'));
  if (claims.iss !== ISSUER || claims.aud !== AUDIENCE) throw new Error('bad iss/aud');
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) throw new Error('expired');
  return claims;
}

function gcmDecrypt(cek, segments) {
  const decipher = createDecipheriv('aes-256-gcm', cek, Buffer.from(segments[2], 'base64url'), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(segments[0], 'latin1'));
  decipher.setAuthTag(Buffer.from(segments[4], 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(segments[3], 'base64url')), decipher.final()]);
}

// RFC 7518 §4.6.2: Concat KDF with one SHA-256 round (keydatalen 256 bits).
function concatKdf(z, algId) {
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const alg = Buffer.from(algId);
  return createHash('sha256')
    .update(Buffer.concat([u32(1), z, u32(alg.length), alg, u32(0), u32(0), u32(256)]))
    .digest();
}

/** Builds the floor's `verify(token) → claims` for a scenario. */
export function createFloor(keys, scenarioName) {
  const scenario = SCENARIOS[scenarioName];
  const sigKey =
    scenario.sig === 'HS256'
      ? createSecretKey(Buffer.from(keys.secret, 'utf8'))
      : createPublicKey(keys.sig[scenario.sig].public);
  if (!scenario.enc) return (token) => verifyJWS(token, scenario.sig, sigKey);
  const decKey = createPrivateKey(keys.enc[scenario.enc.alg].private);
  return (token) => {
    const segments = token.split('.');
    const header = JSON.parse(Buffer.from(segments[0], 'base64url'));
    if (header.alg !== scenario.enc.alg || header.enc !== 'A256GCM') throw new Error('bad alg');
    let cek;
    if (header.alg === 'RSA-OAEP-256') {
      cek = privateDecrypt(
        { key: decKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(segments[1], 'base64url'),
      );
    } else {
      const epk = createPublicKey({ key: header.epk, format: 'jwk' });
      const z = diffieHellman({ privateKey: decKey, publicKey: epk });
      const kek = concatKdf(z, header.alg);
      const unwrap = createDecipheriv(
        'id-aes256-wrap',
        kek,
        Buffer.from('A6A6A6A6A6A6A6A6', 'hex'),
      );
      cek = Buffer.concat([unwrap.update(Buffer.from(segments[1], 'base64url')), unwrap.final()]);
    }
    return verifyJWS(gcmDecrypt(cek, segments).toString('latin1'), scenario.sig, sigKey);
  };
}
