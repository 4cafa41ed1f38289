/* global Buffer, TextEncoder */
// Keys and tokens for the benchmarks: one issuer, one audience, every scenario of the issue
// (HS256, RS256, ES256, EdDSA JWS; nested RSA-OAEP-256/A256GCM + RS256 and
// ECDH-ES+A256KW/A256GCM + ES256). Tokens are minted with jose in this (the load) process; the
// server process receives only the key material.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { jose } from './deps.mjs';

const { CompactEncrypt, SignJWT } = jose;

export const ISSUER = 'https://issuer.bench.test/';
export const AUDIENCE = 'https://api.bench.test';

/** The scenarios: `sig` is the JWS algorithm, `enc` the outer JWE layer, if any. */
export const SCENARIOS = {
  HS256: { sig: 'HS256' },
  RS256: { sig: 'RS256' },
  ES256: { sig: 'ES256' },
  EdDSA: { sig: 'EdDSA' },
  'nested-RSA': { sig: 'RS256', enc: { alg: 'RSA-OAEP-256', enc: 'A256GCM' } },
  'nested-ECDH': { sig: 'ES256', enc: { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' } },
};

const jwk = (key, extra) => ({ ...key.export({ format: 'jwk' }), ...extra });

/** Generates every key once; the result is plain JSON, so it can go to the server by IPC. */
export function generateKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const encRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const encEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k) => k.export({ format: 'pem', type: k.type === 'public' ? 'spki' : 'pkcs8' });
  return {
    // An ASCII secret (43 bytes, 256 bits of entropy): express-oauth2-jwt-bearer takes the HS256
    // secret as a string and encodes it as UTF-8, so every subject uses these UTF-8 bytes.
    secret: randomBytes(32).toString('base64url'),
    sig: {
      RS256: {
        private: pem(rsa.privateKey),
        public: pem(rsa.publicKey),
        jwk: jwk(rsa.publicKey, { kid: 'rs', alg: 'RS256', use: 'sig' }),
      },
      ES256: {
        private: pem(ec.privateKey),
        public: pem(ec.publicKey),
        jwk: jwk(ec.publicKey, { kid: 'es', alg: 'ES256', use: 'sig' }),
      },
      EdDSA: {
        private: pem(ed.privateKey),
        public: pem(ed.publicKey),
        jwk: jwk(ed.publicKey, { kid: 'ed', alg: 'EdDSA', use: 'sig' }),
      },
    },
    enc: {
      'RSA-OAEP-256': {
        private: pem(encRsa.privateKey),
        public: pem(encRsa.publicKey),
        jwk: jwk(encRsa.privateKey, { kid: 'enc-rsa', alg: 'RSA-OAEP-256', use: 'enc' }),
      },
      'ECDH-ES+A256KW': {
        private: pem(encEc.privateKey),
        public: pem(encEc.publicKey),
        jwk: jwk(encEc.privateKey, { kid: 'enc-ec', alg: 'ECDH-ES+A256KW', use: 'enc' }),
      },
    },
  };
}

async function importSigning(keys, sig) {
  const { createPrivateKey, createSecretKey } = await import('node:crypto');
  if (sig === 'HS256') return createSecretKey(Buffer.from(keys.secret, 'utf8'));
  return createPrivateKey(keys.sig[sig].private);
}

/**
 * Mints `count` distinct valid tokens for a scenario (distinct `jti` and `sub`), with `claims`
 * added (a `cnf` binding, say).
 */
export async function mintTokens(keys, scenarioName, count, { prefix = 't', claims = {} } = {}) {
  const { createPublicKey } = await import('node:crypto');
  const scenario = SCENARIOS[scenarioName];
  const signingKey = await importSigning(keys, scenario.sig);
  const kid = scenario.sig === 'HS256' ? undefined : keys.sig[scenario.sig].jwk.kid;
  const encKey = scenario.enc && createPublicKey(keys.enc[scenario.enc.alg].public);
  const now = Math.floor(Date.now() / 1000);
  const mintOne = async (i) => {
    const jws = await new SignJWT({ scope: 'messages:read', client_id: 'bench', ...claims })
      .setProtectedHeader({ alg: scenario.sig, typ: 'at+jwt', ...(kid && { kid }) })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(`user-${prefix}-${i}`)
      .setJti(`${prefix}-${i}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signingKey);
    if (!scenario.enc) return jws;
    return new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ ...scenario.enc, cty: 'JWT', kid: keys.enc[scenario.enc.alg].jwk.kid })
      .encrypt(encKey);
  };
  // jose signs through WebCrypto (the thread pool): batches keep both cores busy.
  const tokens = [];
  for (let i = 0; i < count; i += 64) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 64); j++) batch.push(mintOne(j));
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}
