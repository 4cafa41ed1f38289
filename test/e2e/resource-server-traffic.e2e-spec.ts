/**
 * Traffic control of the sample app: rate limits on the messages routes (memory store in-process,
 * and two built instances sharing one quota on one real redis-server), the tier:gold quota, the
 * failure budget, the approved-client admin API (on one instance and across two), the admin
 * allowlist behind `trust proxy` (loopback), and the validation of the variables.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestIssuer, JWKS_PATH, type TestIssuer } from '@tokenward/testing';
import { ConfigError, createApp, loadConfig } from '../../apps/resource-server/src';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'apps/resource-server/dist/main.js');

/** What `pnpm start` does before running node: an incremental build of the app and its packages. */
const build = () =>
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
    { cwd: ROOT, stdio: 'pipe' },
  );

/** A built instance: its process, its output so far, and (once it listens) its URL. */
interface Instance {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  url: string;
}

/** Runs the built app with `env` (plus PATH, NO_COLOR and AUDIT=off). */
function run(env: Record<string, string>): Instance {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', AUDIT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => out, exited, url: '' };
}

/** Starts an instance on a free port; resolves once it prints its URL (at most 20 s). */
async function start(env: Record<string, string>): Promise<Instance> {
  const instance = run({ PORT: '0', ...env });
  for (let i = 0; i < 400 && instance.child.exitCode === null; i++) {
    const url = /listening on (http:\/\/\S+)/.exec(instance.output())?.[1];
    if (url !== undefined) return Object.assign(instance, { url });
    await new Promise((r) => setTimeout(r, 50));
  }
  instance.child.kill('SIGKILL');
  throw new Error(`the app did not start:\n${instance.output()}`);
}

/** Stops an instance by its pid: SIGTERM (Nest's shutdown hooks), SIGKILL after 5 s. */
async function stop(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 5000);
  await instance.exited;
  clearTimeout(timer);
}

