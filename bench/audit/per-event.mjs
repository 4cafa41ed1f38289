/* global process, console, performance, setImmediate */
// CPU per decision with the audit trail on, against the same verifier with it off: verified-token
// cache hits through `verifyRequest` (one authentication event each), in blocks of 500 with an
// event-loop turn between blocks so the queue drains into its sink as it would in a server. CPU
// is process.cpuUsage (user + system, every thread: the file sink's writes included). Rounds
// interleave the variants; the medians are printed.
//
//   node bench/audit/per-event.mjs [--rounds N] [--decisions N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const core = require('../../packages/core/dist/index.js');
const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = value('rounds', 5);
const decisions = value('decisions', 100_000);
const BLOCK = 500;

const keys = generateKeys();
const [token] = await mintTokens(keys, 'RS256', 1);
const base = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['RS256'],
  keys: { keys: [keys.sig.RS256.jwk] },
  cache: { admission: 'always' },
};
const request = {
  method: 'GET',
  url: '/api/me',
  ip: '127.0.0.1',
  headers: { authorization: `Bearer ${token}` },
};
const pseudonymizationKey = randomBytes(32);
const directory = mkdtempSync(join(tmpdir(), 'tokenward-audit-bench-'));

const variants = {
  'audit off, metrics off': () => ({ ...base, metrics: false }),
  'audit off, metrics on (no SDK)': () => base,
  'audit to a no-op function': () => ({
    ...base,
    audit: { sink: () => undefined, pseudonymizationKey },
  }),
};
if (typeof core.createFileAuditSink === 'function') {
  const { privateKey } = generateKeyPairSync('ed25519');
  let n = 0;
  variants['audit to the chained file sink'] = () => ({
    ...base,
    audit: {
      sink: core.createFileAuditSink({
        directory: join(directory, `run-${n++}`),
        chainKey: randomBytes(32),
        signingKey: privateKey,
      }),
      pseudonymizationKey,
    },
  });
}

async function measure(options) {
  const verifier = core.createVerifier(options);
  await verifier.verifyRequest(request);
  const started = process.cpuUsage();
  const wall = performance.now();
  for (let done = 0; done < decisions; done += BLOCK) {
    for (let i = 0; i < BLOCK; i++) await verifier.verifyRequest(request);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await verifier.close();
  const cpu = process.cpuUsage(started);
  return {
    cpuNsPerDecision: ((cpu.user + cpu.system) * 1000) / decisions,
    wallMs: performance.now() - wall,
  };
}

const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, options] of Object.entries(variants)) {
    results[name].push(await measure(options()));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(results['audit off, metrics off'].map((r) => r.cpuNsPerDecision));
console.log(`${decisions} cache-hit decisions per variant, ${rounds} rounds, median CPU:`);
for (const [name, runs] of Object.entries(results)) {
  const cpu = median(runs.map((r) => r.cpuNsPerDecision));
  console.log(
    `  ${name.padEnd(34)} ${(cpu / 1000).toFixed(2).padStart(6)} µs/decision   +${((cpu - off) / 1000).toFixed(2)} µs   wall ${((median(runs.map((r) => r.wallMs)) * 1000) / decisions).toFixed(2)} µs`,
  );
}
rmSync(directory, { recursive: true, force: true });
