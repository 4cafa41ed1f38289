/**
 * Resource limits: shows that hostile tokens are rejected before any expensive work, and that
 * memory stays flat under a flood of distinct bad tokens.
 *
 *   pnpm build && pnpm bench:limits        (node --expose-gc bench/limits/limits.mjs)
 *
 * It loads the built @tokenward/core (packages/core/dist) and crafts every token with
 * node:crypto. For each hostile token it reports the CPU time (user + system, from
 * process.cpuUsage) per rejection, next to one valid verification and next to what the work the
 * token asks for would cost if it were done (one PBKDF2 at the token's p2c, inflating the bomb,
 * one RSA private-key operation). Then it sends 100,000 distinct bad tokens and reports RSS and
 * heap before and after, and how often the remote JWKS was fetched for 25,000 random `kid`s.
 * Then the event-loop time per garbage JWE by key type (key-types.mjs) and per hostile JSON
 * shape (json-shapes.mjs).
 */
import {
  constants,
  createCipheriv,
  generateKeyPairSync,
  pbkdf2Sync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
} from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const { createVerifier, TokenwardError } = require('../../packages/core/dist/index.js');

const out = (line = '') => process.stdout.write(`${line}\n`);
const gc = globalThis.gc ?? (() => {});

// ---- crafting (node:crypto only) ----------------------------------------------------------

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'https://api.example.com';
const b64u = (v) => Buffer.from(v).toString('base64url');
const rand = (n) => randomBytes(n).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const claims = JSON.stringify({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-123',
  iat: now,
  exp: now + 3600,
  scope: 'messages:read',
});

