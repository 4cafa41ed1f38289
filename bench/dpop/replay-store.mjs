/* global process, console, performance, URL */
// The DPoP replay stores: the latency one `claim` adds to a request, and claims/s with 100 in
// flight, for the memory store (`createMemoryReplayStore`, @tokenward/core) and the Redis store
// (`createRedisReplayStore`, @tokenward/redis, ioredis) against a redis-server started here on
// 127.0.0.1 (no persistence), with and without ioredis auto-pipelining, and raw ioredis
// `SET key 1 PX ttl NX` (what the store wraps) for reference. Keys are `<jkt>:<uuid>` as the
// verifier makes them, each claimed once, for the default hold (proofMaxAge + 2 × clockTolerance).
// Rounds interleave the subjects, medians over rounds. Then the memory store's bound: a store full
// of live claims refuses the next one, and a verifier answers 503 until claims expire.
//
//   node bench/dpop/replay-store.mjs [--rounds N] [--claims N] [--inflight N] [--out file.json]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { generateKeys } from '../lib/fixtures.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';
import {
  AUDIENCE,
  ISSUER,
  dist,
  flags,
  fmt,
  machine,
  machineCpu,
  makeProofs,
  median,
  mintES256Tokens,
  writeResult,
} from './lib.mjs';

const config = flags({
  rounds: 3,
  claims: 20_000,
  inflight: 100,
  warmup: 2_000,
  out: 'dpop-replay-store.json',
});
const started = Date.now();

const core = dist('core');
// How long a verifier with the default options holds each claim: proofMaxAge + 2 × clockTolerance.
const TTL = core.DEFAULT_PROOF_MAX_AGE + 2 * core.DEFAULT_CLOCK_TOLERANCE;
/** The memory store's default bound. */
const DEFAULT_MAX_ENTRIES = 1_000_000;
const { createRedisReplayStore } = dist('redis');
const fromRedisPkg = createRequire(new URL('../../packages/redis/package.json', import.meta.url));
const Redis = fromRedisPkg('ioredis').default ?? fromRedisPkg('ioredis');
const JKT = 'v4x3o1CaSWzFO0yd-Tw4heUiQggGg6sSSWoMDpsUgq4';
const keysFor = (n) => Array.from({ length: n }, () => `${JKT}:${randomUUID()}`);

// ---- redis-server on a free loopback port, stopped by pid at the end ----
const server = await startRedisServer();
const { port, pid: redisPid } = server;
console.error(`# redis-server pid ${redisPid} on 127.0.0.1:${port} (${server.dir})`);
const stopRedis = () => server.stop();

const clients = [];
const client = (options = {}) => {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: false, ...options });
  clients.push(c);
  return c;
};

