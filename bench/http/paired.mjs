/* global process, console */
// Two HTTP subjects measured at the same time, for a difference of a few percent that the
// interleaved rounds of run.mjs cannot resolve on a machine whose speed drifts between rounds:
// both servers run side by side, each with its own autocannon (10 connections, one token
// repeated), so whatever slows the machine slows both alike, and the ratio of their throughputs
// within a round is the ratio of what a request costs each of them.
//
// Pinned by default (Linux taskset): both servers, every thread of each, share CPU 1; both load
// generators CPU 0. The scheduler gives the two servers equal CPU time, so each answers in
// proportion to the inverse of its CPU per request, its worker threads included. `--no-pin`
// leaves placement to the scheduler. A round is valid only when every request succeeded.
//
//   node bench/http/paired.mjs --a tokenward-express --b tokenward-express-audit
//     [--scenario RS256] [--rounds N] [--duration S] [--distinct N] [--a-from DIR] [--no-pin]
//     [--out file.json]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import autocannon from 'autocannon';
import { forkMeasuredServer } from '../lib/measured-server.mjs';
import { generateKeys, mintTokens } from '../lib/fixtures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const config = {
  a: value('a', 'tokenward-express'),
  b: value('b', 'tokenward-express-audit'),
  scenario: value('scenario', 'RS256'),
  rounds: Number(value('rounds', 10)),
  duration: Number(value('duration', 3)),
  warmup: 3000,
  connections: 10,
  pin: !args.includes('--no-pin'),
};
const out = value('out', undefined);

const taskset = (cpus, pid) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
if (config.pin) taskset('0', process.pid);

const keys = generateKeys();
const [token] = await mintTokens(keys, config.scenario, 1, { prefix: 's' });
// --distinct N: each server gets its own N tokens instead, each sent once (warm-up included), so
// no cache can hit; a server that ran out of them would be sent none, a 401 that aborts the run.
const distinct = Number(value('distinct', 0));
const pools = distinct
  ? {
      a: await mintTokens(keys, config.scenario, distinct, { prefix: 'da' }),
      b: await mintTokens(keys, config.scenario, distinct, { prefix: 'db' }),
    }
  : undefined;

// --a-from DIR: side a runs from another checkout (a `git worktree` of an earlier commit, built),
// so two versions of the same subject can be compared in one pair.
const aFrom = value('a-from', undefined);
const start = (subject, side) =>
  forkMeasuredServer(
    side === 'a' && aFrom ? join(aFrom, 'bench', 'http', 'server.mjs') : join(here, 'server.mjs'),
    { subject, scenario: config.scenario, keys },
    {
      label: subject,
      // BENCH_SERVER_ARGS: Node options of both servers (a profiler, say), as for run.mjs.
      execArgv: process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(' ') : [],
      ...(config.pin && { onSpawn: (child) => taskset('1', child.pid) }),
    },
  );

const next = { a: 0, b: 0 };
const load = (port, options, side) =>
  autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: config.connections,
    ...options,
    ...(pools
      ? {
          requests: [
            {
              method: 'GET',
              path: '/api/me',
              setupRequest: (req) => {
                const t = pools[side][next[side]++];
                req.headers = { ...req.headers, ...(t && { authorization: `Bearer ${t}` }) };
                return req;
              },
            },
          ],
        }
      : {
          headers: { authorization: `Bearer ${token}` },
          requests: [{ method: 'GET', path: '/api/me' }],
        }),
  });

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const servers = { a: await start(config.a, 'a'), b: await start(config.b, 'b') };
const rounds = [];
try {
  await Promise.all(
    Object.entries(servers).map(([side, s]) => load(s.port, { amount: config.warmup }, side)),
  );
  for (let round = 1; round <= config.rounds; round++) {
    await Promise.all(Object.values(servers).map((s) => s.start()));
    // The load generators start in turn, first a's then b's, then the other way round: what
    // starting first is worth does not become a difference between the subjects.
    const order = round % 2 ? ['a', 'b'] : ['b', 'a'];
    const started = Object.fromEntries(
      order.map((k) => [k, load(servers[k].port, { duration: config.duration }, k)]),
    );
    const results = await Promise.all([started.a, started.b]);
    const [a, b] = await Promise.all(Object.values(servers).map((s) => s.stop()));
    const failures = results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    if (failures > 0) throw new Error(`round ${round}: ${failures} failed requests`);
    const measured = (m) => ({
      rps: (m.requests - 1) / m.seconds,
      cpuPerRequest: m.cpuMicros / Math.max(1, m.requests),
    });
    const row = { a: measured(a), b: measured(b) };
    row.ratio = row.b.rps / row.a.rps;
    rounds.push(row);
    console.log(
      `  r${round}: ${config.a} ${row.a.rps.toFixed(0)} req/s (${row.a.cpuPerRequest.toFixed(1)} µs CPU), ` +
        `${config.b} ${row.b.rps.toFixed(0)} req/s (${row.b.cpuPerRequest.toFixed(1)} µs CPU), ratio ${row.ratio.toFixed(3)}`,
    );
  }
} finally {
  await Promise.all(Object.values(servers).map((s) => s.close()));
}

const ratios = rounds.map((r) => r.ratio);
const summary = {
  medianRatio: median(ratios),
  minRatio: Math.min(...ratios),
  maxRatio: Math.max(...ratios),
  medianCpuPerRequest: {
    a: median(rounds.map((r) => r.a.cpuPerRequest)),
    b: median(rounds.map((r) => r.b.cpuPerRequest)),
  },
};
console.log(
  `${config.scenario}, ${config.rounds} rounds of ${config.duration} s, ${config.pin ? 'pinned' : 'not pinned'}: ` +
    `${config.b} ÷ ${config.a} throughput, median ${summary.medianRatio.toFixed(3)} ` +
    `(${summary.minRatio.toFixed(3)}–${summary.maxRatio.toFixed(3)}); CPU per request, medians: ` +
    `${summary.medianCpuPerRequest.a.toFixed(1)} µs against ${summary.medianCpuPerRequest.b.toFixed(1)} µs`,
);
if (out) {
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version };
  writeFileSync(out, `${JSON.stringify({ machine, config, summary, rounds }, null, 2)}\n`);
}