const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const apiKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issuerJwk = { ...issuerKey.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig' };
const apiJwk = {
  ...apiKey.privateKey.export({ format: 'jwk' }),
  kid: 'enc-rsa',
  use: 'enc',
  alg: 'RSA-OAEP-256',
};

function signRS256(headerObject, payloadText) {
  const input = `${b64u(JSON.stringify(headerObject))}.${b64u(payloadText)}`;
  return `${input}.${sign('sha256', Buffer.from(input), issuerKey.privateKey).toString('base64url')}`;
}

function encryptRSA(headerObject, plaintext) {
  const cek = randomBytes(32);
  const encryptedKey = publicEncrypt(
    { key: apiKey.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    cek,
  );
  const protectedHeader = b64u(JSON.stringify(headerObject));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [
    protectedHeader,
    b64u(encryptedKey),
    b64u(iv),
    b64u(ciphertext),
    b64u(cipher.getAuthTag()),
  ].join('.');
}

const signedHeader = { alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' };
const validSigned = signRS256(signedHeader, claims);
const jweHeader = { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-rsa' };
const validNested = encryptRSA(jweHeader, Buffer.from(validSigned));
// The verifier caches verified tokens by their exact text, so the cost of a real verification
// is measured over distinct tokens (each a cache miss); a repeated token is measured apart.
const distinct = (n, make) => {
  const pool = Array.from({ length: n }, (_, i) => make(i));
  let next = 0;
  return () => pool[next++ % pool.length];
};
const distinctClaims = (i) => claims.replace('"user-123"', `"user-${i}"`);
const freshSigned = distinct(2100, (i) => signRS256(signedHeader, distinctClaims(i)));
const freshNested = distinct(600, (i) =>
  encryptRSA(jweHeader, Buffer.from(signRS256(signedHeader, distinctClaims(i)))),
);

const P2C = 2 ** 31 - 1;
const pbes2 = [
  b64u(
    JSON.stringify({
      alg: 'PBES2-HS256+A128KW',
      enc: 'A256GCM',
      cty: 'JWT',
      p2s: rand(16),
      p2c: P2C,
    }),
  ),
  rand(40),
  rand(12),
  rand(64),
  rand(16),
].join('.');
const megabyte = `${validSigned}${'A'.repeat(1024 * 1024)}`;
const bombPlain = Buffer.alloc(32 * 1024 * 1024, 0x41);
const bombDeflated = deflateRawSync(bombPlain, { level: 9 });
const zipBomb = encryptRSA({ ...jweHeader, zip: 'DEF' }, bombDeflated);
const oversizedKey = [
  b64u(JSON.stringify(jweHeader)),
  rand(9000),
  rand(12),
  rand(64),
  rand(16),
].join('.');

// ---- measuring ---------------------------------------------------------------------------

const options = {
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: { keys: [issuerJwk] },
  decryptionKeys: { keys: [apiJwk] },
  encryption: 'optional',
};
const verifier = createVerifier(options);
// The zip bomb is longer than the default 16384-character cap; a verifier whose cap admits it
// shows that the zip check itself fires before decryption and decompression.
const roomyVerifier = createVerifier({ ...options, maxTokenLength: 64 * 1024 });

/** CPU µs (user + system) and wall µs per call of `fn` over `n` calls, after a warm-up. */
async function measure(n, fn) {
  for (let i = 0; i < Math.min(50, n); i++) await fn();
  gc();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(cpu);
  return {
    cpuMicros: (used.user + used.system) / n,
    wallMicros: ((performance.now() - wall) * 1000) / n,
  };
}

async function codeOf(v, token) {
  try {
    await v.verify(token);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof TokenwardError)) throw error;
    return error.code;
  }
}

const accepts = (v, nextToken) => () => v.verify(nextToken());

const rejects = (v, token) => async () => {
  try {
    await v.verify(token);
  } catch (error) {
    if (error instanceof TokenwardError) return;
    throw error;
  }
  throw new Error('a hostile token was accepted');
};

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const row = (...cells) => out(`| ${cells.join(' | ')} |`);

out(`# tokenward resource limits — node ${process.version}, ${process.platform}/${process.arch}`);
out();
out(`Token sizes: 1 MB token ${megabyte.length} chars; zip bomb ${zipBomb.length} chars (inflates`);
out(`to ${bombPlain.length} bytes); oversized encrypted key ${oversizedKey.length} chars.`);
out();

const cases = [
  ['valid signed token (RS256), distinct tokens', 2000, verifier, freshSigned, true],
  [
    'valid nested token (RSA-OAEP-256 + A256GCM, RS256 inside), distinct tokens',
    500,
    verifier,
    freshNested,
    true,
  ],
  [
    'valid nested token, the same one again (verified-token cache hit)',
    5000,
    verifier,
    () => validNested,
    true,
  ],
  ['1 MB token', 2000, verifier, megabyte],
  [`PBES2-HS256+A128KW, p2c 2^31-1`, 5000, verifier, pbes2],
  ['zip bomb (32 MiB), default maxTokenLength', 5000, verifier, zipBomb],
  ['zip bomb (32 MiB), maxTokenLength 64 KiB', 5000, roomyVerifier, zipBomb],
  ['JWE with a 9000-character encrypted key', 5000, verifier, oversizedKey],
];

row('token', 'outcome', 'CPU µs / call', 'wall µs / call');
row('---', '---', '---:', '---:');
for (const [name, n, v, token, valid = false] of cases) {
  const outcome = await codeOf(v, valid ? token() : token);
  if (valid !== (outcome === 'accepted')) throw new Error(`${name}: unexpected ${outcome}`);
  const { cpuMicros, wallMicros } = await measure(n, valid ? accepts(v, token) : rejects(v, token));
  row(name, outcome, fmt(cpuMicros), fmt(wallMicros));
}

// What the hostile tokens ask for, done directly (once, or extrapolated).
out();
out('What that work would cost if it were done:');
out();
row('work', 'CPU µs');
row('---', '---:');
{
  const iterations = 100_000;
  const cpu = process.cpuUsage();
  pbkdf2Sync('password', randomBytes(16), iterations, 16, 'sha256');
  const used = process.cpuUsage(cpu);
  const perIteration = (used.user + used.system) / iterations;
  row(
    `PBKDF2-SHA256 at p2c 2^31-1 (extrapolated from ${iterations.toLocaleString('en-US')} iterations)`,
    fmt(perIteration * P2C),
  );
}
{
  const cpu = process.cpuUsage();
  const inflated = inflateRawSync(bombDeflated);
  const used = process.cpuUsage(cpu);
  row(`inflating the zip bomb (${inflated.length} bytes allocated)`, fmt(used.user + used.system));
}
{
  const wrapped = publicEncrypt(
    { key: apiKey.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    randomBytes(32),
  );
  const { cpuMicros } = await measure(200, () =>
    privateDecrypt(
      { key: apiKey.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      wrapped,
    ),
  );
  row('one RSA-OAEP-256 unwrap with a 2048-bit key', fmt(cpuMicros));
}

// ---- flood ------------------------------------------------------------------------------

let jwksFetches = 0;
const jwksServer = createServer((req, res) => {
  jwksFetches++;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ keys: [issuerJwk] }));
});
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const remoteVerifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: `http://127.0.0.1:${jwksServer.address().port}/jwks.json`,
});
await codeOf(remoteVerifier, validSigned); // the first fetch, before measuring
const fetchesBefore = jwksFetches;