/** An app listening on 127.0.0.1, and its URL. */
async function listen(env: Record<string, string>) {
  const app = await createApp(loadConfig({ AUDIT: 'off', ...env }), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ AUDIT: 'off', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

/** The configured-mode variables for a test issuer (its tokens name their client). */
const issuerEnv = (issuer: TestIssuer) => ({
  TOKENWARD_ISSUER: issuer.issuer,
  TOKENWARD_AUDIENCE: issuer.audience,
  TOKENWARD_JWKS_URI: `${issuer.issuer}${JWKS_PATH}`,
});

/** Polls `check` until it answers `wanted` or `ms` pass; resolves with the last answer. */
async function until<T>(check: () => Promise<T>, wanted: T, ms: number): Promise<T> {
  const started = performance.now();
  let answer = await check();
  while (answer !== wanted && performance.now() - started < ms) {
    await new Promise((r) => setTimeout(r, 25));
    answer = await check();
  }
  return answer;
}

describe('rate limits on the messages routes (dev mode, memory store)', () => {
  let app: INestApplication;
  let url: string;
  const mint = async (query: string) =>
    (await request(url).get(`/dev/token?${query}&format=raw`).expect(200)).text;

  beforeAll(async () => {
    ({ app, url } = await listen({
      TOKENWARD_RATE_LIMIT: '3/30',
      TOKENWARD_RATE_LIMIT_GOLD: '6/30',
    }));
  });
  afterAll(() => app.close());

  it('answers with RateLimit-Policy and RateLimit, then 429 with Retry-After past the quota', async () => {
    const alice = await mint('scope=messages:read&sub=alice');
    const get = () => request(url).get('/api/messages').set('Authorization', `Bearer ${alice}`);
    for (const remaining of [2, 1, 0]) {
      const res = await get().expect(200);
      expect(res.headers['ratelimit-policy']).toBe('"messages-read-30s";q=3;w=30');
      expect(res.headers.ratelimit).toMatch(
        new RegExp(`^"messages-read-30s";r=${remaining};t=\\d+$`),
      );
    }
    const refused = await get().expect(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(refused.headers.ratelimit).toMatch(/^"messages-read-30s";r=0;t=\d+$/);
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.body).toEqual({
      error_description: 'the rate limit messages-read-30s is used up',
    });
    // Counted by subject: another subject of the same client has its own quota.
    const bob = await mint('scope=messages:read&sub=bob');
    await request(url).get('/api/messages').set('Authorization', `Bearer ${bob}`).expect(200);
  });

  it('gives tier:gold the higher quota on GET, and the standard one on POST', async () => {
    const gold = await mint('scope=messages:read%20messages:write%20tier:gold&sub=goldie');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(url).get('/api/messages').set('Authorization', `Bearer ${gold}`);
      statuses.push(res.status);
      if (i === 0) expect(res.headers['ratelimit-policy']).toBe('"messages-read-30s";q=6;w=30');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const posts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(url)
        .post('/api/messages')
        .set('Authorization', `Bearer ${gold}`)
        .send({ text: `gold ${i}` });
      posts.push(res.status);
    }
    expect(posts).toEqual([201, 201, 201, 429]);
  });

  it('does not count a request the scope check refused', async () => {
    const writer = await mint('scope=messages:write&sub=carol');
    for (let i = 0; i < 4; i++) {
      await request(url).get('/api/messages').set('Authorization', `Bearer ${writer}`).expect(403);
    }
    const reader = await mint('scope=messages:read&sub=carol');
    await request(url).get('/api/messages').set('Authorization', `Bearer ${reader}`).expect(200);
  });

  it('has generous defaults: 600 a minute per subject, 6000 for tier:gold', async () => {
    const defaults = await listen({});
    try {
      const token = async (scope: string) =>
        (await request(defaults.url).get(`/dev/token?scope=${scope}&format=raw`).expect(200)).text;
      const plain = await request(defaults.url)
        .get('/api/messages')
        .set('Authorization', `Bearer ${await token('messages:read')}`)
        .expect(200);
      expect(plain.headers['ratelimit-policy']).toBe('"messages-read-60s";q=600;w=60');
      const gold = await request(defaults.url)
        .get('/api/messages')
        .set('Authorization', `Bearer ${await token('messages:read%20tier:gold')}`)
        .expect(200);
      expect(gold.headers['ratelimit-policy']).toBe('"messages-read-60s";q=6000;w=60');
    } finally {
      await defaults.app.close();
    }
  });
});

describe('the anomaly detectors (dev mode, memory store)', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await listen({
      TOKENWARD_ANOMALIES: 'on',
      TOKENWARD_ANOMALY_SPREAD: '1/300',
    }));
  });
  afterAll(() => app.close());

  const token = async (query: string) =>
    (await request(url).get(`/dev/token?${query}&format=raw`)).text;
  const as = (t: string, address: string) => (r: request.Test) =>
    r.set('X-Forwarded-For', address).set('Authorization', `Bearer ${t}`);

  it('a token seen from a second address may no longer delete (403 ERR_RISK_TOO_HIGH); it may still read; another token may delete', async () => {
    const admin = await token('scope=messages:read messages:write&roles=admin');
    const other = await token('scope=messages:read messages:write&roles=admin');
    const created = async () =>
      (
        await as(
          admin,
          '198.51.100.1',
        )(request(url).post('/api/messages'))
          .send({ text: 'to delete' })
          .expect(201)
      ).body as { id: string };
    const first = await created();
    await as(admin, '198.51.100.1')(request(url).delete(`/api/messages/${first.id}`)).expect(204);
    // The same token from another address: the spread detector fires (1 address allowed).
    await as(admin, '198.51.100.2')(request(url).get('/api/messages')).expect(200);
    const second = await created();
    const refused = await as(
      admin,
      '198.51.100.1',
    )(request(url).delete(`/api/messages/${second.id}`)).expect(403);
    expect(refused.body).toEqual({
      error_description: "the request's risk score is too high for this route",
    });
    await as(admin, '198.51.100.1')(request(url).get('/api/messages')).expect(200);
    await as(other, '198.51.100.1')(request(url).delete(`/api/messages/${second.id}`)).expect(204);
  });

  it('without TOKENWARD_ANOMALIES, deleting needs no risk score', async () => {
    const plain = await listen({});
    try {
      const admin = (
        await request(plain.url).get('/dev/token?scope=messages:write&roles=admin&format=raw')
      ).text;
      const post = (address: string) =>
        request(plain.url)
          .post('/api/messages')
          .set('X-Forwarded-For', address)
          .set('Authorization', `Bearer ${admin}`)
          .send({ text: 'x' })
          .expect(201);
      await post('198.51.100.1');
      const { id } = (await post('198.51.100.2')).body as { id: string };
      await request(plain.url)
        .delete(`/api/messages/${id}`)
        .set('Authorization', `Bearer ${admin}`)
        .expect(204);
    } finally {
      await plain.app.close();
    }
  });
});

