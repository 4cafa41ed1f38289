/* global process, console, setTimeout */
// The scale model, measured: for each governance stage kept in Redis, the Redis commands one
// request costs (counted by the server, INFO commandstats, over N requests), what the stage adds
// to a request's latency (p50/p99 on loopback, one request at a time, against the same verifier
// with the stage off), and how many of those requests one redis-server answers per second with
// many in flight (the shard's ceiling for that stage: its commands/s ÷ commands per request).
// Every request is a verified-token cache hit of an RS256 token (DPoP: an ES256 DPoP-bound
// token with a fresh proof each time), so the figures are the stage's, not the signature's.
//
// With --cluster, the rate-limit stage also runs against a Redis Cluster of 3 masters started
// here on loopback (redis-server --cluster-enabled, `redis-cli --cluster create`): every counter
// of one identity must sit in one slot, and the quota must hold exactly across the shards.
//
//   node bench/redis/scale.mjs [--requests N] [--inflight N] [--cluster] [--out file.json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';
import { dist, flags, machine, makeProofs, mintES256Tokens, writeResult } from '../dpop/lib.mjs';

const require = createRequire(import.meta.url);
// ioredis as @tokenward/redis resolves it (a dependency of that package, not of the root).
const fromRedisPkg = createRequire(require.resolve('../../packages/redis/package.json'));
const Redis = fromRedisPkg('ioredis').default ?? fromRedisPkg('ioredis');
const core = dist('core');
const redisPkg = dist('redis');
const { runRouteStep } = require('../../packages/core/dist/internal.js');
const { createDPoPKey } = dist('testing');

const config = flags({ requests: 5000, inflight: 64, out: '' });
const withCluster = process.argv.includes('--cluster');
const URL_ = 'http://127.0.0.1:8080/api/me';

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Total commands the server has answered (INFO commandstats), INFO itself excluded. */
async function commandsServed(client) {
  const info = await client.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] !== 'info') total += Number(match[2]);
  }
  return total;
}

const keys = generateKeys();
const dpopKey = await createDPoPKey('ES256');
const [rsToken] = await mintTokens(keys, 'RS256', 1, { prefix: 'scale' });
const [boundToken] = await mintES256Tokens(keys, 1, { jkt: dpopKey.jkt, prefix: 'bound' });
const base = {
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: { keys: [keys.sig.RS256.jwk, keys.sig.ES256.jwk] },
  algorithms: ['RS256', 'ES256'],
  cache: { admission: 'always' },
};
const request = (token, scheme = 'Bearer') => ({
  method: 'GET',
  url: '/api/me',
  ip: '192.0.2.7',
  headers: { authorization: `${scheme} ${token}` },
});

/**
 * The stages: each builds `{ run(i) }` where run answers one request (or throws), given a Redis
 * client (and a second connection for subscribers).
 */
const stages = {
  'no stage (control)': async () => {
    const verifier = core.createVerifier(base);
    return { run: () => verifier.verifyRequest(request(rsToken)) };
  },
  'revocation list (pushed to a local copy)': async (client, subscriber) => {
    const revocation = redisPkg.createRedisRevocationList({ client, subscriber });
    await revocation.ready?.();
    await revocation.revokeToken({
      issuer: ISSUER,
      jti: 'someone-else',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const verifier = core.createVerifier({ ...base, revocation });
    return {
      run: () => verifier.verifyRequest(request(rsToken)),
      close: () => revocation.close?.(),
    };
  },
  'rate limit by client (one window)': async (client) => {
    const limit = core.rateLimit({
      key: 'client',
      limits: [{ points: 1_000_000_000, duration: 3600 }],
      store: redisPkg.redisRateLimitStore(client),
    });
    const verifier = core.createVerifier(base);
    return {
      run: async () => {
        const req = request(rsToken);
        const token = await verifier.verifyRequest(req);
        await runRouteStep(verifier, token, [limit], req, '/api/me', () => undefined);
      },
    };
  },
  'DPoP, memory replay store (control for the next)': () => dpopStage(undefined),
  'DPoP replay store (fresh proof per request)': (client) =>
    dpopStage(redisPkg.createRedisReplayStore({ client })),
  'failure budget (a budgeted address)': async (client) => {
    const verifier = core.createVerifier({
      ...base,
      failureBudget: {
        failures: 1_000_000,
        window: 60,
        store: redisPkg.createRedisFailureBudgetStore(client),
      },
    });
    return { run: () => verifier.verifyRequest(request(rsToken)) };
  },
};

/**
 * A DPoP-bound token verified with a fresh proof per request (warm-up, the sequential requests
 * and the in-flight ones each take their own), against `replayStore` (default: memory).
 */
async function dpopStage(replayStore) {
  const verifier = core.createVerifier({
    ...base,
    dpop: { required: true, ...(replayStore && { replayStore }) },
  });
  const proofs = await makeProofs(dpopKey, URL_, boundToken, config.requests * 2 + 300);
  let next = 0;
  return {
    run: () =>
      verifier.verify(boundToken, { dpop: { proof: proofs[next++], method: 'GET', url: URL_ } }),
  };
}

/** CPU seconds redis-server has used (INFO cpu: user + system, its main thread included). */
async function serverCpu(client) {
  const info = await client.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Counts the commands `client` sends (each one a round trip unless pipelined). */
function countSent(client) {
  const counter = { sent: 0 };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    counter.sent++;
    return send(command, stream);
  };
  return counter;
}

/** Commands per request, sequential latency and the in-flight ceiling of one stage. */
async function measure(name, client, subscriber, sent) {
  const stage = await stages[name](client, subscriber);
  for (let i = 0; i < 200; i++) await stage.run(i); // warm: cache filled, scripts loaded
  const before = await commandsServed(client);
  const sentBefore = sent.sent;
  const times = new Array(config.requests);
  for (let i = 0; i < config.requests; i++) {
    const t0 = performance.now();
    await stage.run(i);
    times[i] = (performance.now() - t0) * 1000;
  }
  const commands = (await commandsServed(client)) - before;
  // Less the INFO that commandsServed sent (the server does not count INFO as a command).
  const roundTrips = sent.sent - sentBefore - 1;
  times.sort((a, b) => a - b);
  // The ceiling: `inflight` requests at a time for the same number of requests, and what they
  // cost redis-server in CPU: one shard (one core) answers 1 s ÷ that many requests a second.
  const cpu0 = await serverCpu(client);
  const t0 = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: config.inflight }, async () => {
      while (started < config.requests) {
        started++;
        await stage.run(started);
      }
    }),
  );
  const perSecond = config.requests / ((performance.now() - t0) / 1000);
  const redisCpuPerRequest = (((await serverCpu(client)) - cpu0) * 1e6) / config.requests;
  await stage.close?.();
  return {
    stage: name,
    roundTripsPerRequest: roundTrips / config.requests,
    commandsPerRequest: commands / config.requests,
    redisCpuPerRequest,
    // Only for a stage that talks to Redis on every request.
    requestsPerShardSecond: roundTrips > 0 ? 1e6 / redisCpuPerRequest : undefined,
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    requestsPerSecond: perSecond,
  };
}

