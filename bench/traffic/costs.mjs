/* global process, console, URL */
// Traffic control, what it costs (mitata, one process, after `pnpm build`):
// - a request refused by the failure budget (its address blocked) against the full
//   verification of a valid RS256 token (cache off), the goal being ≤ 1/10 of it;
// - the route step with a memory-store rate limit against the same route step without one, on a
//   verified token (the goal: ≤ 2 µs added);
// - a verified-token cache hit (`verifyRequest`) with every anomaly detector on (memory store,
//   blocks on) against the same hit without them.
// Results go to results/traffic.json.
//
//   pnpm build && node bench/traffic/costs.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { bench, run, summary } from 'mitata';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const core = require('../../packages/core/dist/index.js');
const { runRouteStep } = require('../../packages/core/dist/internal.js');

const keys = generateKeys();
const [token] = await mintTokens(keys, 'RS256', 1);
const base = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['RS256'],
  keys: { keys: [keys.sig.RS256.jwk] },
  metrics: false,
  cache: false,
};
const budgeted = core.createVerifier({ ...base, failureBudget: { failures: 1, window: 3600 } });
const plain = core.createVerifier(base);
const request = (ip, credentials = `Bearer ${token}`) => ({
  method: 'GET',
  url: '/api/me',
  ip,
  headers: { authorization: credentials },
});
// One bad token from 192.0.2.66 uses up its budget of 1: every later request from it is refused.
await budgeted.verifyRequest(request('192.0.2.66', 'Bearer not.a.token')).catch(() => undefined);
const blocked = request('192.0.2.66');
const refusal = await budgeted.verifyRequest(blocked).then(
  () => 'accepted',
  (e) => e.code,
);
if (refusal !== 'ERR_FAILURE_BUDGET_EXHAUSTED') throw new Error(`expected a block, got ${refusal}`);
const valid = request('198.51.100.7');

const accessToken = await plain.verifyRequest(valid);
const limited = core.rateLimit({
  key: 'client',
  limits: [{ name: 'api', points: 1e12, duration: 3600 }],
});
const scopes = core.requireScopes('messages:read');
const headers = () => undefined;
const cached = core.createVerifier({ ...base, cache: { admission: 'always' } });
const watched = core.createVerifier({
  ...base,
  cache: { admission: 'always' },
  anomalies: {
    tokenSpread: { block: 600 },
    denialBurst: { block: 300 },
    revokedTokenUse: { block: 600 },
    replayedProof: { block: 600 },
  },
});
await cached.verifyRequest(valid);
await watched.verifyRequest(valid);

summary(() => {
  bench('valid RS256 token, full verification (cache off)', () => plain.verifyRequest(valid));
  bench('blocked address, refused by the failure budget', () =>
    budgeted.verifyRequest(blocked).catch(() => undefined),
  );
});
summary(() => {
  bench('route step: requireScopes', () =>
    runRouteStep(plain, accessToken, [scopes], valid, '/api/me'),
  );
  bench('route step: requireScopes + rateLimit (memory store)', () =>
    runRouteStep(plain, accessToken, [scopes, limited], valid, '/api/me', headers),
  );
});
summary(() => {
  bench('cache hit: verifyRequest', () => cached.verifyRequest(valid));
  bench('cache hit: verifyRequest, every anomaly detector on', () => watched.verifyRequest(valid));
});
const result = await run({ format: 'quiet' });
for (const b of result.benchmarks) if (b.runs[0].error) console.error(b.alias, b.runs[0].error);
const avg = Object.fromEntries(result.benchmarks.map((b) => [b.alias, b.runs[0].stats.avg]));
const us = (ns) => (ns / 1000).toFixed(3);
const full = avg['valid RS256 token, full verification (cache off)'];
const block = avg['blocked address, refused by the failure budget'];
const step = avg['route step: requireScopes'];
const stepLimited = avg['route step: requireScopes + rateLimit (memory store)'];
const rows = [
  ['valid RS256 token, full verification (cache off)', `${us(full)} µs`],
  ['blocked address, refused by the failure budget', `${us(block)} µs`],
  ['refused / valid', (block / full).toFixed(4)],
  ['route step: requireScopes', `${us(step)} µs`],
  ['route step: requireScopes + rateLimit (memory store)', `${us(stepLimited)} µs`],
  ['added by the rate limit', `${us(stepLimited - step)} µs`],
  ['cache hit: verifyRequest', `${us(avg['cache hit: verifyRequest'])} µs`],
  [
    'cache hit: verifyRequest, every anomaly detector on',
    `${us(avg['cache hit: verifyRequest, every anomaly detector on'])} µs`,
  ],
  [
    'added by the detectors',
    `${us(avg['cache hit: verifyRequest, every anomaly detector on'] - avg['cache hit: verifyRequest'])} µs`,
  ],
];
console.log(`machine: ${cpus().length} CPUs, Node ${process.version}\n`);
console.log('| measure | value |\n| --- | ---: |');
for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/traffic.json', import.meta.url),
  `${JSON.stringify({ node: process.version, cpus: cpus().length, avgNs: avg }, null, 2)}\n`,
);