describe('the failure budget (dev mode, memory store)', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await listen({ TOKENWARD_FAILURE_BUDGET: '3/60' }));
  });
  afterAll(() => app.close());

  it('blocks an address after 3 bad tokens, a valid token included; other addresses pass', async () => {
    const valid = (await request(url).get('/dev/token?scope=messages:read&format=raw')).text;
    // A proxy on this host forwards the client's address (trust proxy: loopback).
    const from = (address: string, token: string) =>
      request(url)
        .get('/api/messages')
        .set('X-Forwarded-For', address)
        .set('Authorization', `Bearer ${token}`);
    for (let i = 0; i < 3; i++) await from('203.0.113.5', `${valid}x`).expect(401);
    const blocked = await from('203.0.113.5', valid).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(blocked.headers['www-authenticate']).toBeUndefined();
    expect(blocked.body).toEqual({
      error_description: 'too many failed authentications from this address; retry later',
    });
    await from('203.0.113.6', valid).expect(200);
    await request(url).get('/api/messages').set('Authorization', `Bearer ${valid}`).expect(200);
  });

  it('is off without TOKENWARD_FAILURE_BUDGET', async () => {
    const plain = await listen({});
    try {
      const valid = (await request(plain.url).get('/dev/token?scope=messages:read&format=raw'))
        .text;
      for (let i = 0; i < 25; i++) {
        await request(plain.url)
          .get('/api/messages')
          .set('Authorization', `Bearer ${valid}x`)
          .expect(401);
      }
      await request(plain.url)
        .get('/api/messages')
        .set('Authorization', `Bearer ${valid}`)
        .expect(200);
    } finally {
      await plain.app.close();
    }
  });
});

