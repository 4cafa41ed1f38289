/* global process */
// Shared by the DPoP benchmarks: DPoP-bound ES256 access tokens (RFC 9068 claims plus `cnf.jkt`),
// pools of fresh proofs made with @tokenward/testing's createDPoPProof, flags, medians, the
// machine line and the JSON output in bench/results/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { AUDIENCE, ISSUER, mintTokens } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** A built package's `dist/index.js`. */
export const dist = (pkg) => require(`../../packages/${pkg}/dist/index.js`);

/** `--name value` flags, numbers or strings. */
export function flags(defaults) {
  const args = process.argv.slice(2);
  const out = { ...defaults };
  for (const [name, fallback] of Object.entries(defaults)) {
    const i = args.indexOf(`--${name}`);
    if (i < 0) continue;
    const raw = args[i + 1];
    out[name] = typeof fallback === 'number' ? Number(raw) : raw;
    if (typeof fallback === 'number' && !Number.isFinite(out[name])) {
      throw new TypeError(`--${name}: expected a number, got ${raw}`);
    }
  }
  return out;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const machine = () =>
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${new Date().toISOString()}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

/** Writes `bench/results/<name>` and returns its path. */
export function writeResult(name, data) {
  const out = isAbsolute(name) ? name : join(here, '..', 'results', name);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(data, null, 2));
  return out;
}

/**
 * `count` distinct ES256 access tokens (RFC 9068: typ at+jwt, iss, aud, sub, client_id, iat,
 * exp, jti), bound to `jkt` when given (`cnf.jkt`), else plain bearer tokens.
 */
export function mintES256Tokens(keys, count, { jkt, prefix = 't' } = {}) {
  return mintTokens(keys, 'ES256', count, {
    prefix,
    ...(jkt !== undefined && { claims: { cnf: { jkt } } }),
  });
}

/**
 * Fresh DPoP proofs by `key` for `GET url`: one per entry of `tokens` (its `ath`), or `count`
 * proofs for the one token `tokens` names. Each has its own random jti and iat = now.
 */
export async function makeProofs(key, url, tokens, count = tokens.length) {
  const { createDPoPProof } = dist('testing');
  const list = typeof tokens === 'string' ? null : tokens;
  const proofs = new Array(count);
  for (let i = 0; i < count; i += 256) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 256); j++) {
      const accessToken = list ? list[j] : tokens;
      batch.push(createDPoPProof(key, { method: 'GET', url, accessToken }));
    }
    const done = await Promise.all(batch);
    for (let k = 0; k < done.length; k++) proofs[i + k] = done[k];
  }
  return proofs;
}

/** `fn` over `list`, `width` calls in flight. */
export async function inFlight(fn, list, width = 10) {
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < list.length) await fn(list[i++], i - 1);
    }),
  );
}

export { AUDIENCE, ISSUER };
export const fmt = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));

/**
 * Machine-wide CPU time so far from /proc/stat (Linux; USER_HZ 100): busy (user, nice, system,
 * irq, softirq) and steal, in milliseconds, or undefined elsewhere. With a process's own
 * cpuUsage over the same interval it tells how much CPU something else took meanwhile.
 */
export function machineCpu() {
  if (!existsSync('/proc/stat')) return undefined;
  const f = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10 };
}
