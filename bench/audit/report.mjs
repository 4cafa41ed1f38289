/* global process, console, performance */
// `tokenward report` over large trails: generates N events as JSON lines (unchained, written
// directly: the report reads chained and unchained lines alike), then runs the built CLI in a
// child process per size and reports wall time and peak RSS, to show time grows linearly and
// memory stays flat.
//
//   pnpm build && node bench/audit/report.mjs [--sizes 250000,1000000]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const i = args.indexOf('--sizes');
const sizes = (i >= 0 ? args[i + 1] : '250000,1000000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'tokenward-report-bench-'));
const bin = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'dist', 'bin.js');

async function generate(file, n) {
  const out = createWriteStream(file);
  const start = Date.UTC(2026, 10, 1);
  const reasons = [
    'ERR_TOKEN_EXPIRED',
    'ERR_TOKEN_MISSING',
    'ERR_SIGNATURE_INVALID',
    'ERR_SCOPE_MISSING',
  ];
  for (let k = 0; k < n; k++) {
    const deny = k % 10 === 0;
    const e = {
      schema: 'tokenward.audit/1',
      time: new Date(start + k * 2500).toISOString(),
      event: deny ? 'authn_token_invalid' : 'authn_token_valid',
      stage: 'authentication',
      outcome: deny ? 'deny' : 'allow',
      reason: deny ? reasons[k % 4] : 'ok',
      status: deny ? 401 : 200,
      method: 'GET',
      route: `/api/r${k % 50}/:id`,
      issuer: 'https://issuer.example',
      client: `client-${k % 2000}`.padEnd(22, '0'),
      subject: `sub-${k % 100000}`.padEnd(22, '0'),
      scopes: ['messages:read'],
      encryption: k % 7 === 0 ? 'none' : { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
      binding: 'bearer',
      signingKeyId: `sig-${Math.floor(k / 200000)}`,
      signingAlg: 'RS256',
      lifetime: 900,
      ip: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
      seq: k,
      mac: 'A'.repeat(43),
    };
    if (!out.write(`${JSON.stringify(e)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

console.log('events      file MB   wall s   peak RSS MB');
for (const n of sizes) {
  const file = join(dir, `audit-${n}.jsonl`);
  await generate(file, n);
  const started = performance.now();
  // The child reports its own peak RSS (getrusage maxrss, KiB) on stderr after the report.
  const { stderr, status } = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(bin)}); process.on('exit', () => process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n'))`,
      'x',
      'report',
      '--format',
      'json',
      '--out',
      join(dir, 'r.json'),
      file,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (status !== 0) throw new Error(`report failed (${status}): ${stderr}`);
  const wall = (performance.now() - started) / 1000;
  const rss = Number(/maxrss (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
  console.log(
    `${String(n).padStart(9)}   ${(statSync(file).size / 1e6).toFixed(0).padStart(7)}   ${wall.toFixed(1).padStart(6)}   ${rss.toFixed(0).padStart(11)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