const FLOOD = 100_000;
const header = b64u(JSON.stringify({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' }));
const payload = b64u(claims);
const kinds = [
  // A valid header and claims with a random signature: reaches RSA verification.
  () => [verifier, `${header}.${payload}.${rand(256)}`],
  // A random kid against the remote JWKS: the unknown-kid refetch is rate-limited by the cooldown.
  () => [
    remoteVerifier,
    signRS256({ alg: 'RS256', kid: rand(12), typ: 'at+jwt' }, claims).replace(
      /\.[^.]+$/,
      `.${rand(256)}`,
    ),
  ],
  // A JWE for a random kid of ours: rejected before any RSA work.
  () => [
    verifier,
    [
      b64u(JSON.stringify({ ...jweHeader, kid: rand(12) })),
      rand(256),
      rand(12),
      rand(64),
      rand(16),
    ].join('.'),
  ],
  // Random base64url garbage in three segments.
  () => [verifier, `${rand(40)}.${rand(200)}.${rand(64)}`],
];

gc();
const before = process.memoryUsage();
const codes = {};
const started = performance.now();
for (let i = 0; i < FLOOD; i++) {
  const [v, token] = kinds[i % kinds.length]();
  const code = await codeOf(v, token);
  codes[code] = (codes[code] ?? 0) + 1;
}
const seconds = (performance.now() - started) / 1000;
gc();
const after = process.memoryUsage();
jwksServer.closeAllConnections();
jwksServer.close();

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
out();
out(
  `Flood: ${FLOOD.toLocaleString('en-US')} distinct bad tokens in ${seconds.toFixed(1)} s (${Math.round(FLOOD / seconds).toLocaleString('en-US')}/s), none accepted: ${codes.accepted === undefined}`,
);
out();
row('memory (after gc)', 'before', 'after', 'delta');
row('---', '---:', '---:', '---:');
row('RSS MiB', mb(before.rss), mb(after.rss), mb(after.rss - before.rss));
row('heap used MiB', mb(before.heapUsed), mb(after.heapUsed), mb(after.heapUsed - before.heapUsed));
out();
out(
  `Remote JWKS fetches caused by ${(FLOOD / kinds.length).toLocaleString('en-US')} random kids: ${jwksFetches - fetchesBefore}`,
);
out(
  `Rejections by code: ${Object.entries(codes)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ')}`,
);

out();
out('Event-loop time per garbage JWE by decryption key type, next to one valid nested token with');
out('the same key (bench/limits/key-types.mjs; event loop = performance.eventLoopUtilization');
out('active time, CPU = process.cpuUsage, main thread plus worker and libuv threads):');
out();
const { runKeyTypes } = await import('./key-types.mjs');
await runKeyTypes(out, { quick: process.argv.includes('--quick') });

out();
out('Event-loop time per hostile JSON shape in the header or claims, next to valid tokens with');
out('the same key (bench/limits/json-shapes.mjs; ms per token):');
out();
const { runJSONShapes } = await import('./json-shapes.mjs');
await runJSONShapes(out, { quick: process.argv.includes('--quick') });
