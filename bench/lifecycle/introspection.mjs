/* global process, console, URL, URLSearchParams, Buffer, setTimeout */
// Introspection (RFC 7662): what a cache hit costs (`verifier.verify(opaque)` answered from the
// introspection cache) against a verified-token cache hit of a JWT, and how many requests reach
// the authorization server for 1,000 concurrent verifications of one new opaque token (coalesced).
// The authorization server is a node:http endpoint on 127.0.0.1 in this process.
//
//   pnpm build && node bench/lifecycle/introspection.mjs
import { createServer } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { bench, run, summary } from 'mitata';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');

let requests = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    requests++;
    const token = new URLSearchParams(body).get('token');
    const now = Math.floor(Date.now() / 1000);
    const answer = {
      active: true,
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      client_id: 'bench',
      scope: 'read write',
      exp: now + 3600,
      iat: now,
      jti: token,
    };
    const text = JSON.stringify(answer);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${server.address().port}/introspect`;

const keys = generateKeys();
const [jwt] = await mintTokens(keys, 'RS256', 1);
const verifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['RS256'],
  keys: { keys: [keys.sig.RS256.jwk] },
  metrics: false,
  introspection: { endpoint, clientId: 'rs', clientSecret: 'a-client-secret-for-the-benchmark' },
});
const opaque = 'opaque-token-0123456789abcdefghijklmnopqrstuvwxyz';
await verifier.verify(opaque);
await verifier.verify(jwt);
await verifier.verify(jwt);
const afterWarmup = requests;

summary(() => {
  bench('JWT, verified-token cache hit', () => verifier.verify(jwt));
  bench('opaque token, introspection cache hit', () => verifier.verify(opaque));
});
const micro = await run({ format: 'quiet' });
const avg = Object.fromEntries(micro.benchmarks.map((b) => [b.alias, b.runs[0].stats.avg]));
const duringHits = requests - afterWarmup;

// Coalescing: 1,000 concurrent verifications of one token the cache has not seen. mitata kept the
// event loop from I/O for seconds, past the server's 5 s keep-alive timeout: a pause lets the
// client's agent see the server close its idle socket, which it would otherwise reuse (ECONNRESET).
await new Promise((r) => setTimeout(r, 100));
const before = requests;
const fresh = 'another-opaque-token-9876543210zyxwvutsrqponmlkjihgfedcba';
const settled = await Promise.allSettled(
  Array.from({ length: 1000 }, () => verifier.verify(fresh)),
);
const coalesced = requests - before;
const firstRejection = settled.find((s) => s.status === 'rejected');
if (firstRejection)
  console.error(
    `# a rejection: ${firstRejection.reason?.code} ${firstRejection.reason?.message} ← ${firstRejection.reason?.cause?.message} ← ${firstRejection.reason?.cause?.cause?.message}`,
  );
server.close();

const results = {
  machine: { cpus: cpus().length, node: process.version },
  cacheHitNs: avg,
  requestsDuringCacheHits: duringHits,
  concurrent: {
    calls: 1000,
    fulfilled: settled.filter((s) => s.status === 'fulfilled').length,
    requests: coalesced,
  },
};
console.log(`machine: ${results.machine.cpus} CPUs, Node ${results.machine.node}\n`);
console.log('| measure | value |\n| --- | ---: |');
for (const [name, ns] of Object.entries(avg))
  console.log(`| ${name} | ${(ns / 1000).toFixed(3)} µs |`);
console.log(`| requests to the AS during the cache-hit runs | ${duringHits} |`);
console.log(
  `| 1,000 concurrent verify() of one new opaque token: fulfilled / requests to the AS | ${results.concurrent.fulfilled} / ${coalesced} |`,
);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../results/introspection.json', import.meta.url),
  `${JSON.stringify(results, null, 2)}\n`,
);