describe('approved clients and the admin API (configured mode, memory list)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await issuer.start();
    ({ app, url } = await listen({
      ...issuerEnv(issuer),
      TOKENWARD_APPROVED_CLIENTS: 'ops-console, reports-app',
    }));
    admin = await issuer.issueSigned({
      client_id: 'ops-console',
      scope: 'clients:read clients:write revocations:read',
      roles: ['admin'],
    });
    reader = await issuer.issueSigned({ client_id: 'reports-app', scope: 'messages:read' });
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  const asAdmin = (r: request.Test) => r.set('Authorization', `Bearer ${admin}`);
  const read = (token: string) =>
    request(url).get('/api/messages').set('Authorization', `Bearer ${token}`);

  it('lists, withdraws and approves clients; a withdrawn client is refused with 403', async () => {
    expect((await asAdmin(request(url).get('/admin/clients')).expect(200)).body).toEqual([
      'ops-console',
      'reports-app',
    ]);
    await read(reader).expect(200);
    await asAdmin(request(url).delete('/admin/clients/reports-app')).expect(204);
    const refused = await read(reader).expect(403);
    expect(refused.body).toEqual({
      error_description: "the token's client is not approved for this API",
    });
    expect(refused.headers['www-authenticate']).toBeUndefined();
    await asAdmin(request(url).put('/admin/clients/reports-app')).expect(204);
    await read(reader).expect(200);
    // A client never listed is refused until approved.
    const newcomer = await issuer.issueSigned({ client_id: 'new-app', scope: 'messages:read' });
    await read(newcomer).expect(403);
    await asAdmin(request(url).put('/admin/clients/new-app')).expect(204);
    await read(newcomer).expect(200);
    expect((await asAdmin(request(url).get('/admin/clients')).expect(200)).body).toContain(
      'new-app',
    );
  });

  it('refuses a bad client id with a 400 saying what is expected', async () => {
    for (const id of ['two%20words', 'x'.repeat(257), '%C3%A9t%C3%A9']) {
      const res = await asAdmin(request(url).put(`/admin/clients/${id}`)).expect(400);
      expect(String(res.body.message)).toContain('clientId: expected 1 to 256 visible ASCII');
    }
  });

  it('needs the admin role and the clients scope (403 otherwise)', async () => {
    const roleOnly = await issuer.issueSigned({ client_id: 'ops-console', roles: ['admin'] });
    const scopeOnly = await issuer.issueSigned({
      client_id: 'ops-console',
      scope: 'clients:read clients:write',
    });
    const readOnly = await issuer.issueSigned({
      client_id: 'ops-console',
      scope: 'clients:read',
      roles: ['admin'],
    });
    for (const token of [roleOnly, scopeOnly]) {
      const res = await request(url)
        .get('/admin/clients')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
      expect(res.headers['www-authenticate']).toContain('insufficient_scope');
    }
    await request(url)
      .delete('/admin/clients/reports-app')
      .set('Authorization', `Bearer ${readOnly}`)
      .expect(403);
    await read(reader).expect(200);
  });

  it('answers the admin routes only from loopback: a forwarded remote client gets 403', async () => {
    for (const path of ['/admin/clients', '/admin/revocations']) {
      // From a proxy on this host, forwarding a remote client's address.
      const res = await asAdmin(request(url).get(path))
        .set('X-Forwarded-For', '198.51.100.9')
        .expect(403);
      expect(res.body).toEqual({ error_description: 'requests from this network are not allowed' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      await asAdmin(request(url).get(path)).expect(200);
    }
    // The other routes are not allowlisted.
    await read(reader).set('X-Forwarded-For', '198.51.100.9').expect(200);
  });

  it('takes its networks from TOKENWARD_ADMIN_ALLOW_FROM', async () => {
    const own = await listen({
      ...issuerEnv(issuer),
      TOKENWARD_APPROVED_CLIENTS: 'ops-console',
      TOKENWARD_ADMIN_ALLOW_FROM: '198.51.100.0/24',
    });
    try {
      const get = () => asAdmin(request(own.url).get('/admin/clients'));
      await get().set('X-Forwarded-For', '198.51.100.9').expect(200);
      await get().set('X-Forwarded-For', '198.51.101.9').expect(403);
      await get().expect(403);
    } finally {
      await own.app.close();
    }
  });

  it('has no /admin/clients without TOKENWARD_APPROVED_CLIENTS, and accepts every client', async () => {
    const own = await listen(issuerEnv(issuer));
    try {
      await asAdmin(request(own.url).get('/admin/clients')).expect(404);
      const stranger = await issuer.issueSigned({ client_id: 'anyone', scope: 'messages:read' });
      await request(own.url)
        .get('/api/messages')
        .set('Authorization', `Bearer ${stranger}`)
        .expect(200);
    } finally {
      await own.app.close();
    }
  });
});

describe('two built instances on one Redis: one quota, one client list, one failure budget', () => {
  let redis: RedisServer;
  let issuer: TestIssuer;
  let a: Instance;
  let b: Instance;
  let admin: string;

  beforeAll(async () => {
    build();
    redis = await startRedisServer({ appendOnly: true });
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await issuer.start();
    const env = {
      ...issuerEnv(issuer),
      TOKENWARD_REDIS_URL: redis.url,
      // A window far longer than the test: the quota cannot reset half-way.
      TOKENWARD_RATE_LIMIT: '5/30',
      TOKENWARD_FAILURE_BUDGET: '3/60',
      TOKENWARD_APPROVED_CLIENTS: 'ops-console,reports-app',
      TOKENWARD_ANOMALIES: 'on',
      TOKENWARD_ANOMALY_SPREAD: '2/300',
      TOKENWARD_ANOMALY_BLOCK: '600',
    };
    [a, b] = await Promise.all([start(env), start(env)]);
    admin = await issuer.issueSigned({
      client_id: 'ops-console',
      scope: 'clients:read clients:write',
      roles: ['admin'],
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a, b].filter((x) => x !== undefined).map(stop));
    await issuer?.stop();
    await redis?.stop();
  });

  const call = (base: string, path: string, token: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });

  /** `tokenward_anomalies_total` for `event` on an instance's Prometheus page. */
  const anomalies = async (base: string, event: string): Promise<number> => {
    const page = await (await fetch(`${base}/metrics`)).text();
    const line = page
      .split('\n')
      .find((l) => l.startsWith('tokenward_anomalies_total{') && l.includes(`event="${event}"`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('a token seen from 3 addresses over both instances (2 allowed) is flagged once and refused on both', async () => {
    const token = await issuer.issueSigned({
      client_id: 'reports-app',
      sub: 'spread-user',
      scope: 'messages:read',
    });
    // /api/me has no rate limit: the polling below cannot use up the messages quota.
    const from = (base: string, address: string) =>
      call(base, '/api/me', token, { headers: { 'x-forwarded-for': address } });
    expect((await from(a.url, '198.51.100.21')).status).toBe(200);
    expect((await from(b.url, '198.51.100.22')).status).toBe(200);
    // The third address crosses the threshold: accepted, reported once, and blocked from then on.
    expect((await from(a.url, '198.51.100.23')).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let refused = await from(b.url, '198.51.100.21');
    while (refused.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      refused = await from(b.url, '198.51.100.21');
    }
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await from(a.url, '198.51.100.22')).status).toBe(401);
    // More addresses after the detection are not reported again.
    expect((await from(b.url, '198.51.100.24')).status).toBe(401);
    const counts = await Promise.all([a, b].map((x) => anomalies(x.url, 'anomaly_token_spread')));
    expect((counts[0] ?? 0) + (counts[1] ?? 0)).toBe(1);
  }, 30_000);

  it('a quota of 5 spread over both instances: exactly 5 answers 200, the other 11 429', async () => {
    const token = await issuer.issueSigned({
      client_id: 'reports-app',
      sub: 'quota-user',
      scope: 'messages:read',
    });
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        call(i % 2 === 0 ? a.url : b.url, '/api/messages', token),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    for (const r of answers)
      expect(r.headers.get('ratelimit-policy')).toBe('"messages-read-30s";q=5;w=30');
    const retryAfter = answers.find((r) => r.status === 429)?.headers.get('retry-after');
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await call(a.url, '/api/messages', token)).status).toBe(429);
    expect((await call(b.url, '/api/messages', token)).status).toBe(429);
  }, 30_000);

  it('a client withdrawn through A is refused by B, and approved again through A, accepted by B', async () => {
    const reader = await issuer.issueSigned({
      client_id: 'reports-app',
      sub: 'list-user',
      scope: 'messages:read',
    });
    const status = (base: string) => async () => (await call(base, '/api/messages', reader)).status;
    expect(await status(b.url)()).toBe(200);
    const withdrawn = await call(a.url, '/admin/clients/reports-app', admin, { method: 'DELETE' });
    expect(withdrawn.status).toBe(204);
    expect(await status(a.url)()).toBe(403);
    // Pushed to B: a bound for a loaded machine.
    expect(await until(status(b.url), 403, 2000)).toBe(403);
    const listed = await call(b.url, '/admin/clients', admin);
    expect(await listed.json()).toEqual(['ops-console']);
    const approved = await call(a.url, '/admin/clients/reports-app', admin, { method: 'PUT' });
    expect(approved.status).toBe(204);
    expect(await until(status(b.url), 200, 2000)).toBe(200);
  }, 30_000);

  it('3 bad tokens from one address over both instances: both refuse it, a valid token too', async () => {
    const valid = await issuer.issueSigned({
      client_id: 'reports-app',
      sub: 'budget-user',
      scope: 'messages:read',
    });
    const from = (base: string, token: string) =>
      call(base, '/api/messages', token, { headers: { 'x-forwarded-for': '203.0.113.77' } });
    expect((await from(a.url, `${valid}x`)).status).toBe(401);
    expect((await from(b.url, `${valid}x`)).status).toBe(401);
    expect((await from(a.url, `${valid}x`)).status).toBe(401);
    for (const base of [a.url, b.url]) {
      const blocked = await from(base, valid);
      expect(blocked.status).toBe(429);
      expect(await blocked.json()).toEqual({
        error_description: 'too many failed authentications from this address; retry later',
      });
    }
    expect((await call(b.url, '/api/messages', valid)).status).toBe(200);
  }, 30_000);

  it('Redis down: an admin change is a 503 (never a 500), rate limits still answer', async () => {
    await redis.stop();
    try {
      const change = await call(a.url, '/admin/clients/other-app', admin, { method: 'PUT' });
      expect(change.status).toBe(503);
      const listed = await call(b.url, '/admin/clients', admin);
      expect(listed.status).toBe(503);
      // The rate limit counts in each instance's insurance limiter meanwhile.
      const token = await issuer.issueSigned({
        client_id: 'reports-app',
        sub: 'outage-user',
        scope: 'messages:read',
      });
      const res = await call(a.url, '/api/messages', token);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(/^"messages-read-30s";r=4;t=\d+$/);
    } finally {
      await redis.restart();
    }
    const back = await until(
      async () => (await call(a.url, '/admin/clients/other-app', admin, { method: 'PUT' })).status,
      204,
      5000,
    );
    expect(back).toBe(204);
  }, 30_000);
});

