/* global process, Buffer, console, performance */
// Resident memory with the verified-token cache on (default bounds: 10,000 entries, 16 Mi token
// characters): N distinct valid HS256 tokens (default 1,000,000) through one verifier, one at a
// time. Tokens are minted on the fly with node:crypto HMAC (cheaper than jose, so the run measures
// the verifier) and dropped at once; RSS is read after a forced GC at each checkpoint.
// `--admission always` (the default here) stores every token, the worst case for memory; with
// the verifier's own default, `repeat`, distinct tokens are never stored.
//
//   node --expose-gc bench/micro/memory.mjs [--count N] [--admission always|repeat]
import { createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { AUDIENCE, ISSUER } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');

const i = process.argv.indexOf('--count');
const count = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const a = process.argv.indexOf('--admission');
const admission = a >= 0 ? process.argv[a + 1] : 'always';
const secret = randomBytes(32);
const verifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  secret,
  algorithms: ['HS256'],
  cache: { admission },
});
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');
const now = Math.floor(Date.now() / 1000);

function mint(n) {
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: `user-${n}`,
    jti: `m-${n}`,
    scope: 'messages:read',
    client_id: 'bench',
    iat: now,
    exp: now + 3600,
  };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const sample = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
};
const start = sample();
console.log(
  `count ${count}; admission ${admission}; gc ${globalThis.gc ? 'forced' : 'not exposed (run with --expose-gc)'}`,
);
console.log(`start: rss ${mb(start.rss)} MiB, heap ${mb(start.heapUsed)} MiB`);
const t0 = performance.now();
const checkpoints = new Set([10_000, 50_000, 100_000, 250_000, 500_000, 750_000, 1_000_000, count]);
let peak = 0;
for (let n = 1; n <= count; n++) {
  const token = await verifier.verify(mint(n));
  if (token.subject !== `user-${n}`) throw new Error('wrong subject');
  if (checkpoints.has(n)) {
    const s = sample();
    peak = Math.max(peak, s.rss);
    console.log(
      `${n.toLocaleString('en')} tokens: rss ${mb(s.rss)} MiB, heap ${mb(s.heapUsed)} MiB, ${(((performance.now() - t0) * 1000) / n).toFixed(1)} µs/token`,
    );
  }
}
console.log(
  `peak rss at checkpoints ${mb(peak)} MiB; growth over start ${mb(peak - start.rss)} MiB`,
);
