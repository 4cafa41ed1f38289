/* global process */
// Micro benchmarks (mitata), one process: per-call cost of a verification with tokenward (cache
// hit, and cache off), jose 6, fast-jwt (cache hit and off) and the node:crypto floor, on RS256,
// plus tokenward's cache hit through verifyRequest (header extraction included).
//
//   node bench/micro/verify.mjs [--quick]
import { createRequire } from 'node:module';
import { createPublicKey } from 'node:crypto';
import { bench, group, run, summary } from 'mitata';
import { createJoseVerify } from '../lib/jose-verify.mjs';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { createFloor } from '../lib/floor.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');
const fastJwt = require('fast-jwt');

const keys = generateKeys();
const scenarios = process.argv.includes('--quick')
  ? ['RS256']
  : ['HS256', 'RS256', 'ES256', 'EdDSA', 'nested-RSA', 'nested-ECDH'];

for (const scenario of scenarios) {
  const [token] = await mintTokens(keys, scenario, 1);
  const sig = scenario === 'nested-RSA' ? 'RS256' : scenario === 'nested-ECDH' ? 'ES256' : scenario;
  const nested = scenario.startsWith('nested');
  const enc = nested ? (scenario === 'nested-RSA' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW') : undefined;
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [sig],
    ...(sig === 'HS256' ? { secret: keys.secret } : { keys: { keys: [keys.sig[sig].jwk] } }),
    ...(nested && { decryptionKeys: { keys: [keys.enc[enc].jwk] }, encryption: 'required' }),
  };
  const cached = createVerifier(options);
  const uncached = createVerifier({ ...options, cache: false });
  await cached.verify(token);
  // Stored at its second verification (cache admission 'repeat', the default).
  await cached.verify(token);
  const request = { method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } };
  const floor = createFloor(keys, scenario);
  const joseVerify = await createJoseVerify(keys, scenario);
  group(scenario, () => {
    summary(() => {
      bench('tokenward verify, cache hit', () => cached.verify(token));
      bench('tokenward verifyRequest, cache hit', () => cached.verifyRequest(request));
      bench('tokenward verify, cache off', () => uncached.verify(token));
      bench('jose 6 (keys imported once)', () => joseVerify(token));
      bench('floor: sync node:crypto', () => floor(token));
      if (!nested) {
        const key =
          sig === 'HS256'
            ? keys.secret
            : createPublicKey(keys.sig[sig].public).export({ format: 'pem', type: 'spki' });
        const fjCache = fastJwt.createVerifier({
          key,
          algorithms: [sig],
          allowedIss: ISSUER,
          allowedAud: AUDIENCE,
          cache: true,
        });
        const fjNoCache = fastJwt.createVerifier({
          key,
          algorithms: [sig],
          allowedIss: ISSUER,
          allowedAud: AUDIENCE,
        });
        fjCache(token);
        bench('fast-jwt, cache hit', () => fjCache(token));
        bench('fast-jwt, cache off', () => fjNoCache(token));
      }
    });
  });
}

await run({ format: process.argv.includes('--json') ? 'json' : 'mitata' });
