/* global process, console */
// HTTP benchmark: each subject runs in its own server process (server.mjs) on 127.0.0.1; this
// process mints the tokens and drives autocannon (10 connections). Modes: one token repeated
// (bounded duration), and distinct tokens (exactly one request per token, 10,000 tokens, so no
// token is ever seen twice in a measurement). Rounds interleave the subjects; req/s, p99 and CPU
// are medians over rounds, ratios are medians of the ratios within each round.
//
//   node bench/http/run.mjs [--quick] [--rounds N] [--duration S] [--scenarios a,b] [--subjects a,b]
//     [--modes same,distinct] [--distinct N] [--out file.json]
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import autocannon from 'autocannon';
import { forkMeasuredServer } from '../lib/measured-server.mjs';
import { generateKeys, mintTokens, SCENARIOS } from '../lib/fixtures.mjs';
import { SUBJECTS, scenarioNamed } from './subjects.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = flag('quick');
const config = {
  rounds: Number(value('rounds', quick ? 1 : 3)),
  duration: Number(value('duration', quick ? 2 : 5)),
  distinct: Number(value('distinct', 10_000)),
  warmup: Number(value('warmup', 3000)),
  connections: 10,
  scenarios: value(
    'scenarios',
    quick ? 'RS256,nested-RSA' : Object.keys(SCENARIOS).join(','),
  ).split(','),
  modes: value('modes', 'same,distinct').split(','),
  subjects: value(
    'subjects',
    quick
      ? 'baseline,tokenward-express,tokenward-nest,express-oauth2-jwt-bearer,express-jwt,passport-jwt,fast-jwt-cache,jose-hand-wired,floor-node-crypto'
      : Object.keys(SUBJECTS)
          .filter((name) => !SUBJECTS[name].control)
          .join(','),
  ).split(','),
};
const out = value('out', join(here, '..', 'results', quick ? 'http-quick.json' : 'http.json'));

// BENCH_PIN=<load cpus>:<server cpus> (e.g. 0:1, Linux taskset): the load generator and each
// server on their own CPUs, every thread of each, so neither takes the other's time and a
// server's extra threads (workers, GC) cost its own CPU. Without it the scheduler decides.
const pin = process.env.BENCH_PIN?.split(':');
const taskset = (cpus, pid) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
if (pin) taskset(pin[0], process.pid);

function startServer(subject, scenario, keys) {
  return forkMeasuredServer(
    join(here, 'server.mjs'),
    { subject, scenario, keys },
    {
      label: subject,
      execArgv: process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(' ') : [],
      ...(pin && { onSpawn: (child) => taskset(pin[1], child.pid) }),
    },
  );
}

