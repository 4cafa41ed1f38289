/* global process, console, performance, Buffer, setTimeout, clearTimeout */
// CPU per DPoP proof verification (RFC 9449 §4.3), ES256 proofs, each checked once, 10 in
// flight; process.cpuUsage (user + system, every thread: the libuv pool included).
//
// Subjects:
// - tokenward: `verifier.verify(token, { dpop: { proof, method, url } })` on a DPoP-bound ES256
//   token already in the verified-token cache, so the token costs a cache hit and the proof is
//   what is measured; with the default memory replay store, and with a no-op store
//   (`{ claim: async () => true }`) so the claim's share shows. A fresh verifier per round (empty
//   store, no imported proof key), warmed with two other proofs (admission 'repeat').
// - tokenward checkDPoPProof alone: the built proof check (packages/core/dist internals) called
//   directly with a no-op store, without the verifier around it.
// - tokenward bearer cache hit: the same verifier shape without `dpop`, an unbound token, no
//   proof: what the token alone costs on a hit.
// - floor: node:crypto, the least a correct check must do: base64url-decode header and claims,
//   JSON.parse both, the htm/htu/iat comparisons, the `ath` comparison, synchronous
//   `crypto.verify`; the proof key imported and the token's SHA-256 for `ath` made once.
// - floor steps with the callback crypto.verify (the libuv pool), as tokenward verifies.
// - jose 6: `jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })` alone
//   (no htm/htu/ath/jti checks; the key is imported from the header on every call).
// - jose 4 + thumbprint: the proof steps of express-oauth2-jwt-bearer 1.10 (its own jose 4:
//   jwtVerify with EmbeddedJWK, SHA-256 for ath, calculateJwkThumbprint), for reading http.mjs.
//
// Rounds interleave the subjects over the same fresh proofs (made before each round); medians
// over rounds, ratios to the floor as medians of the per-round ratios. Then a breakdown: the
// steps tokenward's proof check does beyond the floor's, each timed alone (synchronous loops
// over the same proofs, tokenward's own built functions from packages/core/dist), so the gap
// to the floor can be read step by step.
//
//   node [--expose-gc] bench/dpop/proof-cpu.mjs [--rounds N] [--proofs N] [--out file.json]
//     [--compare-from DIR]
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { generateKeys } from '../lib/fixtures.mjs';
import { jose } from '../lib/deps.mjs';
import {
  AUDIENCE,
  ISSUER,
  dist,
  flags,
  fmt,
  inFlight,
  machine,
  machineCpu,
  makeProofs,
  median,
  mintES256Tokens,
  writeResult,
} from './lib.mjs';

const config = flags({ rounds: 5, proofs: 10_000, out: 'dpop-proof-cpu.json', 'compare-from': '' });
if (config.proofs < 10_000) console.error('# note: fewer than 10,000 proofs per round');
const started = Date.now();
const core = dist('core');
const { createDPoPKey } = dist('testing');
const require = createRequire(import.meta.url);
const jose4 = require(
  require.resolve('jose', { paths: [require.resolve('express-oauth2-jwt-bearer')] }),
);

const URL_ = 'http://127.0.0.1:8080/api/me';
const keys = generateKeys();
const dpopKey = await createDPoPKey('ES256');
const [token] = await mintES256Tokens(keys, 1, { jkt: dpopKey.jkt, prefix: 'bound' });
const [bearerToken] = await mintES256Tokens(keys, 1, { prefix: 'bearer' });
const tokenOptions = {
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: { keys: [keys.sig.ES256.jwk] },
  algorithms: ['ES256'],
};

