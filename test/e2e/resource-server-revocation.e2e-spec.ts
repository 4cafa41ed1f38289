/**
 * The sample app's revocation admin API, in dev mode in-process (memory list) and with two built
 * instances on one real redis-server: a subject revoked through one instance's API is refused by
 * the other at once; GET lists, DELETE withdraws; the API needs the admin role and a scope.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestIssuer, JWKS_PATH, type TestIssuer } from '@tokenward/testing';
import { createApp, loadConfig } from '../../apps/resource-server/src';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'apps/resource-server/dist/main.js');

describe('the revocation admin API (dev mode, memory list)', () => {
  let app: INestApplication;
  let url: string;
  const mint = async (query: string) =>
    (await request(url).get(`/dev/token?${query}&format=raw`).expect(200)).text;

  beforeAll(async () => {
    app = await createApp(loadConfig({ AUDIT: 'off' }), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  it('revokes a subject: its tokens are refused until the entry is withdrawn', async () => {
    const admin = await mint('scope=revocations:read%20revocations:write&roles=admin&sub=ops');
    const reader = await mint('scope=messages:read&sub=mallory');
    const asAdmin = (r: request.Test) => r.set('Authorization', `Bearer ${admin}`);
    await request(url).get('/api/messages').set('Authorization', `Bearer ${reader}`).expect(200);
    const created = await asAdmin(request(url).post('/admin/revocations'))
      .send({ kind: 'subject', subject: 'mallory' })
      .expect(201);
    expect(created.body).toMatchObject({
      kind: 'subject',
      subject: 'mallory',
      id: expect.any(String),
    });
    const refused = await request(url)
      .get('/api/messages')
      .set('Authorization', `Bearer ${reader}`)
      .expect(401);
    expect(refused.body).toEqual({
      error: 'invalid_token',
      error_description: 'the token has been revoked',
    });
    const listed = await asAdmin(request(url).get('/admin/revocations')).expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ kind: 'subject', subject: 'mallory' })]);
    await asAdmin(request(url).delete(`/admin/revocations/${created.body.id as string}`)).expect(
      204,
    );
    await asAdmin(request(url).delete(`/admin/revocations/${created.body.id as string}`)).expect(
      404,
    );
    await request(url).get('/api/messages').set('Authorization', `Bearer ${reader}`).expect(200);
  });

  it('revokes one token by jti; other tokens of the subject pass', async () => {
    const admin = await mint('scope=revocations:write&roles=admin');
    const reader = await mint('scope=messages:read&encrypted=false&sub=tom');
    const sibling = await mint('scope=messages:read&sub=tom');
    const jti = JSON.parse(Buffer.from(reader.split('.')[1] ?? '', 'base64url').toString()).jti;
    expect(typeof jti).toBe('string');
    const revoke = (body: object) =>
      request(url)
        .post('/admin/revocations')
        .set('Authorization', `Bearer ${admin}`)
        .send(body)
        .expect(201);
    await revoke({ kind: 'token', jti });
    await request(url).get('/api/messages').set('Authorization', `Bearer ${reader}`).expect(401);
    await request(url).get('/api/messages').set('Authorization', `Bearer ${sibling}`).expect(200);
  });

  it('revokes a client (on an app of its own: every dev token has the client dev-cli)', async () => {
    const own = await createApp(loadConfig({ AUDIT: 'off' }), { logger: false });
    await own.listen(0, '127.0.0.1');
    try {
      const base = (await own.getUrl()).replace('[::1]', '127.0.0.1');
      const raw = async (q: string) =>
        (await request(base).get(`/dev/token?${q}&format=raw`).expect(200)).text;
      const admin = await raw('scope=revocations:write&roles=admin');
      const reader = await raw('scope=messages:read');
      await request(base)
        .post('/admin/revocations')
        .set('Authorization', `Bearer ${admin}`)
        .send({ kind: 'client', clientId: 'dev-cli' })
        .expect(201);
      await request(base).get('/api/messages').set('Authorization', `Bearer ${reader}`).expect(401);
    } finally {
      await own.close();
    }
  });

  it('needs the admin role and the scope; refuses bad bodies with a 400 naming the field', async () => {
    const roleOnly = await mint('roles=admin');
    const scopeOnly = await mint('scope=revocations:write');
    for (const token of [roleOnly, scopeOnly]) {
      await request(url)
        .post('/admin/revocations')
        .set('Authorization', `Bearer ${token}`)
        .send({ kind: 'client', clientId: 'x' })
        .expect(403);
    }
    const admin = await mint('scope=revocations:write&roles=admin');
    for (const [body, message] of [
      [{ kind: 'everything' }, 'kind: expected'],
      [{ kind: 'subject' }, 'subject: expected a string'],
      [{ kind: 'client', clientId: 'c', before: 'yesterday' }, 'before: expected an ISO 8601'],
      [{ kind: 'client', clientId: 'c', before: '2999-01-01T00:00:00Z' }, 'before: in the future'],
      [{ kind: 'client', clientId: 'c', extra: 1 }, 'unknown field(s): "extra"'],
    ] as const) {
      const res = await request(url)
        .post('/admin/revocations')
        .set('Authorization', `Bearer ${admin}`)
        .send(body)
        .expect(400);
      expect(String(res.body.message)).toContain(message);
    }
  });
});

describe('two built instances on one Redis: a revocation reaches both', () => {
  let redis: RedisServer;
  let issuer: TestIssuer;
  const children: ChildProcess[] = [];

  const start = async (env: Record<string, string>): Promise<string> => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: '0', AUDIT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 200; i++) {
      const base = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (base !== undefined) return base;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the app did not start:\n${out}`);
  };

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    redis = await startRedisServer({ appendOnly: true });
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await issuer.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise((done) =>
            c.exitCode !== null ? done(undefined) : (c.once('exit', done), c.kill('SIGTERM')),
          ),
      ),
    );
    await issuer?.stop();
    await redis?.stop();
  });

  it('revoked through A: refused by B within a bound; a restarted instance still refuses it', async () => {
    const env = {
      TOKENWARD_ISSUER: issuer.issuer,
      TOKENWARD_AUDIENCE: issuer.audience,
      TOKENWARD_JWKS_URI: `${issuer.issuer}${JWKS_PATH}`,
      TOKENWARD_REDIS_URL: redis.url,
    };
    const [a, b] = await Promise.all([start(env), start(env)]);
    const admin = await issuer.issueSigned({ scope: 'revocations:write', roles: ['admin'] });
    const victim = await issuer.issueSigned({ scope: 'messages:read', sub: 'eve' });
    const get = (base: string) =>
      fetch(`${base}/api/messages`, { headers: { authorization: `Bearer ${victim}` } }).then(
        (r) => r.status,
      );
    expect(await get(b)).toBe(200);
    const revoked = await fetch(`${a}/admin/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', subject: 'eve' }),
    });
    expect(revoked.status).toBe(201);
    const started = performance.now();
    let status = await get(b);
    while (status === 200 && performance.now() - started < 1000) status = await get(b);
    // A bound for a loaded machine; the measured delay is in bench/README.md.
    expect(status).toBe(401);
    expect(await get(a)).toBe(401);
    const c = await start(env);
    expect(await get(c)).toBe(401);
  }, 60_000);
});
