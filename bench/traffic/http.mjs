/* global process, console, fetch */
// Rate limiting by identity over HTTP: tokenward's `rateLimit` on Redis against
// express-rate-limit + rate-limit-redis (Express) and @nestjs/throttler +
// @nest-lab/throttler-storage-redis (Nest), each behind the same tokenward authentication, one
// RS256 token repeated (verified-token cache on), every limiter keyed by the token's subject with
// a quota of 1e9 per 60 s (never refusing: the counting is measured, not 429s). Controls: the
// same apps without a rate limit, tokenward on its memory store; and, only when named in
// --subjects, express-rate-limit on its memory store, one raw INCR per request
// (`redis-incr-floor`: the least a limiter counting in Redis can cost) and both Express limiters
// on an auto-pipelining ioredis client.
//
// One redis-server (bench/lib/redis-server.mjs) for the whole run, flushed before every
// measurement and stopped at the end. Each measurement is one server process (http-server.mjs)
// loaded by autocannon from this one (10 connections, GET /api/me); rounds interleave the
// subjects, ratios are the medians of per-round ratios (bench/README.md, Method). Before the
// timed rounds every subject answers three requests with a quota of 2 (expect 200, 200, 429 and
// its rate-limit fields); after every measurement the Redis counters are read back (a Redis
// subject must have counted every request it answered, the others nothing).
//
//   pnpm build && node bench/traffic/http.mjs [--quick] [--rounds N] [--duration S]
//     [--warmup N] [--subjects a,b] [--out file.json]
//   BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node bench/traffic/http.mjs …
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkMeasuredServer } from '../lib/measured-server.mjs';
import { generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';
import { SUBJECTS, WINDOW_SECONDS, connectRedis } from './http-subjects.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = flag('quick');
const config = {
  rounds: Number(value('rounds', quick ? 1 : 5)),
  duration: Number(value('duration', quick ? 2 : 5)),
  warmup: Number(value('warmup', quick ? 1000 : 3000)),
  connections: 10,
  points: 1e9,
  windowSeconds: WINDOW_SECONDS,
  subjects: value(
    'subjects',
    Object.keys(SUBJECTS)
      .filter((name) => !SUBJECTS[name].control)
      .join(','),
  ).split(','),
};
for (const s of config.subjects) if (!SUBJECTS[s]) throw new Error(`unknown subject ${s}`);
const out = value('out', join(here, '..', 'results', 'traffic-http.json'));

function startServer(subject, keys, points, redisUrl) {
  return forkMeasuredServer(
    join(here, 'http-server.mjs'),
    { subject, keys, points, redisUrl },
    {
      label: subject,
      execArgv: process.env.BENCH_SERVER_ARGS ? process.env.BENCH_SERVER_ARGS.split(' ') : [],
    },
  );
}

function load(port, token, { amount, duration }) {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/me`,
    connections: config.connections,
    ...(amount ? { amount } : { duration }),
    headers: { authorization: `Bearer ${token}` },
  });
}

/** CPU time of a process (Linux /proc, clock ticks of 10 ms) in microseconds. */
function processCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

/** The machine's CPU time, all CPUs, and its idle part (Linux /proc/stat) in microseconds. */
function machineCpuMicros() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
    const ticks = fields.slice(0, 8).map(Number);
    const idle = ticks[3] + ticks[4];
    return { total: ticks.reduce((a, b) => a + b, 0) * 10_000, idle: idle * 10_000 };
  } catch {
    return { total: NaN, idle: NaN };
  }
}

/** Every key in Redis and the largest integer value among the string keys. */
async function redisCounters(client) {
  const keys = await client.keys('*');
  let maxCounter = 0;
  const sample = [];
  for (const key of keys) {
    if ((await client.type(key)) !== 'string') continue;
    const v = Number(await client.get(key));
    if (Number.isFinite(v) && v > maxCounter) maxCounter = v;
    if (sample.length < 3) sample.push(key);
  }
  return { keys: keys.length, maxCounter, sample };
}

const RATE_FIELDS = [
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/** Three requests with a quota of 2: 200, 200, 429 for a limiter (200 × 3 without one). */
async function sanity(subject, keys, token, redis, redisUrl) {
  await redis.flushall();
  const server = await startServer(subject, keys, 2, redisUrl);
  try {
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      answers.push({
        status: res.status,
        fields: Object.fromEntries(
          RATE_FIELDS.filter((f) => res.headers.has(f)).map((f) => [f, res.headers.get(f)]),
        ),
      });
    }
    const statuses = answers.map((a) => a.status);
    const expected = SUBJECTS[subject].limited ? [200, 200, 429] : [200, 200, 200];
    if (statuses.join() !== expected.join()) {
      throw new Error(`${subject}: sanity statuses ${statuses} (expected ${expected})`);
    }
    if (SUBJECTS[subject].limited && Object.keys(answers[0].fields).length === 0) {
      throw new Error(`${subject}: no rate-limit fields on an allowed response`);
    }
    const counters = await redisCounters(redis);
    if (SUBJECTS[subject].redis !== counters.keys > 0) {
      throw new Error(`${subject}: ${counters.keys} keys in Redis after the sanity requests`);
    }
    return { statuses, first: answers[0].fields, refused: answers[2].fields, redis: counters };
  } finally {
    await server.close();
  }
}

async function measure(subject, keys, token, redis, redisServer) {
  await redis.flushall();
  const server = await startServer(subject, keys, config.points, redisServer.url);
  try {
    const warm = await load(server.port, token, { amount: config.warmup });
    await server.start();
    const redisCpu0 = processCpuMicros(redisServer.pid);
    const machine0 = machineCpuMicros();
    const load0 = process.cpuUsage();
    const result = await load(server.port, token, { duration: config.duration });
    const cpu = await server.stop();
    const redisCpu = processCpuMicros(redisServer.pid) - redisCpu0;
    const machine1 = machineCpuMicros();
    const loadUsage = process.cpuUsage(load0);
    const loadCpu = loadUsage.user + loadUsage.system;
    const total = machine1.total - machine0.total;
    const busy = total - (machine1.idle - machine0.idle);
    const failures =
      warm.non2xx + warm.errors + warm.timeouts + result.non2xx + result.errors + result.timeouts;
    if (failures > 0) throw new Error(`${subject}: ${failures} failed requests`);
    // Every answered request should have been counted in Redis (one counter per window), and a
    // subject without Redis must have left nothing there. A Redis store may count a few
    // requests elsewhere (tokenward's insurance limiter answers a count slower than 200 ms):
    // those are reported as `notInRedis`; a subject that counted under 90 % in Redis fails.
    const counters = await redisCounters(redis);
    const answered = warm.requests.total + cpu.requests;
    if (SUBJECTS[subject].redis && counters.maxCounter < 0.9 * answered) {
      throw new Error(
        `${subject}: Redis counted ${counters.maxCounter} of ${answered} answered requests`,
      );
    }
    if (!SUBJECTS[subject].redis && counters.keys > 0) {
      throw new Error(`${subject}: ${counters.keys} keys in Redis, expected none`);
    }
    return {
      rps: (cpu.requests - 1) / cpu.seconds,
      p99: result.latency.p99,
      cpuPerRequest: cpu.cpuMicros / Math.max(1, cpu.requests),
      threadCpuPerRequest: Object.fromEntries(
        Object.entries(cpu.threads ?? {}).map(([name, micros]) => [
          name,
          micros / Math.max(1, cpu.requests),
        ]),
      ),
      redisCpuPerRequest: redisCpu / Math.max(1, cpu.requests),
      // Of the machine's CPU time during the measurement, the share of processes other than
      // this server, redis-server and the load generator (other work on the machine).
      otherCpuShare: Math.max(0, (busy - cpu.cpuMicros - redisCpu - loadCpu) / total),
      requests: cpu.requests,
      answered,
      notInRedis: SUBJECTS[subject].redis ? Math.max(0, answered - counters.maxCounter) : 0,
      redis: counters,
    };
  } finally {
    await server.close();
  }
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const started = Date.now();
const keys = generateKeys();
const [token] = await mintTokens(keys, 'RS256', 1, { prefix: 's' });
const redisServer = await startRedisServer();
const redis = await connectRedis(redisServer.url);
const redisVersion = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1];
const sanityChecks = {};
const rounds = Object.fromEntries(config.subjects.map((s) => [s, []]));
try {
  for (const subject of config.subjects) {
    sanityChecks[subject] = await sanity(subject, keys, token, redis, redisServer.url);
    const s = sanityChecks[subject];
    console.error(
      `  sanity ${subject}: ${s.statuses.join(' ')}, ${s.redis.keys} Redis keys, ${JSON.stringify(s.first)}`,
    );
  }
  for (let round = 0; round < config.rounds; round++) {
    for (const subject of config.subjects) {
      const r = await measure(subject, keys, token, redis, redisServer);
      rounds[subject].push(r);
      console.error(
        `  r${round + 1} ${subject}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.cpuPerRequest.toFixed(1)} µs CPU/req, redis ${r.redisCpuPerRequest.toFixed(1)} µs/req, ${r.redis.keys} keys, counter ${r.redis.maxCounter}/${r.answered}, other processes ${(r.otherCpuShare * 100).toFixed(1)} % of the machine`,
      );
    }
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
}

// Per-round ratios and differences, then their median (a subject against its own control and
// against its peer, measured seconds apart in the same round).
const perRound = (a, b, f) => {
  if (!rounds[a]?.length || !rounds[b]?.length) return undefined;
  const n = Math.min(rounds[a].length, rounds[b].length);
  return median(Array.from({ length: n }, (_, i) => f(rounds[a][i], rounds[b][i])));
};
const rpsRatio = (x, y) => x.rps / y.rps;
const cpuDiff = (x, y) => x.cpuPerRequest - y.cpuPerRequest;
const control = (subject) => (SUBJECTS[subject].nest ? 'nest-auth-only' : 'express-auth-only');
const peerOf = {
  'express-rate-limit': 'tokenward',
  'express-rate-limit-memory': 'tokenward-memory',
  'nestjs-throttler': 'tokenward-nest',
  'redis-incr-floor': 'tokenward',
  'express-rate-limit-autopipeline': 'tokenward-autopipeline',
};
const results = config.subjects.map((subject) => {
  const rs = rounds[subject];
  const own = control(subject);
  const tw = peerOf[subject];
  return {
    subject,
    rounds: rs.length,
    rps: median(rs.map((r) => r.rps)),
    p99: median(rs.map((r) => r.p99)),
    cpuPerRequest: median(rs.map((r) => r.cpuPerRequest)),
    redisCpuPerRequest: median(rs.map((r) => r.redisCpuPerRequest)),
    notInRedis: rs.reduce((a, r) => a + r.notInRedis, 0),
    otherCpuShareMax: Math.max(...rs.map((r) => r.otherCpuShare)),
    control: own,
    vsControl: subject === own ? undefined : perRound(subject, own, rpsRatio),
    addedCpuPerRequest: subject === own ? undefined : perRound(subject, own, cpuDiff),
    tokenward: tw,
    tokenwardOverThis: tw ? perRound(tw, subject, rpsRatio) : undefined,
    // The peer's added server CPU ÷ tokenward's, per round.
    addedCpuThisOverTokenward: tw
      ? (() => {
          const n = Math.min(rounds[subject].length, rounds[tw]?.length ?? 0, rounds[own].length);
          return median(
            Array.from(
              { length: n },
              (_, i) =>
                (rounds[subject][i].cpuPerRequest - rounds[own][i].cpuPerRequest) /
                (rounds[tw][i].cpuPerRequest - rounds[own][i].cpuPerRequest),
            ),
          );
        })()
      : undefined,
    perRoundTokenwardOverThis: tw
      ? rs.map((r, i) => (rounds[tw]?.[i] ? rounds[tw][i].rps / r.rps : undefined))
      : undefined,
    raw: rs,
  };
});

const fmt = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));
const lines = [
  '| subject | req/s | × own auth-only | tokenward × this | p99 ms | server CPU µs/req | added CPU µs/req | redis-server CPU µs/req | not counted in Redis | other processes, max % of the machine |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of results) {
  lines.push(
    `| ${r.subject} | ${r.rps.toFixed(0)} | ${fmt(r.vsControl)} | ${fmt(r.tokenwardOverThis)} | ${r.p99} | ${fmt(r.cpuPerRequest, 1)} | ${fmt(r.addedCpuPerRequest, 1)} | ${fmt(r.redisCpuPerRequest, 1)} | ${SUBJECTS[r.subject].redis ? r.notInRedis : '–'} | ${fmt(r.otherCpuShareMax * 100, 0)} |`,
  );
}
const ratioLines = results
  .filter((r) => r.tokenward)
  .map(
    (r) =>
      `${r.tokenward} ÷ ${r.subject}: req/s per round ${r.perRoundTokenwardOverThis.map((x) => fmt(x)).join(' / ')} (median ${fmt(r.tokenwardOverThis)}); added server CPU ${r.subject} ÷ ${r.tokenward}: ${fmt(r.addedCpuThisOverTokenward)}`,
  );
const machine = `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, redis-server ${redisVersion}, ${new Date().toISOString()}`;
console.log(
  `Rate limiting over HTTP — ${machine}\nconfig: ${JSON.stringify(config)}\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s\n\n${lines.join('\n')}\n\n${ratioLines.join('\n')}\n`,
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ machine, redisVersion, config, sanity: sanityChecks, results }, null, 2)}\n`,
);
