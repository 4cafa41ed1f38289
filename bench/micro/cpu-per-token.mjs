/* global process, console, performance, Buffer */
// CPU per verification (process.cpuUsage: all threads, the libuv pool included) with distinct
// tokens and 10 verifications in flight, tokenward (default cache: every token misses) against
// the node:crypto floor, for one scenario. Two rounds of 10,000 tokens each.
//
//   node bench/micro/cpu-per-token.mjs [scenario]   (HS256, RS256, ES256, EdDSA, nested-RSA, nested-ECDH)
import { createRequire } from 'node:module';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { createFloor } from '../lib/floor.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');
const scenario = process.argv[2] ?? 'RS256';
const keys = generateKeys();
const tokens = await mintTokens(keys, scenario, 20_000);
const nested = scenario.startsWith('nested');
const sig = nested ? (scenario === 'nested-RSA' ? 'RS256' : 'ES256') : scenario;
const enc = scenario === 'nested-RSA' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
const verifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: [sig],
  ...(sig === 'HS256'
    ? { secret: Buffer.from(keys.secret) }
    : { keys: { keys: [keys.sig[sig].jwk] } }),
  ...(nested && { decryptionKeys: { keys: [keys.enc[enc].jwk] }, encryption: 'required' }),
});
const floor = createFloor(keys, scenario);

async function inFlight(fn, list) {
  let i = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (i < list.length) await fn(list[i++]);
    }),
  );
}

for (let round = 0; round < 2; round++) {
  const list = tokens.slice(round * 10_000, (round + 1) * 10_000);
  for (const [name, fn] of [
    ['tokenward', (t) => verifier.verify(t)],
    ['floor', floor],
  ]) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await inFlight(fn, list);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${scenario} ${name}: ${((cpu.user + cpu.system) / list.length).toFixed(1)} µs CPU, ${(((performance.now() - t0) * 1000) / list.length).toFixed(1)} µs wall per token`,
    );
  }
}
