/**
 * The sample app's audit trail and metrics, for real: dev mode writes every decision to the
 * tamper-evident trail in AUDIT_DIR (keys generated there), `GET /metrics` serves Prometheus
 * text with the decisions of the requests just made (no subject or client in any label), and the
 * built app run as a process writes every decision before it exits on SIGTERM, in a trail that
 * `tokenward audit verify` finds intact.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { verifyAuditTrail } from '@tokenward/core';
import { createApp, DEV_ISSUER, loadConfig, type DevIssuer } from '../../apps/resource-server/src';

const ROOT = join(__dirname, '..', '..');
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tokenward-app-audit-'));
  dirs.push(d);
  return d;
};
const trailFiles = (dir: string) =>
  readdirSync(join(dir, 'trail'))
    .sort()
    .map((n) => join(dir, 'trail', n));
const keysOf = (dir: string) => ({
  chainKey: readFileSync(join(dir, 'chain.key'), 'utf8').trim(),
  publicKey: readFileSync(join(dir, 'audit-ed25519.pub.pem'), 'utf8'),
});

describe('the sample app in dev mode: audit trail and /metrics', () => {
  let app: INestApplication;
  let url: string;
  let dev: DevIssuer;
  let auditDir: string;

  beforeAll(async () => {
    auditDir = tempDir();
    app = await createApp(loadConfig({ AUDIT_DIR: auditDir }), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    dev = app.get<DevIssuer>(DEV_ISSUER);
  });
  // Closing twice is harmless; this one runs when an assertion failed before the test's own.
  afterAll(() => app.close());

  it('records each decision and exposes the counts at /metrics, pseudonymised', async () => {
    const reader = await dev.issuer.issueNested({
      sub: 'alice-dev-subject',
      scope: 'messages:read',
    });
    await request(url).get('/api/messages').set(bearer(reader)).expect(200);
    await request(url).get('/api/messages').set(bearer(reader)).expect(200);
    await request(url).get('/api/messages').expect(401);
    await request(url).get('/api/messages').set(bearer('a.b.c')).expect(401);
    await request(url).post('/api/messages').set(bearer(reader)).send({ text: 'x' }).expect(403);

    const metrics = await request(url).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const line = (labels: string) =>
      metrics.text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('tokenward_decisions_total{') &&
            labels.split(',').every((p) => l.includes(p)),
        );
    const count = (labels: string) => Number(line(labels)?.split(' ').at(-1));
    expect(count('tokenward_stage="authentication",tokenward_outcome="allow"')).toBe(3);
    expect(count('tokenward_stage="authorization",tokenward_outcome="allow"')).toBe(2);
    expect(count('tokenward_outcome="deny",tokenward_reason="ERR_TOKEN_MISSING"')).toBe(1);
    expect(count('tokenward_outcome="deny",tokenward_reason="ERR_SCOPE_MISSING"')).toBe(1);
    expect(metrics.text).toMatch(
      /^tokenward_verification_duration_count\{outcome="allow",[^}]*\} [1-9]/m,
    );
    expect(metrics.text).toMatch(/^tokenward_cache_lookups_total\{result="miss",[^}]*\} \d+/m);
    expect(metrics.text).not.toContain('alice-dev-subject');

    await app.close();
    const verdict = await verifyAuditTrail(trailFiles(auditDir), keysOf(auditDir));
    expect(verdict).toMatchObject({ ok: true, sealed: true });
    const events = trailFiles(auditDir)
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.schema === 'tokenward.audit/1');
    expect(events.map((e) => `${String(e.event)} ${String(e.route)}`)).toEqual([
      'authn_token_valid /api/messages',
      'authz_success /api/messages',
      'authn_token_valid /api/messages',
      'authz_success /api/messages',
      'authn_token_missing /api/messages',
      'authn_token_invalid /api/messages',
      'authn_token_valid /api/messages',
      'authz_fail /api/messages',
    ]);
    expect(JSON.stringify(events)).not.toContain('alice-dev-subject');
    expect(events[0]?.subject).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('the built app: SIGTERM writes every decision first', () => {
  it('every request is on the trail, sealed, and the CLI verifies it', async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server', 'packages/cli'],
      { cwd: ROOT, stdio: 'pipe' },
    );
    const auditDir = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'apps/resource-server/dist/main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: '0', AUDIT_DIR: auditDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    let base: string | undefined;
    for (let i = 0; i < 200 && base === undefined; i++) {
      base = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (base === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(base).toBeDefined();
    const minted = (await (await fetch(`${base}/dev/token?scope=messages:read`)).json()) as {
      access_token: string;
    };
    const token = minted.access_token;
    const N = 50;
    const statuses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        fetch(`${base}/api/messages`, i % 5 === 0 ? {} : { headers: bearer(token) }).then(
          (r) => r.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    // Nest re-raises the signal after its shutdown hooks (the verifier's close among them) ran.
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    const events = trailFiles(auditDir)
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.schema === 'tokenward.audit/1' && e.route === '/api/messages');
    // 40 allowed requests: authentication and authorization each; 10 without a token: one event.
    expect(events).toHaveLength(40 * 2 + 10);
    const cli = execFileSync(
      process.execPath,
      [
        join(ROOT, 'packages/cli/dist/bin.js'),
        'audit',
        'verify',
        '--chain-key-file',
        join(auditDir, 'chain.key'),
        '--public-key-file',
        join(auditDir, 'audit-ed25519.pub.pem'),
        ...trailFiles(auditDir),
      ],
      { encoding: 'utf8' },
    );
    expect(cli).toMatch(/^intact: .*, sealed\n$/);
  }, 120_000);
});

describe('audit configuration', () => {
  it('configured mode: AUDIT_DIR needs its three key files, each named when missing', () => {
    const env = {
      TOKENWARD_ISSUER: 'https://issuer.example',
      TOKENWARD_AUDIENCE: 'api',
      TOKENWARD_JWKS_URI: 'https://issuer.example/jwks',
    };
    expect(loadConfig(env).audit).toBeUndefined();
    expect(() => loadConfig({ ...env, AUDIT_DIR: '/var/log/audit' })).toThrow(
      /AUDIT_CHAIN_KEY_FILE: required with AUDIT_DIR[\s\S]*AUDIT_SIGNING_KEY_FILE: required[\s\S]*AUDIT_PSEUDONYM_KEY_FILE: required/,
    );
    expect(() => loadConfig({ ...env, AUDIT: 'on' })).toThrow(/AUDIT: "on" needs AUDIT_DIR/);
    expect(() => loadConfig({ AUDIT: 'maybe' })).toThrow(/AUDIT: expected on or off/);
    expect(loadConfig({ AUDIT: 'off' }).audit).toBeUndefined();
  });
});
