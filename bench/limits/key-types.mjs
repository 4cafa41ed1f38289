/**
 * Event-loop cost of a garbage JWE per decryption key type, next to one valid nested token with
 * the same key. Part of `pnpm bench:limits` (imported by limits.mjs).
 *
 * A garbage token carries a well-formed header (an `epk` on the right curve for ECDH-ES, the
 * server's `kid` or none) and random key, IV, ciphertext and tag: everything an attacker holding
 * only the public key can produce, and the most work a verifier does before it can reject.
 *
 * Two figures per row: the main thread's busy time (performance.eventLoopUtilization, the time
 * other requests wait) and the process CPU (process.cpuUsage, the main thread plus libuv's thread
 * pool). Valid tokens are minted with createIssuer beforehand; garbage with node:crypto.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const require = createRequire(import.meta.url);
const {
  createIssuer,
  createVerifier,
  TokenwardError,
} = require('../../packages/core/dist/index.js');

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'https://api.example.com';
const b64u = (v) => Buffer.from(v).toString('base64url');
const rand = (n) => randomBytes(n).toString('base64url');

/** The decryption key types measured: name, generateKeyPairSync arguments, garbage header. */
export const KEY_TYPES = [
  ['P-256', ['ec', { namedCurve: 'P-256' }], 'ECDH-ES+A256KW'],
  ['P-384', ['ec', { namedCurve: 'P-384' }], 'ECDH-ES+A256KW'],
  ['P-521', ['ec', { namedCurve: 'P-521' }], 'ECDH-ES+A256KW'],
  ['X25519', ['x25519', {}], 'ECDH-ES+A256KW'],
  ['RSA-2048', ['rsa', { modulusLength: 2048 }], 'RSA-OAEP-256'],
  ['RSA-3072', ['rsa', { modulusLength: 3072 }], 'RSA-OAEP-256'],
  ['RSA-4096', ['rsa', { modulusLength: 4096 }], 'RSA-OAEP-256'],
];

/** Main-thread ms and CPU ms per call over `tokens`, each verified once, after a warm-up. */
export async function perCall(verifier, tokens, expectAccepted) {
  const once = async (token) => {
    try {
      await verifier.verify(token);
      if (!expectAccepted) throw new Error('a garbage token was accepted');
    } catch (error) {
      if (!(error instanceof TokenwardError) || expectAccepted) throw error;
      return error.code;
    }
    return 'accepted';
  };
  const warm = Math.min(20, Math.floor(tokens.length / 4));
  let outcome;
  for (let i = 0; i < warm; i++) outcome = await once(tokens[i]);
  globalThis.gc?.();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = warm; i < tokens.length; i++) outcome = await once(tokens[i]);
  const n = tokens.length - warm;
  const used = process.cpuUsage(cpu);
  return {
    outcome,
    loopMs: performance.eventLoopUtilization(elu).active / n,
    cpuMs: (used.user + used.system) / 1000 / n,
    wallMs: (performance.now() - wall) / n,
  };
}

function garbageJWE(alg, kid, epk, keyBytes) {
  const header = {
    alg,
    enc: 'A256GCM',
    cty: 'JWT',
    ...(kid ? { kid } : {}),
    ...(epk ? { epk } : {}),
  };
  return [b64u(JSON.stringify(header)), rand(keyBytes), rand(12), rand(200), rand(16)].join('.');
}

/** Runs the key-type table; `out` writes one line. */
export async function runKeyTypes(out, { quick = false } = {}) {
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingJwk = { ...signer.privateKey.export({ format: 'jwk' }), kid: 'sig-1' };
  const publicSigningJwk = { ...signer.publicKey.export({ format: 'jwk' }), kid: 'sig-1' };
  out('| decryption key | token | outcome | event loop ms / token | CPU ms / token |');
  out('| --- | --- | --- | ---: | ---: |');
  for (const [name, [type, parameters], alg] of KEY_TYPES) {
    const pair = generateKeyPairSync(type, parameters);
    const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'enc-1', use: 'enc' };
    const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'enc-1', use: 'enc' };
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { keys: [publicSigningJwk] },
      decryptionKeys: privateJwk,
      encryption: 'required',
      cache: false,
    });
    const issuer = await createIssuer({
      issuer: ISSUER,
      signingKey: signingJwk,
      encryptionKey: publicJwk,
      keyManagementAlgorithm: alg,
      audience: AUDIENCE,
    });
    const isRSA = type === 'rsa';
    const n = quick ? 40 : isRSA ? 200 : 400;
    const valid = [];
    for (let i = 0; i < n; i++) valid.push(await issuer.issue({ sub: `user-${i}` }));
    // The attacker's ephemeral key: one valid point, reused (the cheapest flood to make).
    const epk = isRSA
      ? undefined
      : generateKeyPairSync(type, parameters).publicKey.export({ format: 'jwk' });
    const keyBytes = isRSA ? parameters.modulusLength / 8 : 40;
    const rows = [
      ['valid nested token (ES256 inside)', valid, true],
      ['garbage, kid of our key', valid.map(() => garbageJWE(alg, 'enc-1', epk, keyBytes)), false],
      ['garbage, no kid', valid.map(() => garbageJWE(alg, undefined, epk, keyBytes)), false],
    ];
    for (const [label, tokens, accepted] of rows) {
      const r = await perCall(verifier, tokens, accepted);
      out(`| ${name} | ${label} | ${r.outcome} | ${r.loopMs.toFixed(3)} | ${r.cpuMs.toFixed(3)} |`);
    }
  }
}
