/**
 * The sample app's multi-tenant dev mode (`TOKENWARD_TENANTS`): each tenant has its own embedded
 * dev issuer and is served by `Host` (`<tenant>.localhost`). A tenant's token is accepted on its
 * own host, with its tenant shown, and refused on the other's (401) and on any unknown host
 * (400 ERR_TENANT_UNKNOWN); `/dev/token` mints for the host's tenant; revocations stay within
 * a tenant; the audit trail names each decision's tenant; bad values stop the start-up with one
 * line naming the variable. Requests go to 127.0.0.1 with an explicit `Host` header (no
 * resolution of `*.localhost` is assumed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { verifyAuditTrail } from '@tokenward/core';
import { ConfigError, createApp, loadConfig, startupMessage } from '../../apps/resource-server/src';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'apps/resource-server/dist/main.js');
const ACME = 'acme.localhost';
const GLOBEX = 'globex.localhost';
/** The challenge of a request that names no tenant. */
const UNKNOWN_CHALLENGE =
  'Bearer realm="messages", error="invalid_request", error_description="the request names no tenant this API serves"';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ AUDIT: 'off', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

/** The payload of a signed (JWS) token, unverified: what the dev issuer put in it. */
const payloadOf = (jws: string) =>
  JSON.parse(Buffer.from(jws.split('.')[1] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >;

describe('TOKENWARD_TENANTS', () => {
  it('turns on multi-tenant dev mode with the ids in order', () => {
    expect(loadConfig({ AUDIT: 'off', TOKENWARD_TENANTS: ' acme, globex ' })).toEqual({
      mode: 'dev',
      host: '127.0.0.1',
      port: 3000,
      tenants: ['acme', 'globex'],
    });
    expect(loadConfig({ AUDIT: 'off' })).not.toHaveProperty('tenants');
  });

  const ELEVEN = Array.from({ length: 11 }, (_, i) => `t${i}`).join(',');
  it.each([
    ['acme', 'TOKENWARD_TENANTS: expected 2 to 10 tenant ids, got 1 (unset it for one tenant)'],
    [ELEVEN, 'TOKENWARD_TENANTS: expected 2 to 10 tenant ids, got 11 (unset it for one tenant)'],
    ['acme,acme', 'TOKENWARD_TENANTS: each tenant once, got "acme" more than once'],
    [
      'Acme,globex',
      'TOKENWARD_TENANTS: expected comma-separated tenant ids (lower-case letters, digits and -, 1 to 63 characters, not starting or ending with -), got "Acme"',
    ],
    ['acme,,globex', expect.stringMatching(/^TOKENWARD_TENANTS: expected .*, got ""$/)],
    ['a_b,-x,ok', expect.stringMatching(/^TOKENWARD_TENANTS: expected .*, got "a_b", "-x"$/)],
    ['acme,glo.bex', expect.stringMatching(/^TOKENWARD_TENANTS: expected .*, got "glo\.bex"$/)],
    ['acme,x'.padEnd(70, 'x'), expect.stringMatching(/^TOKENWARD_TENANTS: expected .*, got "x+"$/)],
  ])('refuses %j, naming the variable', (value, problem) => {
    expect(problemsOf({ TOKENWARD_TENANTS: value })).toEqual([problem]);
  });

  it('is refused in configured mode (it applies to dev mode only)', () => {
    expect(
      problemsOf({
        TOKENWARD_ISSUER: 'https://issuer.example',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_JWKS_URI: 'https://issuer.example/jwks',
        TOKENWARD_TENANTS: 'acme,globex',
      }),
    ).toEqual(['TOKENWARD_TENANTS: applies to dev mode only; unset it with TOKENWARD_ISSUER']);
  });

  it('the banner names each tenant host, and its curl lines send one', () => {
    const banner = startupMessage(
      loadConfig({ AUDIT: 'off', TOKENWARD_TENANTS: 'acme,globex' }),
      'http://127.0.0.1:3000',
    );
    expect(banner).toContain("acme: -H 'Host: acme.localhost' (or http://acme.localhost:3000)");
    expect(banner).toContain(
      "globex: -H 'Host: globex.localhost' (or http://globex.localhost:3000)",
    );
    expect(banner).toContain(
      `READER=$(curl -s -H 'Host: acme.localhost' 'http://127.0.0.1:3000/dev/token?scope=messages:read&format=raw')`,
    );
    expect(startupMessage(loadConfig({ AUDIT: 'off' }), 'http://127.0.0.1:3000')).not.toContain(
      'Host:',
    );
  });
});

describe('two tenants (dev mode, in-process)', () => {
  let app: INestApplication;
  let url: string;
  let auditDir: string;
  const mint = async (host: string, query: string) =>
    (await request(url).get(`/dev/token?${query}&format=raw`).set('Host', host).expect(200)).text;
  const me = (host: string, token?: string) => {
    const req = request(url).get('/api/me').set('Host', host);
    return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
  };

  beforeAll(async () => {
    auditDir = mkdtempSync(join(tmpdir(), 'tokenward-tenants-audit-'));
    app = await createApp(loadConfig({ AUDIT_DIR: auditDir, TOKENWARD_TENANTS: 'acme,globex' }), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    url = `http://127.0.0.1:${port}`;
  });
  // Closing twice is harmless; this one runs when a test failed before the trail test closed it.
  afterAll(async () => {
    await app.close();
    rmSync(auditDir, { recursive: true, force: true });
  });

  it("/dev/token mints with the host's tenant's own issuer and keys", async () => {
    const acme = payloadOf(await mint(ACME, 'encrypted=false'));
    const globex = payloadOf(await mint(GLOBEX, 'encrypted=false'));
    expect(acme.iss).toBe('urn:tokenward:dev-issuer:acme');
    expect(globex.iss).toBe('urn:tokenward:dev-issuer:globex');
    const header = (jwe: string) =>
      JSON.parse(Buffer.from(jwe.split('.')[0] as string, 'base64url').toString()) as {
        kid?: string;
      };
    // Nested tokens name their tenant's encryption key, and the two tenants' keys differ.
    const acmeKid = header(await mint(ACME, 'scope=messages:read')).kid;
    const globexKid = header(await mint(GLOBEX, 'scope=messages:read')).kid;
    expect(acmeKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(globexKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(acmeKid).not.toBe(globexKid);
  });

  it('each tenant accepts its own tokens on its host and shows the tenant', async () => {
    for (const [host, tenant] of [
      [ACME, 'acme'],
      [GLOBEX, 'globex'],
    ] as const) {
      for (const encrypted of ['true', 'false']) {
        const token = await mint(
          host,
          `scope=messages:read&sub=u-${tenant}&encrypted=${encrypted}`,
        );
        const res = await me(host, token).expect(200);
        expect(res.body).toMatchObject({
          subject: `u-${tenant}`,
          issuer: `urn:tokenward:dev-issuer:${tenant}`,
          encrypted: encrypted === 'true',
          tenant,
        });
      }
    }
    // The port and the case of the host do not matter (curl sends `Host: acme.localhost:3000`).
    const token = await mint(`ACME.localhost:3000`, 'scope=messages:read');
    expect((await me('acme.localhost:3000', token).expect(200)).body.tenant).toBe('acme');
    await request(url)
      .get('/api/messages')
      .set('Host', GLOBEX)
      .set('Authorization', `Bearer ${await mint(GLOBEX, 'scope=messages:read')}`)
      .expect(200);
  });

  it("a tenant's token is refused on the other tenant's host: 401 invalid_token", async () => {
    const nested = await mint(ACME, 'scope=messages:read');
    const signed = await mint(ACME, 'scope=messages:read&encrypted=false');
    const refusedNested = await me(GLOBEX, nested).expect(401);
    expect(refusedNested.headers['www-authenticate']).toBe(
      'Bearer realm="messages", error="invalid_token", error_description="no configured decryption key fits this token (kid or algorithm); check option decryptionKeys"',
    );
    expect(refusedNested.body.tenant).toBeUndefined();
    const refusedSigned = await me(GLOBEX, signed).expect(401);
    expect(refusedSigned.headers['www-authenticate']).toBe(
      'Bearer realm="messages", error="invalid_token", error_description="the token was issued by an issuer this verifier does not trust (option issuer)"',
    );
    await me(ACME, await mint(GLOBEX, 'scope=messages:read')).expect(401);
    // The codes: the kid names another tenant's key (no key is tried), or another issuer.
    const metrics = (await request(url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /^tokenward_decisions_total\{[^}]*tokenward_outcome="deny",tokenward_reason="ERR_JWE_KEY_NOT_FOUND"[^}]*\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^tokenward_decisions_total\{[^}]*tokenward_outcome="deny",tokenward_reason="ERR_ISSUER_INVALID"[^}]*\} [1-9]/m,
    );
  });

  it.each([
    ['127.0.0.1', {}],
    ['localhost', {}],
    ['initech.localhost', {}],
    ['acme.localhost.evil.example', {}],
    // X-Forwarded-Host is never believed.
    ['evil.example', { 'X-Forwarded-Host': ACME }],
  ])(
    'a request for host %s (%j) is 400 ERR_TENANT_UNKNOWN, with or without a token',
    async (host, extra) => {
      const token = await mint(ACME, 'scope=messages:read');
      for (const res of [
        await me(host, token).set(extra).expect(400),
        await me(host).set(extra).expect(400),
      ]) {
        expect(res.headers['www-authenticate']).toBe(UNKNOWN_CHALLENGE);
        expect(res.body).toEqual({
          error: 'invalid_request',
          error_description: 'the request names no tenant this API serves',
        });
      }
    },
  );

  it('/dev/token on an unknown host is a 400 naming the tenant hosts (never a token)', async () => {
    for (const host of ['127.0.0.1', 'initech.localhost']) {
      const res = await request(url).get('/dev/token?format=raw').set('Host', host).expect(400);
      expect(res.body.message).toBe(
        "Host: names no tenant; call one of acme.localhost, globex.localhost (curl -H 'Host: acme.localhost')",
      );
      expect(res.text).not.toMatch(/eyJ/);
    }
  });

  it("an admin revokes within their own tenant only; another tenant's admin cannot see or withdraw it", async () => {
    const adminQuery = 'scope=revocations:read%20revocations:write&roles=admin';
    const acmeAdmin = await mint(ACME, adminQuery);
    const globexAdmin = await mint(GLOBEX, adminQuery);
    const acmeMallory = await mint(ACME, 'scope=messages:read&sub=mallory');
    const globexMallory = await mint(GLOBEX, 'scope=messages:read&sub=mallory');
    const created = await request(url)
      .post('/admin/revocations')
      .set('Host', ACME)
      .set('Authorization', `Bearer ${acmeAdmin}`)
      .send({ kind: 'subject', subject: 'mallory' })
      .expect(201);
    expect(created.body).toMatchObject({
      kind: 'subject',
      issuer: 'urn:tokenward:dev-issuer:acme',
      subject: 'mallory',
    });
    await me(ACME, acmeMallory).expect(401);
    // The same subject name in the other tenant is another person.
    await me(GLOBEX, globexMallory).expect(200);
    const admin = (host: string, token: string) => ({
      list: () =>
        request(url)
          .get('/admin/revocations')
          .set('Host', host)
          .set('Authorization', `Bearer ${token}`),
      remove: (id: string) =>
        request(url)
          .delete(`/admin/revocations/${id}`)
          .set('Host', host)
          .set('Authorization', `Bearer ${token}`),
    });
    expect((await admin(GLOBEX, globexAdmin).list().expect(200)).body).toEqual([]);
    expect((await admin(ACME, acmeAdmin).list().expect(200)).body).toEqual([created.body]);
    await admin(GLOBEX, globexAdmin).remove(created.body.id).expect(404);
    await me(ACME, acmeMallory).expect(401);
    await admin(ACME, acmeAdmin).remove(created.body.id).expect(204);
    await me(ACME, acmeMallory).expect(200);
  });

  it("health reports both tenants' key sources", async () => {
    const res = await request(url).get('/health').set('Host', '127.0.0.1').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      mode: 'dev',
      keys: [
        { kind: 'keys', status: 'ok' },
        { kind: 'keys', status: 'ok' },
      ],
    });
  });

  // Last: it closes the app to seal the trail.
  it('the audit trail names the tenant of each decision, and none for an unknown host', async () => {
    await me(GLOBEX, await mint(GLOBEX, 'sub=trail-globex')).expect(200);
    await me('initech.localhost').expect(400);
    await app.close();
    const files = readdirSync(join(auditDir, 'trail'))
      .sort()
      .map((n) => join(auditDir, 'trail', n));
    const verdict = await verifyAuditTrail(files, {
      chainKey: readFileSync(join(auditDir, 'chain.key'), 'utf8').trim(),
      publicKey: readFileSync(join(auditDir, 'audit-ed25519.pub.pem'), 'utf8'),
    });
    expect(verdict).toMatchObject({ ok: true, sealed: true });
    const events = files
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.schema === 'tokenward.audit/1' && e.stage === 'authentication');
    const allowed = events.filter((e) => e.outcome === 'allow');
    expect(allowed.length).toBeGreaterThan(0);
    for (const event of allowed) {
      expect(event.tenant).toBe(String(event.issuer).replace('urn:tokenward:dev-issuer:', ''));
    }
    expect(new Set(allowed.map((e) => e.tenant))).toEqual(new Set(['acme', 'globex']));
    const unknown = events.filter((e) => e.reason === 'ERR_TENANT_UNKNOWN');
    expect(unknown.length).toBeGreaterThan(0);
    for (const event of unknown) {
      expect(event).toMatchObject({ status: 400, outcome: 'deny' });
      expect(event).not.toHaveProperty('tenant');
    }
    // A refusal on the other tenant's host is that tenant's decision: acme's token on globex's
    // host first, then globex's on acme's. Each tenant's verifier has its own queue into the
    // shared trail, so the lines of two tenants need not be in time order: sorted by time here.
    const crossed = events
      .filter((e) => e.reason === 'ERR_JWE_KEY_NOT_FOUND' && e.route === '/api/me')
      .sort((x, y) => String(x.time).localeCompare(String(y.time)));
    expect(crossed.map((e) => e.tenant)).toEqual(['globex', 'acme']);
  });
});

