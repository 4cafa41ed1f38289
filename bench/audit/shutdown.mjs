/* global process, console, setTimeout, fetch */
// Graceful shutdown under load loses no audit event: the built sample app (dev mode, audit trail
// in a temporary folder) takes ~1,000 req/s of GET /api/me (one decision each) from autocannon;
// SIGTERM arrives mid-load; then every response the client received is compared with the
// decisions on the trail, and the trail is verified.
//
//   pnpm build && node bench/audit/shutdown.mjs [--rate 1000] [--seconds 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
const { verifyAuditTrail } = require('../../packages/core/dist/index.js');
const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rate = value('rate', 1000);
const seconds = value('seconds', 5);
const root = join(import.meta.dirname, '..', '..');
const auditDir = mkdtempSync(join(tmpdir(), 'tokenward-shutdown-'));

const child = spawn(process.execPath, [join(root, 'apps/resource-server/dist/main.js')], {
  env: { PATH: process.env.PATH, NO_COLOR: '1', PORT: '0', AUDIT_DIR: auditDir },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let stdout = '';
child.stdout.on('data', (c) => (stdout += c));
const exited = new Promise((done) => child.on('exit', (code, signal) => done({ code, signal })));
let base;
while (base === undefined) {
  base = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
  if (base === undefined) await new Promise((r) => setTimeout(r, 50));
}
const { access_token: token } = await (await fetch(`${base}/dev/token`)).json();

let responses = 0;
const instance = autocannon({
  url: `${base}/api/me`,
  headers: { authorization: `Bearer ${token}` },
  connections: 10,
  overallRate: rate,
  duration: seconds,
});
instance.on('response', () => (responses += 1));
// SIGTERM at 80 % of the run: requests are in flight and queued events not yet written.
setTimeout(() => child.kill('SIGTERM'), seconds * 800);
const result = await instance;
const status = await exited;

const files = readdirSync(join(auditDir, 'trail'))
  .sort()
  .map((n) => join(auditDir, 'trail', n));
const events = files
  .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
  .map((l) => JSON.parse(l))
  .filter((e) => e.schema === 'tokenward.audit/1' && e.route === '/api/me');
const verdict = await verifyAuditTrail(files, {
  chainKey: readFileSync(join(auditDir, 'chain.key'), 'utf8').trim(),
  publicKey: readFileSync(join(auditDir, 'audit-ed25519.pub.pem'), 'utf8'),
});
console.log(
  `rate asked ${rate} req/s for ${seconds} s, SIGTERM at ${seconds * 0.8} s; app exit ${JSON.stringify(status)}`,
);
console.log(
  `responses received: ${responses} (2xx ${result['2xx']}, non-2xx ${result.non2xx}, errors ${result.errors})`,
);
console.log(`decisions on the trail: ${events.length}; lost: ${responses - events.length}`);
console.log(
  `trail: ${verdict.ok ? 'intact' : 'TAMPERED'}, ${verdict.sealed ? 'sealed' : 'not sealed'}, ${verdict.files} file(s)`,
);
rmSync(auditDir, { recursive: true, force: true });
process.exitCode = responses === events.length && verdict.ok ? 0 : 1;
