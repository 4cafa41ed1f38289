/* global process, console */
// Heap of the in-memory governance state: N token revocations in `createMemoryRevocationList`
// (default 100,000) and 2×M distinct identities through one window of `memoryRateLimitStore`
// (M default 100,000, its default `maxKeys`), V8 heap after a forced GC at each checkpoint. The
// revocation list grows with its live entries, up to `maxEntries` (beyond it a revocation is
// refused) and shrinks as they expire; the rate-limit store holds at most `maxKeys` identities,
// so past them its heap must stay flat.
//
//   node --expose-gc bench/micro/governance-memory.mjs [--revocations N] [--keys M]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { ISSUER } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const core = require('../../packages/core/dist/index.js');

const value = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const revocations = value('revocations', 100_000);
const keys = value('keys', core.DEFAULT_RATE_LIMIT_MAX_KEYS);
if (!globalThis.gc) throw new Error('run with node --expose-gc');

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const heap = () => {
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const row = (label, bytes, base, count) =>
  console.log(
    `  ${label.padEnd(34)} heap ${mib(bytes).padStart(6)} MiB  (+${mib(bytes - base)} MiB` +
      `${count ? `, ${Math.round((bytes - base) / count)} B each` : ''})`,
  );

// Revocations: one entry per token id, the shape an admin API or a Redis list's local copy holds.
console.log(`revocation list, ${revocations} token revocations:`);
const expiresAt = new Date(Date.now() + 3_600_000);
let base = heap();
{
  const list = core.createMemoryRevocationList({ maxEntries: revocations });
  const marks = new Set([revocations / 10, revocations / 2, revocations]);
  const t0 = performance.now();
  for (let n = 1; n <= revocations; n++) {
    await list.revokeToken({ issuer: ISSUER, jti: `jti-${n}`, expiresAt });
    if (marks.has(n)) row(`${n} entries`, heap(), base, n);
  }
  const perEntry = ((performance.now() - t0) * 1000) / revocations;
  const refused = await list
    .revokeToken({ issuer: ISSUER, jti: 'one-more', expiresAt })
    .then(() => false)
    .catch((error) => error instanceof RangeError);
  console.log(
    `  one more past maxEntries refused: ${refused}; ${perEntry.toFixed(2)} µs per revocation`,
  );
  // A look-up of a token that is not revoked, the common case on every request.
  const token = { issuer: ISSUER, claims: { jti: 'not-revoked', iat: 1 }, subject: 's' };
  let valid = 0;
  const t1 = performance.now();
  for (let n = 0; n < 1_000_000; n++) if (list.check(token) === 'valid') valid++;
  console.log(
    `  check() of a token not on the list: ${((performance.now() - t1) / 1000).toFixed(3)} µs (${valid} valid)`,
  );
}
row('after the list is dropped', heap(), base);

// Rate-limit keys: twice the bound of distinct identities through one window.
console.log(`\nrate-limit store, ${2 * keys} distinct identities, maxKeys ${keys}:`);
base = heap();
{
  const counter = core.memoryRateLimitStore({ maxKeys: keys })({
    points: 100,
    duration: 3600,
    keyPrefix: 'tokenward:rl:bench:0:0',
  });
  const marks = new Set([keys / 2, keys, 1.5 * keys, 2 * keys]);
  for (let n = 1; n <= 2 * keys; n++) {
    await counter.consume(`{client:${n}}`);
    if (marks.has(n)) row(`${n} identities`, heap(), base, Math.min(n, keys));
  }
}
row('after the store is dropped', heap(), base);