describe('the built app (dist/main.js) with tenants', () => {
  beforeAll(() => {
    // What `pnpm start` does before running node: an incremental build of the app and its packages.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
      { cwd: ROOT, stdio: 'pipe' },
    );
  }, 120_000);

  const run = (env: Record<string, string>) => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', AUDIT: 'off', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    return { child, out, exited };
  };

  it.each([
    ['acme', 'expected 2 to 10 tenant ids, got 1'],
    ['acme,ACME', 'expected comma-separated tenant ids'],
  ])(
    'TOKENWARD_TENANTS=%s: one line naming the variable, exit 1',
    async (value, reason) => {
      const { child, out, exited } = run({ TOKENWARD_TENANTS: value });
      // A process that started instead of refusing is stopped, and the test fails on its signal.
      const deadline = setTimeout(() => child.kill(), 15_000);
      const status = await exited;
      clearTimeout(deadline);
      expect(status).toEqual({ code: 1, signal: null });
      expect(out.stdout).not.toContain('listening');
      const lines = out.stderr.split('\n').filter((line) => line !== '');
      expect(lines).toEqual([
        expect.stringContaining(`Invalid configuration: TOKENWARD_TENANTS: ${reason}`),
      ]);
    },
    30_000,
  );

  it('serves each tenant by Host, and stops cleanly on SIGTERM', async () => {
    const app = run({ TOKENWARD_TENANTS: 'acme,globex' });
    let base: string | undefined;
    for (let i = 0; i < 400 && base === undefined && app.child.exitCode === null; i++) {
      base = /listening on (http:\/\/\S+)/.exec(app.out.stdout)?.[1];
      if (base === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    try {
      expect(base).toBeDefined();
      const url = base as string;
      expect(app.out.stdout).toContain("acme: -H 'Host: acme.localhost'");
      const token = (
        await request(url).get('/dev/token?format=raw').set('Host', GLOBEX).expect(200)
      ).text;
      const res = await request(url)
        .get('/api/me')
        .set('Host', GLOBEX)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body.tenant).toBe('globex');
      await request(url)
        .get('/api/me')
        .set('Host', ACME)
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      await request(url).get('/api/me').set('Authorization', `Bearer ${token}`).expect(400);
    } finally {
      app.child.kill('SIGTERM');
    }
    const { code, signal } = await app.exited;
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(app.out.stderr).toBe('');
  }, 60_000);
});
