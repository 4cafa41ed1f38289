#!/usr/bin/env node
/* global process, console, fetch, setTimeout, clearTimeout */
// pnpm test:packages — packs every package (after `pnpm build`), checks the tarballs, installs them
// into fresh apps outside the repository (Express 4, Express 5, Nest on Express, Nest on Fastify,
// a plain ESM script) and checks each app answers 200 with a token and 401 + WWW-Authenticate
// without. Every app process is stopped by its pid and every temporary directory removed.
//
// TOKENWARD_PACKAGES_INSTALLER=npm installs with npm instead of pnpm (pnpm's shared store, filled
// by the workspace install, makes pnpm the fast default).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONSUMER_APPS, SHARED_FILES } from './apps.mjs';
import { packAll } from './tarballs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const installer = process.env.TOKENWARD_PACKAGES_INSTALLER ?? 'pnpm';
const READY_TIMEOUT_MS = 30_000;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Writes the app's manifest: tokenward from the tarballs (also where a package needs another). */
function writeManifest(dir, app, tarballs) {
  const tokenward = Object.fromEntries(
    app.tokenward.map((name) => [
      `@tokenward/${name}`,
      `file:${tarballs.get(`@tokenward/${name}`)}`,
    ]),
  );
  const manifest = { name: `tokenward-${app.name}-consumer`, private: true, version: '0.0.0' };
  manifest.dependencies = { ...tokenward, ...app.dependencies };
  if (installer === 'npm') {
    // @tokenward/express asks for @tokenward/core@0.1.0: never from the registry, from the tarball.
    manifest.overrides = Object.fromEntries(
      Object.keys(tokenward).map((name) => [name, `$${name}`]),
    );
  } else {
    const lines = Object.entries(tokenward).map(([name, spec]) => `  '${name}': '${spec}'`);
    writeFileSync(join(dir, 'pnpm-workspace.yaml'), `overrides:\n${lines.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

async function install(dir) {
  const args =
    installer === 'npm'
      ? ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']
      : ['install', '--prefer-offline', '--reporter=silent'];
  await promisify(execFile)(installer, args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
}

/** Starts the app and resolves with its ready line; the child is returned for stopping. */
function start(dir, app) {
  const child = spawn(process.execPath, [app.entry, ...app.args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${app.name}: not ready in time`)),
      READY_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${app.name}: exited (${code}) before it was ready\n${stderr}`));
    });
  });
  return { child, ready };
}

/** Stops a child by its pid and waits for it to exit. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

/** The app's answers with and without its token (RFC 6750 §3: a bare challenge when none). */
async function check(app, dir, ready) {
  assert.match(ready.framework, app.framework, `${app.name}: framework`);
  for (const [name, path] of Object.entries(ready.resolved)) {
    assert.ok(path.startsWith(`${dir}/node_modules/`), `${app.name}: ${name} loaded from ${path}`);
  }
  assert.deepEqual(
    Object.keys(ready.resolved).sort(),
    app.tokenward.map((n) => `@tokenward/${n}`).sort(),
  );
  const url = `http://127.0.0.1:${ready.port}/api/me`;
  const ok = await fetch(url, { headers: { authorization: `Bearer ${ready.token}` } });
  assert.equal(ok.status, 200, `${app.name}: with the token`);
  assert.deepEqual(await ok.json(), { subject: 'alice', encrypted: true });
  const missing = await fetch(url);
  assert.equal(missing.status, 401, `${app.name}: without a token`);
  assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+"$/);
  const bad = await fetch(url, { headers: { authorization: `Bearer ${ready.token}x` } });
  assert.equal(bad.status, 401, `${app.name}: with a tampered token`);
  assert.match(
    bad.headers.get('www-authenticate') ?? '',
    /^Bearer realm="[^"]+", error="invalid_token"/,
  );
}

async function runApp(app, tarballs, temporary) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `tokenward-${app.name}-`)));
  temporary.push(dir);
  for (const file of [app.entry, ...SHARED_FILES])
    copyFileSync(join(here, 'apps', file), join(dir, file));
  writeManifest(dir, app, tarballs);
  const installStart = Date.now();
  await install(dir);
  const installSeconds = ((Date.now() - installStart) / 1000).toFixed(1);
  const { child, ready } = start(dir, app);
  try {
    const line = await ready;
    await check(app, dir, line);
    console.log(`ok ${app.name}: ${line.framework}; install ${installSeconds} s`);
  } finally {
    await stop(child);
  }
}

const temporary = [];
let failed = false;
try {
  const tarballDir = mkdtempSync(join(tmpdir(), 'tokenward-tarballs-'));
  temporary.push(tarballDir);
  const packed = packAll(root, tarballDir);
  for (const [name, { tarball, files, problems }] of packed) {
    console.log(`${problems.length === 0 ? 'ok' : 'not ok'} ${name}: ${files.length} files`);
    for (const problem of problems) console.log(`  ${problem}`);
    if (problems.length > 0) failed = true;
    assert.ok(tarball.endsWith('.tgz'));
  }
  if (failed) throw new Error('tarballs are not publishable');
  const tarballs = new Map([...packed].map(([name, { tarball }]) => [name, tarball]));
  const results = await Promise.allSettled(
    CONSUMER_APPS.map((app) => runApp(app, tarballs, temporary)),
  );
  for (const [index, result] of results.entries()) {
    if (result.status === 'rejected') {
      failed = true;
      console.log(`not ok ${CONSUMER_APPS[index].name}: ${result.reason?.stack ?? result.reason}`);
    }
  }
} catch (error) {
  failed = true;
  console.log(`not ok: ${error?.stack ?? error}`);
} finally {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
}
console.log(`${failed ? 'FAILED' : 'passed'}: packaging test with ${installer} in ${elapsed()}`);
process.exitCode = failed ? 1 : 0;
