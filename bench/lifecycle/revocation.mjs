/* global process, performance, console, URL, setImmediate */
// Revocation: what a check adds to a cache hit (100,000 entries, memory list and the Redis list's
// local copy), how long a new instance takes to load 100,000 entries from Redis and the heap they
// take, and the delay from revoke*() resolving on one instance to refusal on another (two
// connections to one redis-server on 127.0.0.1, pub/sub push).
//
//   pnpm build && node bench/lifecycle/revocation.mjs [--entries 100000] [--revocations 1000]
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { bench, run, summary } from 'mitata';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';

const require = createRequire(import.meta.url);
const { createVerifier, createMemoryRevocationList } = require('../../packages/core/dist/index.js');
const { createRedisRevocationList } = require('../../packages/redis/dist/index.js');
// ioredis is a dependency of @tokenward/redis, not of the workspace root: resolve it from there.
const fromRedisPkg = createRequire(new URL('../../packages/redis/package.json', import.meta.url));
const Redis = fromRedisPkg('ioredis').default ?? fromRedisPkg('ioredis');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const ENTRIES = arg('entries', 100_000);
const REVOCATIONS = arg('revocations', 1000);

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const keys = generateKeys();
const [token] = await mintTokens(keys, 'RS256', 1);
const options = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['RS256'],
  keys: { keys: [keys.sig.RS256.jwk] },
  metrics: false,
};
const redis = await startRedisServer();
const clients = [];
const connect = () => {
  const c = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
};
const farFuture = () => new Date(Date.now() + 3600_000);
const results = { machine: { cpus: cpus().length, node: process.version }, entries: ENTRIES };

try {
  // 1. Fill: a memory list and Redis with ENTRIES token revocations (and 1% subjects).
  const memory = createMemoryRevocationList();
  const writer = createRedisRevocationList({ client: connect() });
  await writer.ready();
  const pipe = connect();
  await new Promise((r) => pipe.once('ready', r));
  const now = Date.now();
  for (let start = 0; start < ENTRIES; start += 5000) {
    const batch = pipe.pipeline();
    for (let i = start; i < Math.min(ENTRIES, start + 5000); i++) {
      const subject = i % 100 === 0;
      const entry = subject
        ? {
            kind: 'subject',
            issuer: ISSUER,
            subject: `user-${i}`,
            before: now - 1000,
            expiresAt: now + 3600_000,
          }
        : { kind: 'token', issuer: ISSUER, jti: `jti-${i}`, expiresAt: now + 3600_000 };
      const id = JSON.stringify(
        subject ? ['subject', ISSUER, entry.subject] : ['token', ISSUER, entry.jti],
      );
      batch.hset('tokenward:{revocations}:entries', id, JSON.stringify(entry));
      batch.zadd('tokenward:{revocations}:expiry', entry.expiresAt, id);
      if (subject)
        await memory.revokeSubject({
          issuer: ISSUER,
          subject: entry.subject,
          before: new Date(now - 1000),
        });
      else
        await memory.revokeToken({
          issuer: ISSUER,
          jti: entry.jti,
          expiresAt: new Date(now + 3600_000),
        });
    }
    await batch.exec();
  }

  // 2. A new instance loads them: time to ready(), heap taken.
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const reader = createRedisRevocationList({ client: connect() });
  await reader.ready();
  const loadMs = performance.now() - t0;
  globalThis.gc?.();
  const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  results.load = {
    entries: (await reader.list()).length,
    readyMs: Math.round(loadMs),
    heapMB: Number(heapMB.toFixed(1)),
  };

  // 3. Check cost on a cache hit: verify() with no list, the memory list, the Redis local copy.
  const plain = createVerifier(options);
  const withMemory = createVerifier({ ...options, revocation: memory });
  const withRedis = createVerifier({ ...options, revocation: reader });
  for (const v of [plain, withMemory, withRedis]) {
    await v.verify(token);
    await v.verify(token);
  }
  summary(() => {
    bench('cache hit, no revocation', () => plain.verify(token));
    bench(`cache hit + memory list (${ENTRIES} entries)`, () => withMemory.verify(token));
    bench(`cache hit + Redis list local copy (${ENTRIES} entries)`, () => withRedis.verify(token));
  });
  const micro = await run({ format: 'quiet' });
  const avg = Object.fromEntries(micro.benchmarks.map((b) => [b.alias, b.runs[0].stats.avg]));
  results.checkNs = avg;

  // 4. Propagation: revoke on one instance, poll the other until it refuses.
  const a = createRedisRevocationList({ client: connect() });
  const b = createRedisRevocationList({ client: connect() });
  await Promise.all([a.ready(), b.ready()]);
  const delays = [];
  for (let i = 0; i < REVOCATIONS; i++) {
    const jti = `prop-${i}`;
    const probe = { issuer: ISSUER, claims: { jti }, binding: { scheme: 'bearer' } };
    await a.revokeToken({ issuer: ISSUER, jti, expiresAt: farFuture() });
    const resolved = performance.now();
    while (b.check(probe, Date.now()) !== 'revoked') await new Promise((r) => setImmediate(r));
    delays.push(performance.now() - resolved);
  }
  delays.sort((x, y) => x - y);
  results.propagationMs = {
    revocations: REVOCATIONS,
    p50: Number(pct(delays, 50).toFixed(3)),
    p99: Number(pct(delays, 99).toFixed(3)),
    max: Number(delays.at(-1).toFixed(3)),
  };
  await Promise.all([writer, reader, a, b].map((l) => l.close()));
} finally {
  for (const c of clients) c.disconnect();
  await redis.stop();
}

const ns = results.checkNs;
const base = ns['cache hit, no revocation'];
console.log(`machine: ${results.machine.cpus} CPUs, Node ${results.machine.node}`);
console.log(`\n| measure | value |\n| --- | ---: |`);
for (const [name, v] of Object.entries(ns))
  console.log(`| ${name} | ${(v / 1000).toFixed(3)} µs (+${((v - base) / 1000).toFixed(3)} µs) |`);
console.log(
  `| new instance: ready() with ${results.load.entries} entries from Redis | ${results.load.readyMs} ms |`,
);
console.log(`| heap of that local copy | ${results.load.heapMB} MiB |`);
const p = results.propagationMs;
console.log(
  `| revoke on A → refused on B (${p.revocations} revocations) | p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms |`,
);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/revocation.json', import.meta.url),
  `${JSON.stringify(results, null, 2)}\n`,
);