// CPU of the redis-server process so far (ms; /proc/<pid>/stat utime + stime, USER_HZ 100).
const redisCpuMs = () => {
  try {
    const f = readFileSync(`/proc/${redisPid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
};
/** Runs `fn`; returns its result and the share of the machine other processes used meanwhile. */
async function watched(fn) {
  const m0 = machineCpu();
  const r0 = redisCpuMs();
  const o0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const o = process.cpuUsage(o0);
  const r1 = redisCpuMs();
  const m1 = machineCpu();
  const foreign =
    m0 && m1 && r0 !== undefined && r1 !== undefined
      ? Math.max(0, m1.busyMs - m0.busyMs - (o.user + o.system) / 1000 - (r1 - r0)) /
        (wall * os.availableParallelism())
      : undefined;
  return { ...result, foreign };
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function sequential(store, keys) {
  const lat = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const t = performance.now();
    const first = await store.claim(keys[i], TTL);
    lat[i] = (performance.now() - t) * 1000;
    if (first !== true) throw new Error('a fresh key was refused');
  }
  const sorted = Array.from(lat).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

async function concurrent(store, keys, width) {
  let i = 0;
  const lat = new Float64Array(keys.length);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < keys.length) {
        const k = i++;
        const t = performance.now();
        if ((await store.claim(keys[k], TTL)) !== true) throw new Error('a fresh key was refused');
        lat[k] = (performance.now() - t) * 1000;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Array.from(lat).sort((a, b) => a - b);
  return {
    perSecond: keys.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}

const rawSet = (c) => ({
  claim: async (key, ttl) => (await c.set(key, '1', 'PX', Math.ceil(ttl * 1000), 'NX')) === 'OK',
});

let results;
let bound;
try {
  const plain = client();
  const piped = client({ enableAutoPipelining: true });
  await plain.ping();
  await piped.ping();
  const subjects = {
    'memory store': () => core.createMemoryReplayStore(),
    'Redis store (ioredis)': () => createRedisReplayStore({ client: plain }),
    'Redis store, enableAutoPipelining': () => createRedisReplayStore({ client: piped }),
    'raw ioredis SET NX PX (no store)': () => rawSet(plain),
    'raw ioredis SET NX PX, auto-pipelined': () => rawSet(piped),
  };
  // A second claim of a key must be refused by every store.
  for (const [name, make] of Object.entries(subjects)) {
    const s = make();
    const [k] = keysFor(1);
    const a = await s.claim(k, TTL);
    const b = await s.claim(k, TTL);
    if (a !== true || b !== false) throw new Error(`${name}: claim twice gave ${a}, ${b}`);
  }
  const raw = Object.fromEntries(Object.keys(subjects).map((n) => [n, []]));
  for (let round = 0; round < config.rounds; round++) {
    for (const [name, make] of Object.entries(subjects)) {
      // Fresh stores per phase: the memory store's bound is never reached here.
      await sequential(make(), keysFor(config.warmup));
      const seq = await watched(() => sequential(make(), keysFor(config.claims)));
      const con = await watched(() => concurrent(make(), keysFor(config.claims), config.inflight));
      raw[name].push({ seq, con });
      console.error(
        `  r${round + 1} ${name}: sequential p50 ${seq.p50.toFixed(1)} µs, p99 ${seq.p99.toFixed(1)} µs, max ${seq.max.toFixed(0)} µs; ${config.inflight} in flight ${con.perSecond.toFixed(0)} claims/s (p50 ${con.p50.toFixed(0)} µs, p99 ${con.p99.toFixed(0)} µs); other processes ${fmt((seq.foreign ?? NaN) * 100, 1)} / ${fmt((con.foreign ?? NaN) * 100, 1)} % of the machine`,
      );
    }
  }
  results = Object.entries(raw).map(([subject, rs]) => ({
    subject,
    sequential: {
      p50: median(rs.map((r) => r.seq.p50)),
      p99: median(rs.map((r) => r.seq.p99)),
      max: median(rs.map((r) => r.seq.max)),
      mean: median(rs.map((r) => r.seq.mean)),
    },
    concurrent: {
      perSecond: median(rs.map((r) => r.con.perSecond)),
      p50: median(rs.map((r) => r.con.p50)),
      p99: median(rs.map((r) => r.con.p99)),
    },
    raw: rs,
  }));
  results.foreignWorst = Math.max(
    ...Object.values(raw).flatMap((rs) =>
      rs.flatMap((r) => [r.seq.foreign ?? 0, r.con.foreign ?? 0]),
    ),
  );
  const info = await plain.info('server');
  results.redisVersion = /redis_version:(\S+)/.exec(info)?.[1];

  // ---- the memory store's bound ----
  // A 100,000-claim store shows the refusal; the default's sustained rate is computed from its size.
  const store = core.createMemoryReplayStore({ maxEntries: 100_000 });
  const fill = keysFor(100_000);
  const f0 = performance.now();
  for (const k of fill) await store.claim(k, TTL);
  const fillMs = performance.now() - f0;
  const next = await store.claim(`${JKT}:${randomUUID()}`, TTL).then(
    () => 'accepted',
    (e) => e.name,
  );
  // Through a verifier (a 3-claim store, so it fills at once): what the client gets.
  const keys = generateKeys();
  const { createDPoPKey } = dist('testing');
  const dpopKey = await createDPoPKey('ES256');
  const [token] = await mintES256Tokens(keys, 1, { jkt: dpopKey.jkt });
  const url = 'http://127.0.0.1:8080/api/me';
  const verifier = core.createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: [keys.sig.ES256.jwk] },
    algorithms: ['ES256'],
    dpop: { required: true, replayStore: core.createMemoryReplayStore({ maxEntries: 3 }) },
  });
  const outcomes = [];
  for (const proof of await makeProofs(dpopKey, url, token, 4)) {
    outcomes.push(
      await verifier.verify(token, { dpop: { proof, method: 'GET', url } }).then(
        () => 'ok',
        (e) => `${e.status} ${e.code}`,
      ),
    );
  }
  bound = {
    maxEntries: 100_000,
    ttlSeconds: TTL,
    fillMs,
    claim100001: next,
    defaultMaxEntries: DEFAULT_MAX_ENTRIES,
    sustainedPerSecond: DEFAULT_MAX_ENTRIES / TTL,
    verifierWithMaxEntries3: outcomes,
  };
} finally {
  await Promise.allSettled(clients.map((c) => c.quit()));
  await stopRedis();
  console.error(`# redis-server ${redisPid} stopped`);
}

const lines = [
  `DPoP replay stores — ${machine()}, redis-server ${results.redisVersion} on 127.0.0.1`,
  `config: ${JSON.stringify(config)}; wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  `| store | sequential p50 µs | p99 µs | max µs | mean µs | ${config.inflight} in flight: claims/s | p50 µs | p99 µs |`,
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.subject} | ${fmt(r.sequential.p50, 1)} | ${fmt(r.sequential.p99, 1)} | ${fmt(r.sequential.max, 0)} | ${fmt(r.sequential.mean, 1)} | ${r.concurrent.perSecond.toFixed(0)} | ${fmt(r.concurrent.p50, 0)} | ${fmt(r.concurrent.p99, 0)} |`,
  ),
  '',
  `other processes (not this one, not redis-server) used at most ${fmt(results.foreignWorst * 100, 1)} % of the machine during a measurement; the in-flight p50/p99 include waiting behind the other claims in flight`,
  `memory store bound: a 100,000-claim store filled in ${bound.fillMs.toFixed(0)} ms; claim 100,001 → ${bound.claim100001}. With claims held ${TTL} s, the default store (${DEFAULT_MAX_ENTRIES.toLocaleString('en')} claims) sustains ${bound.sustainedPerSecond.toFixed(0)} proofs/s; beyond that a verifier answers 503 until claims expire.`,
  `verifier with a 3-claim memory store, 4 fresh proofs: ${bound.verifierWithMaxEntries3.join(', ')}`,
];
console.log(lines.join('\n'));
const out = writeResult(config.out, {
  machine: machine(),
  config,
  results,
  redisVersion: results.redisVersion,
  foreignWorst: results.foreignWorst,
  bound,
});
console.error(`# JSON: ${out}`);
