/* global process, console, performance, Buffer */
// CPU per verification (process.cpuUsage: all threads, the libuv pool included) with distinct
// tokens and 10 verifications in flight, tokenward (default cache: every token misses) against
// hand-wired jose 6 (keys imported once) and the node:crypto floor, for one scenario. Rounds of
// 10,000 tokens each (default 2), the subjects interleaved; medians at the end.
//
//   node bench/micro/cpu-per-token.mjs [scenario] [--rounds N]
//     scenario: HS256, RS256, ES256, EdDSA, nested-RSA, nested-ECDH
import { createRequire } from 'node:module';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { createFloor } from '../lib/floor.mjs';
import { createJoseVerify } from '../lib/jose-verify.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');
const scenario = process.argv[2]?.startsWith('--') ? 'RS256' : (process.argv[2] ?? 'RS256');
const r = process.argv.indexOf('--rounds');
const rounds = r >= 0 ? Number(process.argv[r + 1]) : 2;
const keys = generateKeys();
const tokens = await mintTokens(keys, scenario, 10_000);
const nested = scenario.startsWith('nested');
const sig = nested ? (scenario === 'nested-RSA' ? 'RS256' : 'ES256') : scenario;
const enc = scenario === 'nested-RSA' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
const options = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: [sig],
  ...(sig === 'HS256'
    ? { secret: Buffer.from(keys.secret) }
    : { keys: { keys: [keys.sig[sig].jwk] } }),
  ...(nested && { decryptionKeys: { keys: [keys.enc[enc].jwk] }, encryption: 'required' }),
};
const floor = createFloor(keys, scenario);
const joseVerify = await createJoseVerify(keys, scenario);

async function inFlight(fn, list) {
  let i = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (i < list.length) await fn(list[i++]);
    }),
  );
}

// Each round builds a fresh tokenward verifier, so the same 10,000 tokens are misses again.
const subjects = {
  tokenward: () => {
    const verifier = createVerifier(options);
    return (t) => verifier.verify(t);
  },
  jose: () => joseVerify,
  floor: () => floor,
};
const cpu = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, make] of Object.entries(subjects)) {
    const fn = make();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await inFlight(fn, tokens);
    const used = process.cpuUsage(cpu0);
    const perToken = (used.user + used.system) / tokens.length;
    cpu[name].push(perToken);
    console.log(
      `${scenario} r${round + 1} ${name}: ${perToken.toFixed(1)} µs CPU, ${(((performance.now() - t0) * 1000) / tokens.length).toFixed(1)} µs wall per token`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [name, xs] of Object.entries(cpu)) {
  console.log(
    `${scenario} ${name}: median ${median(xs).toFixed(1)} µs CPU per token over ${xs.length} rounds`,
  );
}