function load(port, tokens, { amount, duration }) {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: config.connections,
    ...(amount ? { amount } : { duration }),
    requests: [
      {
        method: 'GET',
        path: '/api/me',
        setupRequest: (req) => {
          req.headers = { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]}` };
          return req;
        },
      },
    ],
  });
}

async function measure(subject, scenario, mode, keys, tokens) {
  const server = await startServer(subject, scenario, keys);
  try {
    const measured = mode === 'same' ? [tokens.same] : tokens.distinct;
    const warm = mode === 'same' ? [tokens.same] : tokens.warm;
    await load(server.port, warm, { amount: config.warmup });
    await server.start();
    const result = await load(
      server.port,
      measured,
      mode === 'same' ? { duration: config.duration } : { amount: measured.length },
    );
    const cpu = await server.stop();
    const failures = result.non2xx + result.errors + result.timeouts;
    if (failures > 0)
      throw new Error(`${subject} ${scenario} ${mode}: ${failures} failed requests`);
    return {
      // Measured in the server, first to last response (autocannon's clock ticks in seconds).
      rps: (cpu.requests - 1) / cpu.seconds,
      p99: result.latency.p99,
      cpuPerRequest: cpu.cpuMicros / Math.max(1, cpu.requests),
      // CPU per request by thread (Linux), e.g. { main, 'node' (a worker), 'libuv-worker' }.
      threadCpuPerRequest: Object.fromEntries(
        Object.entries(cpu.threads ?? {}).map(([name, micros]) => [
          name,
          micros / Math.max(1, cpu.requests),
        ]),
      ),
      requests: result.requests.total,
    };
  } finally {
    await server.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const started = Date.now();
const keys = generateKeys();
const results = [];
for (const scenarioName of config.scenarios) {
  const scenario = scenarioNamed(scenarioName);
  const t0 = Date.now();
  const tokens = {
    same: (await mintTokens(keys, scenarioName, 1, { prefix: 's' }))[0],
    warm: await mintTokens(keys, scenarioName, config.warmup, { prefix: 'w' }),
    distinct: config.modes.includes('distinct')
      ? await mintTokens(keys, scenarioName, config.distinct, { prefix: 'd' })
      : [],
  };
  console.error(`# ${scenarioName}: minted tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const subjects = config.subjects.filter((s) => SUBJECTS[s].supports(scenario));
  for (const mode of config.modes) {
    const rounds = Object.fromEntries(subjects.map((s) => [s, []]));
    for (let round = 0; round < config.rounds; round++) {
      for (const subject of subjects) {
        const r = await measure(subject, scenarioName, mode, keys, tokens);
        rounds[subject].push(r);
        console.error(
          `  ${scenarioName} ${mode} r${round + 1} ${subject}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.cpuPerRequest.toFixed(0)} µs CPU/req`,
        );
      }
    }
    for (const subject of subjects) {
      const rs = rounds[subject];
      results.push({
        scenario: scenarioName,
        mode,
        subject,
        rounds: rs.length,
        rps: median(rs.map((r) => r.rps)),
        p99: median(rs.map((r) => r.p99)),
        cpuPerRequest: median(rs.map((r) => r.cpuPerRequest)),
        raw: rs,
      });
    }
  }
}

// Ratios are taken within each round (subject ÷ other subject measured minutes apart in the same
// round) and then the median over rounds is reported: on a noisy machine the baseline itself drifts
// between rounds, and a ratio of two medians from different rounds would carry that drift.
const find = (r, subject) =>
  results.find((x) => x.scenario === r.scenario && x.mode === r.mode && x.subject === subject);
const perRound = (r, other, f) => {
  const o = find(r, other);
  if (!o) return undefined;
  const n = Math.min(r.raw.length, o.raw.length);
  return median(Array.from({ length: n }, (_, i) => f(r.raw[i], o.raw[i], i)));
};
const rpsRatio = (a, b) => a.rps / b.rps;
for (const r of results) {
  const base = find(r, 'baseline');
  r.vsBaseline = perRound(r, 'baseline', rpsRatio);
  // A Nest subject against Nest without a guard, an Express one against bare Express.
  r.ownBaseline = r.subject.endsWith('-nest') ? 'baseline-nest' : 'baseline';
  r.vsOwnBaseline = perRound(r, r.ownBaseline, rpsRatio);
  r.vsJose = perRound(r, 'jose-hand-wired', rpsRatio);
  const tw = find(r, 'tokenward-express');
  r.tokenwardOverThis = tw ? perRound(tw, r.subject, rpsRatio) : undefined;
  r.cpuVsFloor =
    r.subject !== 'baseline' && base
      ? perRound(r, 'floor-node-crypto', (a, f, i) => {
          const b = base.raw[i] ?? base.raw[0];
          return (a.cpuPerRequest - b.cpuPerRequest) / (f.cpuPerRequest - b.cpuPerRequest);
        })
      : undefined;
}

const fmt = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));
const lines = [];
for (const scenarioName of config.scenarios) {
  for (const mode of config.modes) {
    const rows = results.filter((r) => r.scenario === scenarioName && r.mode === mode);
    if (rows.length === 0) continue;
    const tw = rows.find((r) => r.subject === 'tokenward-express');
    lines.push(
      `\n### ${scenarioName}, ${mode === 'same' ? 'one token repeated' : `${config.distinct} distinct tokens`}\n`,
    );
    lines.push(
      '| subject | req/s | × no-auth | × own no-auth | × jose | tokenward-express × this | p99 ms | CPU µs/req | auth CPU × floor |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const own =
        r.ownBaseline === 'baseline' ? fmt(r.vsOwnBaseline) : `${fmt(r.vsOwnBaseline)} (Nest)`;
      lines.push(
        `| ${r.subject} | ${r.rps.toFixed(0)} | ${fmt(r.vsBaseline)} | ${own} | ${fmt(r.vsJose)} | ${tw ? fmt(r.tokenwardOverThis) : '–'} | ${r.p99} | ${r.cpuPerRequest.toFixed(0)} | ${fmt(r.cpuVsFloor)} |`,
      );
    }
  }
}
const machine = `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${new Date().toISOString()}`;
const summary = `HTTP benchmark — ${machine}\nconfig: ${JSON.stringify(config)}\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s\n${lines.join('\n')}\n`;
console.log(summary);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ machine, config, results }, null, 2));
