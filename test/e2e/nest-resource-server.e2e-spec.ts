/**
 * The sample resource server end to end: every route and status in dev mode (in-process, on
 * 127.0.0.1:0), configured mode against a test issuer serving JWKS and discovery on 127.0.0.1,
 * and the built app started as `pnpm start` runs it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import {
  ConfigError,
  createApp,
  DEV_AUDIENCE,
  DEV_ISSUER,
  DEV_ISSUER_ID,
  loadConfig,
  startupMessage,
  type AppConfig,
  type DevIssuer,
} from '../../apps/resource-server/src';

const ROOT = resolve(__dirname, '../..');

async function listen(config: AppConfig): Promise<{ app: INestApplication; url: string }> {
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const REALM = 'Bearer realm="messages"';

describe('resource server, dev mode', () => {
  let app: INestApplication;
  let url: string;
  let dev: DevIssuer;

  beforeAll(async () => {
    ({ app, url } = await listen(loadConfig({ AUDIT: 'off' })));
    dev = app.get<DevIssuer>(DEV_ISSUER);
  });
  afterAll(() => app.close());

  const token = (claims: Record<string, unknown> = {}) => dev.issuer.issueNested(claims);

  describe('GET /health', () => {
    it('is public and reports the key source', async () => {
      const res = await request(url).get('/health').expect(200);
      expect(res.body).toEqual({
        status: 'ok',
        mode: 'dev',
        keys: [{ kind: 'keys', status: 'ok' }],
      });
    });

    it('ignores a bad token (public routes verify nothing)', async () => {
      await request(url).get('/health').set(bearer('garbage')).expect(200);
    });
  });

  describe('GET /api/me', () => {
    it('describes a nested token', async () => {
      const t = await token({ sub: 'alice', scope: 'messages:read', roles: ['admin'] });
      const res = await request(url).get('/api/me').set(bearer(t)).expect(200);
      expect(res.body).toMatchObject({
        subject: 'alice',
        client: 'dev-cli',
        issuer: DEV_ISSUER_ID,
        audience: [DEV_AUDIENCE],
        scopes: ['messages:read'],
        roles: ['admin'],
        encrypted: true,
        encryption: { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
      });
    });

    it('describes a signed-only token', async () => {
      const t = await dev.issuer.issueSigned({ sub: 'bob' });
      const res = await request(url).get('/api/me').set(bearer(t)).expect(200);
      expect(res.body).toMatchObject({ subject: 'bob', encrypted: false, encryption: null });
    });

    it('answers 401 with a bare challenge and an empty body without a token', async () => {
      const res = await request(url).get('/api/me').expect(401);
      expect(res.headers['www-authenticate']).toBe(REALM);
      expect(res.body).toEqual({});
    });

    it.each([
      'expired',
      'wrong-audience',
      'wrong-issuer',
      'tampered-signature',
      'unsigned-jwe',
    ] as const)('answers 401 invalid_token to a %s token', async (kind) => {
      const bad = await dev.issuer.issueInvalid(kind);
      const res = await request(url).get('/api/me').set(bearer(bad)).expect(401);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="messages", error="invalid_token", error_description="/,
      );
      expect(res.text).not.toContain(bad);
    });

    it('answers 401 to a nested token whose inner signature is bad', async () => {
      const bad = await dev.issuer.issueInvalid('tampered-signature', {}, { nested: true });
      const res = await request(url).get('/api/me').set(bearer(bad)).expect(401);
      expect(res.body.error).toBe('invalid_token');
    });

    it('answers 400 invalid_request to a malformed Authorization header', async () => {
      const res = await request(url).get('/api/me').set('Authorization', 'Bearer two words');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="messages", error="invalid_request"/,
      );
    });
  });

  describe('GET /api/greeting (optional authentication)', () => {
    it('greets a stranger without a token', async () => {
      await request(url)
        .get('/api/greeting')
        .expect(200, { greeting: 'Hello, stranger!', authenticated: false });
    });

    it('greets the subject of a valid token', async () => {
      const t = await token({ sub: 'gina' });
      await request(url)
        .get('/api/greeting')
        .set(bearer(t))
        .expect(200, { greeting: 'Hello, gina!', authenticated: true });
    });

    it('answers 401 to a bad token instead of ignoring it', async () => {
      const bad = await dev.issuer.issueInvalid('expired', {}, { nested: true });
      const res = await request(url).get('/api/greeting').set(bearer(bad)).expect(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="messages", error="invalid_token"/,
      );
    });
  });

  describe('messages', () => {
    it('GET needs messages:read: 200 with it, 403 naming the scope without', async () => {
      const reader = await token({ scope: 'messages:read' });
      const res = await request(url).get('/api/messages').set(bearer(reader)).expect(200);
      expect(Array.isArray(res.body)).toBe(true);
      const writer = await token({ scope: 'messages:write' });
      const denied = await request(url).get('/api/messages').set(bearer(writer)).expect(403);
      expect(denied.body).toEqual({
        error: 'insufficient_scope',
        error_description: expect.stringContaining('messages:read'),
      });
      expect(denied.headers['www-authenticate']).toMatch(
        /^Bearer realm="messages", error="insufficient_scope", error_description="[^"]*", scope="messages:read"$/,
      );
      await request(url).get('/api/messages').expect(401);
    });

    it('POST needs messages:write and answers 201 with the message and its id', async () => {
      const writer = await token({ sub: 'carol', scope: 'messages:read messages:write' });
      const res = await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .send({ text: '  hello world  ' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        text: 'hello world',
        author: 'carol',
        createdAt: expect.any(String),
      });
      const list = await request(url).get('/api/messages').set(bearer(writer)).expect(200);
      expect(list.body).toContainEqual(res.body);

      const reader = await token({ scope: 'messages:read' });
      const denied = await request(url)
        .post('/api/messages')
        .set(bearer(reader))
        .send({ text: 'x' })
        .expect(403);
      expect(denied.headers['www-authenticate']).toContain('scope="messages:write"');
    });

    it.each([
      ['no body', undefined],
      ['no text', { message: 'hi' }],
      ['a number', { text: 42 }],
      ['blank text', { text: '   ' }],
      ['text too long', { text: 'x'.repeat(501) }],
    ])('POST answers 400 for %s', async (_name, body) => {
      const writer = await token({ scope: 'messages:write' });
      const req = request(url).post('/api/messages').set(bearer(writer));
      const res = await (body === undefined ? req : req.send(body)).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(/^text: /),
      });
    });

    it('POST answers 400 to malformed JSON', async () => {
      const writer = await token({ scope: 'messages:write' });
      await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .set('Content-Type', 'application/json')
        .send('{"text": ')
        .expect(400);
    });

    it('POST checks the token before the body', async () => {
      const res = await request(url).post('/api/messages').send({ text: 42 }).expect(401);
      expect(res.headers['www-authenticate']).toBe(REALM);
    });

    it('DELETE needs role admin: 204, then 404 once gone', async () => {
      const writer = await token({ scope: 'messages:write messages:read' });
      const created = await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .send({ text: 'to delete' })
        .expect(201);
      const admin = await token({ roles: ['admin'] });
      const res = await request(url)
        .delete(`/api/messages/${created.body.id}`)
        .set(bearer(admin))
        .expect(204);
      expect(res.text).toBe('');
      const list = await request(url).get('/api/messages').set(bearer(writer)).expect(200);
      expect(list.body.map((m: { id: string }) => m.id)).not.toContain(created.body.id);
      await request(url).delete(`/api/messages/${created.body.id}`).set(bearer(admin)).expect(404);
    });

    it('DELETE checks the role before the lookup: 403 for an existing and a missing id alike', async () => {
      const writer = await token({ scope: 'messages:write' });
      const created = await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .send({ text: 'keep me' })
        .expect(201);
      // Scopes are not roles: even every scope does not make an admin.
      const notAdmin = await token({ scope: 'messages:read messages:write', roles: ['editor'] });
      for (const id of [created.body.id, 'no-such-id']) {
        const res = await request(url)
          .delete(`/api/messages/${id}`)
          .set(bearer(notAdmin))
          .expect(403);
        expect(res.body.error).toBe('insufficient_scope');
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer realm="messages", error="insufficient_scope"/,
        );
      }
      await request(url).delete('/api/messages/no-such-id').expect(401);
    });
  });

  describe('GET /dev/token', () => {
    it('mints a nested token with the asked scopes and roles, usable on the API', async () => {
      const res = await request(url)
        .get('/dev/token?scope=messages:read%20messages:write&roles=admin,editor&sub=dave')
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'messages:read messages:write',
        roles: ['admin', 'editor'],
        encrypted: true,
      });
      expect(res.body.access_token.split('.')).toHaveLength(5);
      const me = await request(url).get('/api/me').set(bearer(res.body.access_token)).expect(200);
      expect(me.body).toMatchObject({
        subject: 'dave',
        roles: ['admin', 'editor'],
        encrypted: true,
      });
    });

    it('mints a signed-only token with encrypted=false, and a bare one with format=raw', async () => {
      const res = await request(url).get('/dev/token?encrypted=false&format=raw').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text.split('.')).toHaveLength(3);
      const me = await request(url).get('/api/me').set(bearer(res.text)).expect(200);
      expect(me.body).toMatchObject({ subject: 'dev-user', encrypted: false });
    });

    it.each([['encrypted=maybe'], ['roles=a%20b'], ['sub=%00']])(
      'answers 400 to %s',
      async (query) => {
        await request(url).get(`/dev/token?${query}`).expect(400);
      },
    );
  });

  it('prints how to get a token and a curl line per route', () => {
    const banner = startupMessage({ mode: 'dev', host: '127.0.0.1', port: 0 }, url);
    expect(banner).toContain('DEV MODE');
    expect(banner).toContain(`curl -s '${url}/dev/token?scope=messages:read&format=raw'`);
    for (const route of ['/health', '/api/me', '/api/greeting', '/api/messages', '-X DELETE']) {
      expect(banner).toContain(route);
    }
  });
});

describe('resource server, configured with an issuer (remote keys)', () => {
  let issuer: TestIssuer;
  let keysFile: string;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer({
      signingAlgorithm: 'ES256',
      keyManagementAlgorithm: 'ECDH-ES+A256KW',
    });
    await issuer.start();
    keysFile = join(mkdtempSync(join(tmpdir(), 'tokenward-e2e-')), 'decryption-keys.json');
    writeFileSync(keysFile, JSON.stringify(issuer.decryptionKeys));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await issuer.stop();
  });

  const start = async (env: Record<string, string>) => {
    const started = await listen(loadConfig(env));
    apps.push(started.app);
    return started.url;
  };

  it('with TOKENWARD_JWKS_URI and required encryption: nested tokens only', async () => {
    const url = await start({
      TOKENWARD_ISSUER: issuer.issuer,
      TOKENWARD_AUDIENCE: issuer.audience,
      TOKENWARD_JWKS_URI: issuer.jwksUri as string,
      TOKENWARD_DECRYPTION_KEYS: keysFile,
      TOKENWARD_ENCRYPTION: 'required',
    });
    const nested = await issuer.issueNested({ sub: 'erin', scope: 'messages:read' });
    await request(url).get('/api/messages').set(bearer(nested)).expect(200);
    const signed = await issuer.issueSigned({ sub: 'erin', scope: 'messages:read' });
    const res = await request(url).get('/api/messages').set(bearer(signed)).expect(401);
    expect(res.body.error).toBe('invalid_token');
    // No dev issuer outside dev mode: the route does not exist.
    await request(url).get('/dev/token').expect(404);
    const health = await request(url).get('/health').expect(200);
    expect(health.body).toEqual({
      status: 'ok',
      mode: 'issuer',
      keys: [{ kind: 'jwks', status: 'ok' }],
    });
  });

  it('with discovery (no TOKENWARD_JWKS_URI): signed tokens, roles from the claims preset', async () => {
    const before = issuer.requests.openidConfiguration + issuer.requests.oauthAuthorizationServer;
    const url = await start({
      TOKENWARD_ISSUER: issuer.issuer,
      TOKENWARD_AUDIENCE: issuer.audience,
      TOKENWARD_CLAIMS_PRESET: 'rfc9068',
    });
    const admin = await issuer.issueSigned({ sub: 'frank', roles: ['admin'] });
    const me = await request(url).get('/api/me').set(bearer(admin)).expect(200);
    expect(me.body).toMatchObject({ subject: 'frank', roles: ['admin'], encrypted: false });
    expect(
      issuer.requests.openidConfiguration + issuer.requests.oauthAuthorizationServer,
    ).toBeGreaterThan(before);
    // Without decryption keys, encrypted tokens are refused.
    const nested = await issuer.issueNested({ sub: 'frank' });
    await request(url).get('/api/me').set(bearer(nested)).expect(401);
  });

  it('/health answers 503 while the keys cannot be fetched', async () => {
    const down = await createTestIssuer({
      signingAlgorithm: 'ES256',
      keyManagementAlgorithm: false,
    });
    const jwksUri = `${await down.start()}/.well-known/jwks.json`;
    await down.stop();
    const url = await start({
      TOKENWARD_ISSUER: down.issuer,
      TOKENWARD_AUDIENCE: down.audience,
      TOKENWARD_JWKS_URI: jwksUri,
    });
    const res = await request(url).get('/health').expect(503);
    expect(res.body).toMatchObject({
      status: 'unavailable',
      keys: [{ kind: 'jwks', status: 'unavailable' }],
    });
  });
});

describe('configuration', () => {
  it('refuses dev mode when NODE_ENV=production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TOKENWARD_ISSUER: required when NODE_ENV=production/,
    );
  });

  it('defaults to dev mode on 127.0.0.1:3000', () => {
    expect(loadConfig({ AUDIT: 'off' })).toEqual({ mode: 'dev', host: '127.0.0.1', port: 3000 });
    expect(loadConfig({ HOST: '::1', PORT: '0', AUDIT: 'off' })).toEqual({
      mode: 'dev',
      host: '::1',
      port: 0,
    });
  });

  it('lists every problem at once, each with its variable', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: '70000',
        TOKENWARD_ISSUER: 'not a url',
        TOKENWARD_ENCRYPTION: 'always',
        TOKENWARD_CLAIMS_PRESET: 'acme',
        TOKENWARD_DECRYPTION_KEYS: '/nonexistent/keys.json',
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'TOKENWARD_AUDIENCE',
      'TOKENWARD_ISSUER',
      'TOKENWARD_ENCRYPTION',
      'TOKENWARD_CLAIMS_PRESET',
      'TOKENWARD_DECRYPTION_KEYS',
    ]);
    expect(error?.message).toMatch(/^Invalid configuration:\n {2}- PORT: /);
  });

  it('refuses issuer settings without an issuer, and a JWK Set without private keys', () => {
    expect(() => loadConfig({ TOKENWARD_AUDIENCE: 'api' })).toThrow(
      /TOKENWARD_AUDIENCE: set without TOKENWARD_ISSUER/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'tokenward-cfg-')), 'public.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] }));
    expect(() =>
      loadConfig({
        TOKENWARD_ISSUER: 'https://issuer.example',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_DECRYPTION_KEYS: file,
      }),
    ).toThrow(/must hold a private JWK Set/);
    expect(() =>
      loadConfig({
        TOKENWARD_ISSUER: 'https://issuer.example',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_ENCRYPTION: 'required',
      }),
    ).toThrow(/"required" needs TOKENWARD_DECRYPTION_KEYS/);
    expect(() =>
      loadConfig({
        TOKENWARD_ISSUER: 'urn:issuer',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_JWKS_URI: 'ftp://keys',
      }),
    ).toThrow(/TOKENWARD_JWKS_URI: expected an http\(s\) URL/);
  });

  it('reads a full issuer configuration', () => {
    expect(
      loadConfig({
        TOKENWARD_ISSUER: 'https://issuer.example',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_ENCRYPTION: 'forbidden',
        TOKENWARD_CLAIMS_PRESET: 'keycloak',
        HOST: '0.0.0.0',
        PORT: '8080',
      }),
    ).toEqual({
      mode: 'issuer',
      host: '0.0.0.0',
      port: 8080,
      settings: {
        issuer: 'https://issuer.example',
        audience: 'api',
        encryption: 'forbidden',
        claims: 'keycloak',
      },
    });
  });
});

describe('the built app (pnpm start)', () => {
  const main = join(ROOT, 'apps/resource-server/dist/main.js');
  const children: ChildProcess[] = [];

  beforeAll(() => {
    // What `pnpm start` does before running node: an incremental build of the app and its packages.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  }, 120_000);
  afterAll(() => {
    for (const child of children) child.kill();
  });

  const run = (env: Record<string, string>) => {
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const output = () => ({ stdout, stderr });
    // Resolves with the URL from the banner; rejects if the process exits first.
    const listening = () =>
      new Promise<string>((done, fail) => {
        const check = () => {
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (match) done(match[1] as string);
        };
        child.stdout?.on('data', check);
        check();
        void exited.then((code) => fail(new Error(`exited with ${code}: ${stderr}`)));
      });
    return { exited, output, listening };
  };

  it('refuses dev mode with NODE_ENV=production: exit code 1 and a clear message', async () => {
    const child = run({ NODE_ENV: 'production' });
    expect(await child.exited).toBe(1);
    expect(child.output().stderr).toContain('TOKENWARD_ISSUER: required when NODE_ENV=production');
    expect(child.output().stdout).not.toContain('listening');
  }, 30_000);

  it('exits 1 naming the variable on a bad configuration', async () => {
    const child = run({ TOKENWARD_ISSUER: 'https://issuer.example', PORT: 'eighty' });
    expect(await child.exited).toBe(1);
    expect(child.output().stderr).toContain('TOKENWARD_AUDIENCE: required');
    expect(child.output().stderr).toContain('PORT: expected an integer');
  }, 30_000);

  it('starts in dev mode on 127.0.0.1 and serves the walkthrough', async () => {
    const child = run({ PORT: '0' });
    const url = await child.listening();
    expect(child.output().stdout).toContain('DEV MODE');
    await request(url).get('/health').expect(200);
    const reader = await request(url).get('/dev/token?scope=messages:read&format=raw').expect(200);
    await request(url).get('/api/messages').set(bearer(reader.text)).expect(200);
    await request(url).get('/api/messages').expect(401);
    await request(url)
      .post('/api/messages')
      .set(bearer(reader.text))
      .send({ text: 'hi' })
      .expect(403);
  }, 30_000);
});