console.log(`# ${machine()}`);
const server = await startRedisServer();
const rows = [];
try {
  const client = new Redis(server.url);
  const subscriber = new Redis(server.url);
  const sent = countSent(client);
  for (const name of Object.keys(stages)) {
    await client.flushall();
    await client.config('RESETSTAT');
    rows.push(await measure(name, client, subscriber, sent));
    const r = rows.at(-1);
    console.log(
      `${name.padEnd(46)} ${r.roundTripsPerRequest.toFixed(2)} round trips, ${r.commandsPerRequest.toFixed(2)} commands/req; ` +
        `p50 ${r.p50.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs; ${r.requestsPerSecond.toFixed(0)} req/s with ${config.inflight} in flight; ` +
        `redis CPU ${r.redisCpuPerRequest.toFixed(1)} µs/req` +
        (r.requestsPerShardSecond
          ? ` → ${Math.round(r.requestsPerShardSecond)} req/s per shard`
          : ''),
    );
  }
  client.disconnect();
  subscriber.disconnect();
} finally {
  await server.stop();
}

// The added latency of each stage over the control.
const control = rows[0];
for (const r of rows.slice(1)) {
  r.addedP50 = r.p50 - control.p50;
  r.addedP99 = r.p99 - control.p99;
}

let cluster;
if (withCluster) cluster = await clusterCheck();

if (config.out) writeResult(config.out, { machine: machine(), config, rows, cluster });

/** The rate-limit stage on a 3-master Redis Cluster on loopback: slots, exact quota. */
async function clusterCheck() {
  const ports = [0, 1, 2].map((i) => 30_000 + Math.floor(Math.random() * 20_000) + i);
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-bench-cluster-'));
  const pids = [];
  try {
    for (const port of ports) {
      execFileSync('redis-server', [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir, `${port}.pid`),
        '--dir',
        dir,
        '--logfile',
        join(dir, `${port}.log`),
      ]);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const port of ports) {
      pids.push(
        Number(
          spawnSync('cat', [join(dir, `${port}.pid`)])
            .stdout.toString()
            .trim(),
        ),
      );
    }
    const created = spawnSync('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    if (created.status !== 0) {
      const why = created.stderr.toString() || created.stdout.toString();
      console.log(`\ncluster: could not be formed here: ${why.split('\n')[0]}`);
      return { formed: false, why };
    }
    const clusterClient = new Redis.Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
    // Wait for every slot to be served.
    for (let i = 0; i < 50; i++) {
      const state = (await clusterClient.cluster('INFO')).match(/cluster_state:(\w+)/)?.[1];
      if (state === 'ok') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const quota = 50;
    const limit = core.rateLimit({
      key: 'client',
      limits: [
        { points: quota, duration: 60 },
        { points: 10 * quota, duration: 3600 },
      ],
      store: redisPkg.redisRateLimitStore(clusterClient),
    });
    const verifier = core.createVerifier(base);
    // One client, two windows: both of its counters must sit in one slot (one master), so the
    // script that counts them needs no cross-slot command, and the quota must hold exactly.
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < quota + 10; i++) {
      const req = request(rsToken);
      const token = await verifier.verifyRequest(req);
      try {
        await runRouteStep(verifier, token, [limit], req, '/api/me', () => undefined);
        allowed++;
      } catch (error) {
        if (error.status !== 429) throw error;
        refused++;
      }
    }
    const masters = clusterClient.nodes('master');
    const byMaster = [];
    const slots = new Set();
    for (const node of masters) {
      const found = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      byMaster.push(found.length);
      for (const key of found) slots.add(await node.cluster('KEYSLOT', key));
    }
    clusterClient.disconnect();
    const result = {
      formed: true,
      masters: masters.length,
      quota,
      allowed,
      refused,
      keysByMaster: byMaster,
      slotsOfOneClient: slots.size,
    };
    console.log(
      `\ncluster of ${masters.length} masters: one client, quota ${quota}: ${allowed} allowed, ${refused} refused; ` +
        `its ${byMaster.reduce((a, b) => a + b, 0)} counter keys in ${slots.size} slot(s) (keys by master ${byMaster.join('/')})`,
    );
    return result;
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}
