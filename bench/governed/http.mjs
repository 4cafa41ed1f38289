/* global process, console */
// The fully governed request against express-jwt, and each governance stage's marginal cost,
// measured in pairs as bench/http/paired.mjs does: two servers (server.mjs) run at the same time,
// both pinned to CPU 1 (every thread), their two autocannons (10 connections each) and this
// process to CPU 0, so a slow moment of the machine slows both alike and the ratio of their
// throughputs within a round is the inverse ratio of their CPU per request. One redis-server
// (lib/redis-server.mjs, no persistence, unpinned) holds the governed server's shared state.
//
// Pairs: `headline` (express-jwt verifying a plain RS256 token ÷ the governed server: nested
// token, DPoP proof, revocation, audit, Redis rate limit, a fresh proof per request) and one pair
// per stage (all on ÷ all on but that stage). Every response must be 200, else the run aborts;
// each proof is sent once.
//
//   node bench/governed/http.mjs [--pairs headline,dpop,revocation,audit,rateLimit]
//     [--rounds N] [--duration S] [--out file.json]
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkMeasuredServer } from '../lib/measured-server.mjs';
import { generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';
import { dist, flags, machine, makeProofs, median, writeResult } from '../dpop/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const config = flags({
  pairs: 'headline,dpop,revocation,audit,rateLimit',
  rounds: 6,
  duration: 3,
  warmup: 2000,
  out: '',
});
const connections = 10;
// Proofs made per governed server: more than it can answer in the run at this machine's speed.
const PROOFS_PER_SECOND = 4000;

const taskset = (cpus, pid) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
taskset('0', process.pid);

const keys = generateKeys();
const { createDPoPKey } = dist('testing');
const dpopKey = await createDPoPKey('ES256');
const [bound] = await mintTokens(keys, 'nested-RSA', 1, {
  prefix: 'gov',
  claims: { cnf: { jkt: dpopKey.jkt } },
});
const [nestedBearer] = await mintTokens(keys, 'nested-RSA', 1, { prefix: 'govb' });
const [plain] = await mintTokens(keys, 'RS256', 1, { prefix: 'plain' });

/** A server of `spec` (`express-jwt`, or governed with the stages in `off` turned off). */
async function start(spec, redisUrl) {
  const server = await forkMeasuredServer(
    join(here, 'server.mjs'),
    { subject: spec.subject, keys, redisUrl, off: spec.off ?? [] },
    { label: spec.label, onSpawn: (child) => taskset('1', child.pid) },
  );
  let headersAt;
  if (spec.subject === 'express-jwt') headersAt = () => ({ authorization: `Bearer ${plain}` });
  else if ((spec.off ?? []).includes('dpop')) {
    headersAt = () => ({ authorization: `Bearer ${nestedBearer}` });
  } else {
    const url = `http://127.0.0.1:${server.port}/api/me`;
    const count = config.warmup + config.rounds * config.duration * PROOFS_PER_SECOND;
    const proofs = await makeProofs(dpopKey, url, bound, count);
    let next = 0;
    // Past the pool: no proof, so a 401 aborts the run rather than a replay.
    headersAt = () =>
      next < proofs.length
        ? { authorization: `DPoP ${bound}`, dpop: proofs[next++] }
        : { authorization: `DPoP ${bound}` };
  }
  return { ...server, headersAt, label: spec.label };
}

const load = (server, options) =>
  autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    ...options,
    requests: [
      {
        method: 'GET',
        path: '/api/me',
        setupRequest: (req) => {
          req.headers = { ...req.headers, ...server.headersAt() };
          return req;
        },
      },
    ],
  });

const ALL_ON = { subject: 'governed', label: 'governed (all on)' };
const PAIRS = {
  headline: [{ subject: 'express-jwt', label: 'express-jwt (plain RS256)' }, ALL_ON],
  dpop: [ALL_ON, { subject: 'governed', off: ['dpop'], label: 'governed, DPoP off' }],
  revocation: [
    ALL_ON,
    { subject: 'governed', off: ['revocation'], label: 'governed, revocation off' },
  ],
  audit: [ALL_ON, { subject: 'governed', off: ['audit'], label: 'governed, audit off' }],
  rateLimit: [
    ALL_ON,
    { subject: 'governed', off: ['rateLimit'], label: 'governed, rate limit off' },
  ],
};

console.log(`# ${machine()}`);
const redis = await startRedisServer();
const results = [];
try {
  for (const pair of config.pairs.split(',')) {
    const [a, b] = await Promise.all(PAIRS[pair].map((spec) => start(spec, redis.url)));
    const rounds = [];
    try {
      await Promise.all([a, b].map((s) => load(s, { amount: config.warmup })));
      for (let round = 1; round <= config.rounds; round++) {
        await Promise.all([a, b].map((s) => s.start()));
        // Alternate which load generator starts first, as paired.mjs does.
        const order = round % 2 ? [a, b] : [b, a];
        const runs = new Map(order.map((s) => [s, load(s, { duration: config.duration })]));
        const [ra, rb] = await Promise.all([runs.get(a), runs.get(b)]);
        const [ma, mb] = await Promise.all([a, b].map((s) => s.stop()));
        for (const [r, s] of [
          [ra, a],
          [rb, b],
        ]) {
          const failures = r.non2xx + r.errors + r.timeouts;
          if (failures > 0) throw new Error(`${s.label}: ${failures} failed requests`);
        }
        const rps = (m) => (m.requests - 1) / m.seconds;
        const row = {
          a: { rps: rps(ma), cpuPerRequest: ma.cpuMicros / ma.requests },
          b: { rps: rps(mb), cpuPerRequest: mb.cpuMicros / mb.requests },
        };
        row.ratio = row.b.rps / row.a.rps;
        rounds.push(row);
      }
    } finally {
      await Promise.all([a, b].map((s) => s.close()));
    }
    const summary = {
      pair,
      a: a.label,
      b: b.label,
      medianRatio: median(rounds.map((r) => r.ratio)),
      minRatio: Math.min(...rounds.map((r) => r.ratio)),
      maxRatio: Math.max(...rounds.map((r) => r.ratio)),
      cpuPerRequest: {
        a: median(rounds.map((r) => r.a.cpuPerRequest)),
        b: median(rounds.map((r) => r.b.cpuPerRequest)),
      },
      rounds,
    };
    results.push(summary);
    console.log(
      `${pair}: ${b.label} ÷ ${a.label} throughput, median ${summary.medianRatio.toFixed(3)} ` +
        `(${summary.minRatio.toFixed(3)}–${summary.maxRatio.toFixed(3)}); CPU per request ` +
        `${summary.cpuPerRequest.a.toFixed(1)} / ${summary.cpuPerRequest.b.toFixed(1)} µs`,
    );
  }
} finally {
  await redis.stop();
}
if (config.out) writeResult(config.out, { machine: machine(), config, results });