describe('the traffic-control variables', () => {
  it('are absent from the configuration when unset, and read when set', () => {
    expect(loadConfig({ AUDIT: 'off' })).not.toHaveProperty('traffic');
    expect(
      loadConfig({
        AUDIT: 'off',
        TOKENWARD_RATE_LIMIT: '5/30',
        TOKENWARD_RATE_LIMIT_GOLD: '50/30',
        TOKENWARD_FAILURE_BUDGET: '20/60',
        TOKENWARD_APPROVED_CLIENTS: 'dev-cli, other,dev-cli',
        TOKENWARD_ADMIN_ALLOW_FROM: '127.0.0.1, ::1, 10.0.0.0/8',
      }).traffic,
    ).toEqual({
      rateLimit: { points: 5, duration: 30 },
      goldRateLimit: { points: 50, duration: 30 },
      failureBudget: { failures: 20, window: 60 },
      approvedClients: ['dev-cli', 'other'],
      adminAllowFrom: ['127.0.0.1', '::1', '10.0.0.0/8'],
    });
  });

  it.each([
    [{ TOKENWARD_RATE_LIMIT: 'fast' }, 'TOKENWARD_RATE_LIMIT: expected <count>/<seconds>'],
    [{ TOKENWARD_RATE_LIMIT: '0/60' }, 'TOKENWARD_RATE_LIMIT: expected <count>/<seconds>'],
    [{ TOKENWARD_RATE_LIMIT: '10/0' }, 'got "10/0"'],
    [{ TOKENWARD_RATE_LIMIT: '10/86401' }, 'seconds 1 to 86400'],
    [{ TOKENWARD_RATE_LIMIT_GOLD: '5 per minute' }, 'TOKENWARD_RATE_LIMIT_GOLD: expected'],
    [{ TOKENWARD_FAILURE_BUDGET: '20' }, 'TOKENWARD_FAILURE_BUDGET: expected <failures>/<seconds>'],
    [
      { TOKENWARD_APPROVED_CLIENTS: 'a,,b' },
      'TOKENWARD_APPROVED_CLIENTS: expected comma-separated',
    ],
    [{ TOKENWARD_APPROVED_CLIENTS: 'web app' }, 'got "web app"'],
    [{ TOKENWARD_ADMIN_ALLOW_FROM: '10.0.0.1/8' }, 'TOKENWARD_ADMIN_ALLOW_FROM: "10.0.0.1/8"'],
    [{ TOKENWARD_ADMIN_ALLOW_FROM: 'localhost' }, 'TOKENWARD_ADMIN_ALLOW_FROM:'],
    [{ TOKENWARD_ANOMALIES: 'yes' }, 'TOKENWARD_ANOMALIES: expected on or off'],
    [{ TOKENWARD_ANOMALY_SPREAD: '3/300' }, 'need TOKENWARD_ANOMALIES=on'],
    [
      { TOKENWARD_ANOMALIES: 'on', TOKENWARD_ANOMALY_SPREAD: '101/300' },
      'TOKENWARD_ANOMALY_SPREAD: expected <addresses>/<seconds>',
    ],
    [
      { TOKENWARD_ANOMALIES: 'on', TOKENWARD_ANOMALY_BLOCK: '0' },
      'TOKENWARD_ANOMALY_BLOCK: expected whole seconds',
    ],
  ])('refuses %j, naming the variable', (env, problem) => {
    expect(problemsOf(env)).toEqual([expect.stringContaining(problem)]);
  });

  it('stops the built app at start-up: exit code 1, one line per problem, no stack trace', async () => {
    build();
    const refused = run({ TOKENWARD_RATE_LIMIT: 'lots', TOKENWARD_ADMIN_ALLOW_FROM: '10.0.0.1/8' });
    const deadline = setTimeout(() => refused.child.kill('SIGKILL'), 15_000);
    const code = await refused.exited;
    clearTimeout(deadline);
    expect(code).toBe(1);
    expect(refused.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Invalid configuration: TOKENWARD_RATE_LIMIT: expected <count>\/<seconds>/,
      ),
      expect.stringMatching(/^Invalid configuration: TOKENWARD_ADMIN_ALLOW_FROM: "10\.0\.0\.1\/8"/),
    ]);
  }, 60_000);

  it('reports every bad variable at once', () => {
    expect(
      problemsOf({ TOKENWARD_RATE_LIMIT: 'x', TOKENWARD_FAILURE_BUDGET: 'y' }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['TOKENWARD_RATE_LIMIT', 'TOKENWARD_FAILURE_BUDGET']);
  });
});