// ---- floor: node:crypto, proof key imported once (a client reuses its key) ----
const floorKey = createPublicKey({ key: dpopKey.publicJwk, format: 'jwk' });
// The token's hash for `ath`, like the proof key, is made once: every proof here is for one token.
const floorAth = new Map();
const athOf = (accessToken) => {
  let ath = floorAth.get(accessToken);
  if (ath === undefined) {
    ath = createHash('sha256').update(accessToken, 'latin1').digest('base64url');
    floorAth.set(accessToken, ath);
  }
  return ath;
};
function floorParse(proof, accessToken) {
  const d1 = proof.indexOf('.');
  const d2 = proof.indexOf('.', d1 + 1);
  const header = JSON.parse(Buffer.from(proof.slice(0, d1), 'base64url').toString('latin1'));
  const claims = JSON.parse(Buffer.from(proof.slice(d1 + 1, d2), 'base64url').toString('utf8'));
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') throw new Error('bad header');
  if (claims.htm !== 'GET' || claims.htu !== URL_) throw new Error('bad htm/htu');
  const now = Math.floor(Date.now() / 1000);
  if (!(claims.iat <= now + 5 && claims.iat >= now - 305)) throw new Error('bad iat');
  if (claims.ath !== athOf(accessToken)) throw new Error('bad ath');
  return [Buffer.from(proof.slice(0, d2), 'latin1'), Buffer.from(proof.slice(d2 + 1), 'base64url')];
}
const FLOOR_KEY = { key: floorKey, dsaEncoding: 'ieee-p1363' };
function floorCheck(proof, accessToken) {
  const [input, signature] = floorParse(proof, accessToken);
  if (!verify('sha256', input, FLOOR_KEY, signature)) throw new Error('bad signature');
}
// The same steps with the callback form of crypto.verify (the libuv thread pool), as tokenward's
// signature check runs: the difference is the cost of the hand-off, not of the checks.
function floorCheckCallback(proof, accessToken) {
  const [input, signature] = floorParse(proof, accessToken);
  return new Promise((resolve, reject) => {
    verify('sha256', input, FLOOR_KEY, signature, (error, ok) =>
      error || !ok ? reject(error ?? new Error('bad signature')) : resolve(),
    );
  });
}

const noopStore = { claim: async () => true };
const internal = (path) => require(`../../packages/core/dist/${path}.js`);

/** A tokenward verifier with `dpop`, the token in its cache (two warm verifications). */
async function tokenwardWith(replayStore, from = core) {
  const verifier = from.createVerifier({
    ...tokenOptions,
    dpop: { required: true, ...(replayStore && { replayStore }) },
  });
  const warm = await makeProofs(dpopKey, URL_, token, 2);
  for (const proof of warm)
    await verifier.verify(token, { dpop: { proof, method: 'GET', url: URL_ } });
  return (proof) => verifier.verify(token, { dpop: { proof, method: 'GET', url: URL_ } });
}

// --compare-from DIR: the same default verifier built from another checkout (a `git worktree` of
// an earlier commit, built), measured in the same rounds, so two versions can be compared.
const compareFrom = config['compare-from'];
const subjects = {
  'tokenward, memory replay store (default)': () => tokenwardWith(undefined),
  ...(compareFrom && {
    [`tokenward, memory replay store (default), from ${compareFrom}`]: () =>
      tokenwardWith(undefined, require(`${compareFrom}/packages/core/dist/index.js`)),
  }),
  'tokenward, no-op replay store': () => tokenwardWith(noopStore),
  // The proof check itself (built internals: resolveDPoP's plan, checkDPoPProof), without the
  // verifier around it: the difference to the rows above is the verifier's own path.
  'tokenward checkDPoPProof alone (internal), no-op store': async () => {
    const { resolveDPoP } = internal('binding/dpop/dpop-options');
    const { accessTokenHash, checkDPoPProof } = internal('binding/dpop/verify-proof');
    const { normalizeHtu } = internal('binding/dpop/htu');
    const plan = resolveDPoP({ required: true, replayStore: noopStore }, 30);
    const htu = normalizeHtu(URL_);
    // The verifier hashes a token for `ath` once and keeps the hash with the verified token.
    const ath = accessTokenHash(token);
    return (proof) =>
      checkDPoPProof({ proof, method: 'GET', htu, ath, jkt: dpopKey.jkt, nowMs: Date.now() }, plan);
  },
  'tokenward bearer cache hit, no proof': async () => {
    const verifier = core.createVerifier(tokenOptions);
    await verifier.verify(bearerToken);
    await verifier.verify(bearerToken);
    return () => verifier.verify(bearerToken);
  },
  'floor: node:crypto (sync verify)': async () => async (proof) => floorCheck(proof, token),
  'floor steps, callback crypto.verify (thread pool)': async () => (proof) =>
    floorCheckCallback(proof, token),
  'jose 6 jwtVerify(EmbeddedJWK)': async () => (proof) =>
    jose.jwtVerify(proof, jose.EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] }),
  'jose 4 + ath + thumbprint (express-oauth2-jwt-bearer steps)': async () => async (proof) => {
    const { payload, protectedHeader } = await jose4.jwtVerify(proof, jose4.EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
    });
    const ath = jose4.base64url.encode(createHash('sha256').update(token).digest());
    if (payload.ath !== ath) throw new Error('bad ath');
    if ((await jose4.calculateJwkThumbprint(protectedHeader.jwk)) !== dpopKey.jkt) {
      throw new Error('bad jkt');
    }
  },
};
const FLOOR = 'floor: node:crypto (sync verify)';

