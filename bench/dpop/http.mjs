/* global process, console, performance */
// DPoP over HTTP: requests/s through Express 5 for tokenward `authenticate()` with
// `dpop: { required: true }` against express-oauth2-jwt-bearer with
// `dpop: { enabled: true, required: true }`, plus a no-auth baseline and tokenward with plain
// bearer tokens (no DPoP) for reference. Each subject runs in its own server process
// (server.mjs, fork + IPC) on 127.0.0.1; this process mints the tokens, makes the proofs and
// drives autocannon (10 connections, `amount` requests, a `setupRequest` hook that takes the
// next pre-made proof from the pool: no proof is ever sent twice, and a pool that ran out would
// send none and abort the run).
//
// Scenarios: `same`, one ES256-signed RFC 9068 token bound to the client's key (`cnf.jkt`),
// warm-up requests then the measured ones, a fresh proof each; `distinct`, one token per
// request (warm-up with other tokens), each with its proof. The bearer subject gets the same
// shapes with unbound tokens; the baseline gets DPoP-sized headers it ignores.
// After each measurement: every response must have been 200 (else abort), and the last
// measured proof is sent once more: tokenward must refuse it (401, else abort);
// express-oauth2-jwt-bearer's answer is recorded (it keeps no jti record).
//
// `--pin` (Linux taskset): every server thread on CPU 1, this process (the load generator) on
// CPU 0, as bench/http/paired.mjs does: each server has one core, its thread pool included.
//
//   node bench/dpop/http.mjs [--rounds N] [--requests N] [--warmup N] [--scenarios same,distinct]
//     [--subjects a,b] [--pin] [--out file.json]
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import autocannon from 'autocannon';
import { forkMeasuredServer } from '../lib/measured-server.mjs';
import { generateKeys } from '../lib/fixtures.mjs';
import {
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

const here = dirname(fileURLToPath(import.meta.url));
const config = {
  ...flags({
    rounds: 1,
    requests: 10_000,
    warmup: 2_000,
    scenarios: 'same,distinct',
    subjects: 'baseline,tokenward-bearer,tokenward-dpop,express-oauth2-jwt-bearer',
    out: 'dpop-http.json',
  }),
  connections: 10,
  pin: process.argv.includes('--pin'),
};
// -a: every thread there is now; threads made later (the libuv pool) inherit their creator's.
const taskset = (cpus, pid) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
if (config.pin) taskset('0', process.pid);
const scenarios = config.scenarios.split(',');
const subjects = config.subjects.split(',');
const DPOP = new Set(['tokenward-dpop', 'express-oauth2-jwt-bearer']);
const PEER = 'express-oauth2-jwt-bearer';
const TW = 'tokenward-dpop';
const started = Date.now();

function startServer(subject, keys) {
  return forkMeasuredServer(
    join(here, 'server.mjs'),
    { subject, keys },
    {
      label: subject,
      // BENCH_SERVER_ARGS: Node options of the servers (a profiler, say), as for run.mjs.
      execArgv: process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(' ') : [],
      ...(config.pin && { onSpawn: (child) => taskset('1', child.pid) }),
    },
  );
}

/**
 * `count` requests, the i-th with `headersAt(offset + i)`; never more than `count`. Resolves
 * with autocannon's result and every response time (ms, as autocannon measures it, unrounded:
 * its own histogram keeps whole milliseconds).
 */
async function load(port, headersAt, offset, count) {
  let i = offset;
  const end = offset + count;
  const times = [];
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: config.connections,
    amount: count,
    requests: [
      {
        method: 'GET',
        path: '/api/me',
        setupRequest: (req) => {
          // Past the pool: no credentials, so a 401 aborts the run rather than a reuse.
          const h = i < end ? headersAt(i) : {};
          i++;
          req.headers = { ...req.headers, ...h };
          return req;
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
  return { result, p50: at(0.5), p99: at(0.99) };
}

/** One request with `headers`; resolves with the status and the WWW-Authenticate header. */
function once(port, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/me', method: 'GET', headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'] }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const keys = generateKeys();
const { createDPoPKey } = dist('testing');
const dpopKey = await createDPoPKey('ES256');
const pool = config.warmup + config.requests;
const t0 = Date.now();
const bound = await mintES256Tokens(keys, 1, { jkt: dpopKey.jkt, prefix: 'bound' });
const unbound = await mintES256Tokens(keys, 1, { prefix: 'bearer' });
const boundMany = scenarios.includes('distinct')
  ? await mintES256Tokens(keys, pool, { jkt: dpopKey.jkt, prefix: 'bd' })
  : [];
const unboundMany = scenarios.includes('distinct')
  ? await mintES256Tokens(keys, pool, { prefix: 'ud' })
  : [];
console.error(
  `# minted ${2 + boundMany.length + unboundMany.length} tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
const [baselineProof] = await makeProofs(dpopKey, 'http://127.0.0.1:1/api/me', bound[0], 1);

async function measure(subject, scenario) {
  const server = await startServer(subject, keys);
  try {
    const url = `http://127.0.0.1:${server.port}/api/me`;
    const same = scenario === 'same';
    let headersAt;
    let proofs;
    if (DPOP.has(subject)) {
      const tokens = same ? bound[0] : boundMany;
      const p0 = Date.now();
      proofs = await makeProofs(dpopKey, url, tokens, pool);
      console.error(`    ${pool} proofs for ${url} in ${((Date.now() - p0) / 1000).toFixed(1)} s`);
      headersAt = same
        ? (i) => ({ authorization: `DPoP ${bound[0]}`, dpop: proofs[i] })
        : (i) => ({ authorization: `DPoP ${boundMany[i]}`, dpop: proofs[i] });
    } else if (subject === 'tokenward-bearer') {
      headersAt = same
        ? () => ({ authorization: `Bearer ${unbound[0]}` })
        : (i) => ({ authorization: `Bearer ${unboundMany[i]}` });
    } else {
      headersAt = () => ({ authorization: `DPoP ${bound[0]}`, dpop: baselineProof });
    }
    const { result: warm } = await load(server.port, headersAt, 0, config.warmup);
    const warmFailures = warm.non2xx + warm.errors + warm.timeouts;
    if (warmFailures > 0) {
      throw new Error(`${subject} ${scenario}: ${warmFailures} failed warm-up requests`);
    }
    await server.start();
    const machine0 = machineCpu();
    const own0 = process.cpuUsage();
    const w0 = performance.now();
    const measured = await load(server.port, headersAt, config.warmup, config.requests);
    const { result } = measured;
    const wallMs = performance.now() - w0;
    const own = process.cpuUsage(own0);
    const machine1 = machineCpu();
    const cpu = await server.stop();
    // CPU something else on the machine used meanwhile (neither this process nor the server),
    // as a share of all cores: a round that shared the machine shows here.
    const foreign =
      machine0 && machine1
        ? Math.max(
            0,
            machine1.busyMs - machine0.busyMs - (own.user + own.system + cpu.cpuMicros) / 1000,
          ) /
          (wallMs * os.availableParallelism())
        : undefined;
    const steal =
      machine0 && machine1
        ? (machine1.stealMs - machine0.stealMs) / (wallMs * os.availableParallelism())
        : undefined;
    const failures = result.non2xx + result.errors + result.timeouts;
    if (failures > 0 || result['2xx'] !== config.requests) {
      throw new Error(
        `${subject} ${scenario}: ${failures} failed requests, ${result['2xx']} of ${config.requests} answered 200`,
      );
    }
    // The last measured proof, a second time.
    let replay;
    if (DPOP.has(subject)) {
      const r = await once(server.port, headersAt(pool - 1));
      replay = r.status;
      if (subject === TW && r.status !== 401) {
        throw new Error(`tokenward accepted a replayed proof (status ${r.status})`);
      }
      if (subject === TW && !/used before/.test(r.challenge ?? '')) {
        throw new Error(`tokenward refused the replay for another reason: ${r.challenge}`);
      }
    }
    return {
      rps: (cpu.requests - 1) / cpu.seconds,
      p50: measured.p50,
      p99: measured.p99,
      cpuPerRequest: cpu.cpuMicros / Math.max(1, cpu.requests),
      loadGeneratorCpuPerRequest: (own.user + own.system) / config.requests,
      requests: result['2xx'],
      foreign,
      steal,
      replay,
    };
  } finally {
    await server.close();
  }
}

const results = [];
for (const scenario of scenarios) {
  const rounds = Object.fromEntries(subjects.map((s) => [s, []]));
  for (let round = 0; round < config.rounds; round++) {
    for (const subject of subjects) {
      const r = await measure(subject, scenario);
      rounds[subject].push(r);
      console.error(
        `  ${scenario} r${round + 1} ${subject}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.cpuPerRequest.toFixed(0)} µs CPU/req, other CPU ${fmt((r.foreign ?? NaN) * 100, 1)} %, steal ${fmt((r.steal ?? NaN) * 100, 1)} %${r.replay ? `, replayed proof → ${r.replay}` : ''}`,
      );
    }
  }
  for (const subject of subjects) {
    const rs = rounds[subject];
    results.push({
      scenario,
      subject,
      rounds: rs.length,
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      cpuPerRequest: median(rs.map((r) => r.cpuPerRequest)),
      foreign: rs.some((r) => r.foreign === undefined)
        ? undefined
        : Math.max(...rs.map((r) => r.foreign)),
      replay: [...new Set(rs.map((r) => r.replay).filter(Boolean))],
      raw: rs,
    });
  }
}

const find = (scenario, subject) =>
  results.find((x) => x.scenario === scenario && x.subject === subject);
const perRound = (a, b) =>
  a && b
    ? median(
        Array.from(
          { length: Math.min(a.raw.length, b.raw.length) },
          (_, i) => a.raw[i].rps / b.raw[i].rps,
        ),
      )
    : undefined;
const perRoundCpu = (a, b) =>
  a && b
    ? median(
        Array.from(
          { length: Math.min(a.raw.length, b.raw.length) },
          (_, i) => a.raw[i].cpuPerRequest / b.raw[i].cpuPerRequest,
        ),
      )
    : undefined;
for (const r of results) {
  r.vsBaseline = perRound(r, find(r.scenario, 'baseline'));
  r.tokenwardOverThis = perRound(find(r.scenario, TW), r);
  r.cpuOverTokenward = perRoundCpu(r, find(r.scenario, TW));
}

const replayText = (r) => {
  if (!DPOP.has(r.subject)) return '–';
  const s = r.replay.join('/');
  if (r.subject === TW) return `${s} (refused)`;
  return r.replay.every((x) => x === 200) ? `${s} (accepted: no jti record)` : `${s}`;
};
const lines = [];
for (const scenario of scenarios) {
  lines.push(
    `\n### ${scenario === 'same' ? 'one token repeated' : `${config.requests} distinct tokens`}, a fresh ES256 proof per request\n`,
  );
  lines.push(
    '| subject | req/s | p50 ms | p99 ms | server CPU µs/req | × no-auth | tokenward-dpop × this (req/s) | CPU/req ÷ tokenward-dpop | other CPU, worst round | replayed proof |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results.filter((x) => x.scenario === scenario)) {
    lines.push(
      `| ${r.subject} | ${r.rps.toFixed(0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.cpuPerRequest.toFixed(0)} | ${fmt(r.vsBaseline)} | ${fmt(r.tokenwardOverThis)} | ${fmt(r.cpuOverTokenward)} | ${r.foreign === undefined ? '–' : `${(r.foreign * 100).toFixed(1)} %`} | ${replayText(r)} |`,
    );
  }
  const tw = find(scenario, TW);
  const peer = find(scenario, PEER);
  if (tw && peer) {
    lines.push(
      `\ntokenward-dpop / ${PEER}: ${fmt(perRound(tw, peer))} (per round: ${tw.raw.map((x, i) => fmt(x.rps / peer.raw[i].rps)).join(' / ')})`,
    );
  }
}
const peerRows = results.filter((r) => r.subject === PEER);
if (peerRows.length > 0) {
  const answers = [...new Set(peerRows.flatMap((r) => r.replay))];
  lines.push(
    answers.every((x) => x === 200)
      ? `\n${PEER} answered every replayed proof with 200: it checks that jti is present but keeps no record of it, so a captured proof works again within its iat window (default 300 s).`
      : `\n${PEER} answered replayed proofs with ${answers.join('/')}.`,
  );
}
const summary = `DPoP HTTP benchmark — ${machine()}\nconfig: ${JSON.stringify(config)}\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s\n${lines.join('\n')}\n`;
console.log(summary);
const out = writeResult(config.out, { machine: machine(), config, results });
console.error(`# JSON: ${out}`);