const settle = async () => {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
};
const raw = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let round = 0; round < config.rounds; round++) {
  const t0 = performance.now();
  const proofs = await makeProofs(dpopKey, URL_, token, config.proofs);
  console.error(
    `# round ${round + 1}: ${proofs.length} fresh proofs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  // The order rotates by one each round, and each measurement starts after a pause (and a full
  // GC with --expose-gc): the garbage of making 10,000 proofs is not billed to whoever runs next.
  const names = Object.keys(subjects);
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const fn = await subjects[name]();
    await settle();
    const machine0 = machineCpu();
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const w0 = performance.now();
    await inFlight(fn, proofs, 10);
    const used = process.cpuUsage(cpu0);
    const wall = performance.now() - w0;
    const elu = performance.eventLoopUtilization(elu0);
    const machine1 = machineCpu();
    const r = {
      cpu: (used.user + used.system) / proofs.length,
      wall: (wall * 1000) / proofs.length,
      // Time the event loop (main thread) was busy, not waiting for the thread pool.
      loop: (elu.active * 1000) / proofs.length,
      // CPU used by other processes meanwhile, as a share of all cores.
      foreign:
        machine0 && machine1
          ? Math.max(0, machine1.busyMs - machine0.busyMs - (used.user + used.system) / 1000) /
            (wall * os.availableParallelism())
          : undefined,
    };
    raw[name].push(r);
    console.error(
      `  r${round + 1} ${name}: ${r.cpu.toFixed(1)} µs CPU, ${r.wall.toFixed(1)} µs wall, ${r.loop.toFixed(1)} µs event loop per proof; other processes ${fmt((r.foreign ?? NaN) * 100, 1)} % of the machine`,
    );
  }
}

// Every proof was checked once per subject; a second use must be refused by tokenward.
{
  const verifier = core.createVerifier({ ...tokenOptions, dpop: { required: true } });
  const [proof] = await makeProofs(dpopKey, URL_, token, 1);
  await verifier.verify(token, { dpop: { proof, method: 'GET', url: URL_ } });
  const second = await verifier.verify(token, { dpop: { proof, method: 'GET', url: URL_ } }).then(
    () => 'accepted',
    (e) => `${e.status} ${e.code}`,
  );
  if (!second.startsWith('401')) throw new Error(`tokenward accepted a replayed proof: ${second}`);
  console.error(`# replay check: tokenward refused the second use of a proof (${second})`);
}

// ---- breakdown: tokenward's steps beyond the floor's, each alone ----
const { decodeHeaderSegment, decodeJSONSegment, isCanonicalSegment } = internal('compact/compact');
const { jwkThumbprint } = internal('binding/dpop/thumbprint');
const { normalizeHtu } = internal('binding/dpop/htu');
const { ProofKeys } = internal('binding/dpop/proof-key');
const { accessTokenHash } = internal('binding/dpop/verify-proof');
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const proofs = await makeProofs(dpopKey, URL_, token, config.proofs);
const parsed = proofs.map((p) => {
  const [h, c] = p.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    claims: JSON.parse(Buffer.from(c, 'base64url')),
  };
});
let sink = 0;
const steps = {
  'shape: compact-JWS regex, split, canonical base64url (3 segments)': (p) => {
    if (!COMPACT_JWS.test(p)) throw new Error('shape');
    const segs = p.split('.');
    if (!segs.every(isCanonicalSegment)) throw new Error('canonical');
    sink += segs.length;
  },
  'strict JSON decode of header + claims (tokenward)': (p) => {
    const d1 = p.indexOf('.');
    const d2 = p.indexOf('.', d1 + 1);
    sink += Object.keys(decodeHeaderSegment(p.slice(0, d1), 'JWS')).length;
    sink += Object.keys(
      decodeJSONSegment(p.slice(d1 + 1, d2), 'DPoP proof claims', { maxDepth: 4, maxMembers: 64 }),
    ).length;
  },
  '  the same with Buffer + JSON.parse (floor)': (p) => {
    const d1 = p.indexOf('.');
    const d2 = p.indexOf('.', d1 + 1);
    sink += Object.keys(
      JSON.parse(Buffer.from(p.slice(0, d1), 'base64url').toString('latin1')),
    ).length;
    sink += Object.keys(
      JSON.parse(Buffer.from(p.slice(d1 + 1, d2), 'base64url').toString('utf8')),
    ).length;
  },
  'RFC 7638 thumbprint of the proof jwk (every proof)': (_p, i) => {
    sink += jwkThumbprint(parsed[i].header.jwk).length;
  },
  'proof key look-up by thumbprint (ProofKeys, imported once)': (() => {
    const keysCache = new ProofKeys();
    return (_p, i) => {
      sink += keysCache.importFor(parsed[i].header.jwk, 'ES256').jkt.length;
    };
  })(),
  // A proof's htu already in normal form is compared as it is: only the request's is normalised.
  'htu: normalizeHtu of the request URL, the proof htu compared as is': (_p, i) => {
    sink += normalizeHtu(URL_) === parsed[i].claims.htu ? 1 : 0;
  },
  'ath: accessTokenHash of the token (made once per verified token, by the floor too)': () => {
    sink += accessTokenHash(token).length;
  },
  'claim timer: setTimeout + clearTimeout': () => {
    const t = setTimeout(() => undefined, 1000);
    clearTimeout(t);
    sink++;
  },
};
const breakdown = [];
for (const [name, fn] of Object.entries(steps)) {
  for (let i = 0; i < 1000; i++) fn(proofs[i], i);
  const times = [];
  for (let round = 0; round < config.rounds; round++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < proofs.length; i++) fn(proofs[i], i);
    const u = process.cpuUsage(c0);
    times.push((u.user + u.system) / proofs.length);
  }
  breakdown.push({ step: name, cpu: median(times) });
}
// The memory store's claim alone (fresh keys, fresh store per round), awaited one by one.
{
  const times = [];
  for (let round = 0; round < config.rounds; round++) {
    const store = core.createMemoryReplayStore();
    const ids = proofs.map((_, i) => `${dpopKey.jkt}:${round}-${i}-${Math.random()}`);
    const c0 = process.cpuUsage();
    for (const id of ids) await store.claim(id, 360);
    const u = process.cpuUsage(c0);
    times.push((u.user + u.system) / ids.length);
  }
  breakdown.push({ step: 'memory store claim alone (awaited)', cpu: median(times) });
}
if (sink === 0) throw new Error('unreachable');
for (const b of breakdown) console.error(`  step ${b.step}: ${b.cpu.toFixed(2)} µs`);

const n = config.rounds;
const results = Object.entries(raw).map(([name, rs]) => ({
  subject: name,
  cpu: median(rs.map((r) => r.cpu)),
  wall: median(rs.map((r) => r.wall)),
  loop: median(rs.map((r) => r.loop)),
  cpuVsFloor: median(rs.map((r, i) => r.cpu / raw[FLOOR][i].cpu)),
  raw: rs,
}));
const foreignWorst = Math.max(...Object.values(raw).flatMap((rs) => rs.map((r) => r.foreign ?? 0)));
const mem = raw['tokenward, memory replay store (default)'];
const noop = raw['tokenward, no-op replay store'];
const claimShare = median(mem.map((r, i) => r.cpu - noop[i].cpu));

const lines = [
  `DPoP proof CPU — ${machine()}`,
  `config: ${JSON.stringify(config)}; wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  '',
  `| ES256 proof, ${config.proofs} per round, 10 in flight, median of ${n} | CPU µs / proof | × floor (CPU) | wall µs / proof | event loop busy µs / proof |`,
  '|---|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.subject} | ${fmt(r.cpu, 1)} | ${fmt(r.cpuVsFloor)} | ${fmt(r.wall, 1)} | ${fmt(r.loop, 1)} |`,
  ),
  '',
  `memory-store claim share: ${fmt(claimShare, 1)} µs CPU per proof (memory − no-op, per round median)`,
  '',
  `| step (alone, CPU µs per proof, median of ${n}) | µs |`,
  '|---|---:|',
  ...breakdown.map((b) => `| ${b.step} | ${fmt(b.cpu, 2)} |`),
  '',
  `per round × floor: ${results.map((r) => `${r.subject}: ${r.raw.map((x, i) => fmt(x.cpu / raw[FLOOR][i].cpu)).join(' / ')}`).join('; ')}`,
  `CPU = process.cpuUsage (every thread); event loop busy = performance.eventLoopUtilization().active (the main thread's share)`,
  `other processes used at most ${fmt(foreignWorst * 100, 1)} % of the machine during a measurement`,
];
console.log(lines.join('\n'));
const out = writeResult(config.out, {
  machine: machine(),
  config,
  claimShare,
  foreignWorst,
  results,
  breakdown,
});
console.error(`# JSON: ${out}`);
