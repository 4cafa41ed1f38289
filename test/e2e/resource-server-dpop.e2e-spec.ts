/**
 * Two instances of the built sample app behind one public origin, sharing one real redis-server
 * and one nonce secret, as behind a load balancer: a proof accepted by one is refused by the
 * other, 1,000 concurrent replays of one proof over both are accepted exactly once, a nonce from
 * one works on the other, and Redis killed under load means 503s (never a 500, never a replay)
 * until it is back, without restarting the apps.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import {
  createDPoPKey,
  createDPoPProof,
  createTestIssuer,
  JWKS_PATH,
  type DPoPTestKey,
  type TestIssuer,
} from '@tokenward/testing';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import type { INestApplication } from '@nestjs/common';
import { ConfigError, createApp, loadConfig, startupMessage } from '../../apps/resource-server/src';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'apps/resource-server/dist/main.js');
const ORIGIN = 'https://api.example.test';
const SECRET = 'nonce-secret-shared-by-both-instances-0123';

interface Instance {
  readonly child: ChildProcess;
  readonly base: string;
  readonly exited: Promise<unknown>;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise((done) => child.on('exit', done));
  for (let i = 0; i < 200; i++) {
    const base = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    if (base !== undefined) return { child, base, exited };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the app did not start:\n${stdout}\n${stderr}`);
}

// One keep-alive agent: 1,000 concurrent requests over a bounded number of sockets.
const agent = new Agent({ keepAlive: true, maxSockets: 100 });

/** GET /api/me on an instance, as the load balancer would forward it. */
function get(
  base: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((done, fail) => {
    const req = httpRequest(`${base}/api/me`, { agent, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('two instances of the sample app on one Redis (DPoP required, server nonces)', () => {
  let redis: RedisServer;
  let issuer: TestIssuer;
  let a: Instance;
  let b: Instance;
  let key: DPoPTestKey;
  let token: string;
  let nonce: string;
  let dir: string;

  const headersFor = async (proof?: string) => ({
    authorization: `DPoP ${token}`,
    dpop:
      proof ??
      (await createDPoPProof(key, {
        method: 'GET',
        url: `${ORIGIN}/api/me`,
        accessToken: token,
        nonce,
      })),
  });

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
    issuer = await createTestIssuer();
    const issuerUrl = await issuer.start();
    dir = mkdtempSync(join(tmpdir(), 'tokenward-dpop-e2e-'));
    const keysFile = join(dir, 'decryption-keys.json');
    writeFileSync(keysFile, JSON.stringify(issuer.decryptionKeys));
    const env = {
      TOKENWARD_ISSUER: issuer.issuer,
      TOKENWARD_AUDIENCE: issuer.audience,
      TOKENWARD_JWKS_URI: `${issuerUrl}${JWKS_PATH}`,
      TOKENWARD_DECRYPTION_KEYS: keysFile,
      TOKENWARD_DPOP: 'required',
      TOKENWARD_DPOP_NONCE_SECRET: SECRET,
      TOKENWARD_REDIS_URL: redis.url,
      TOKENWARD_PUBLIC_ORIGIN: ORIGIN,
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    key = await createDPoPKey('ES256');
    token = await issuer.issueNested({ sub: 'alice', cnf: { jkt: key.jkt } });
    // A nonce from instance A (the first 401), used on both.
    const first = await get(a.base, {
      authorization: `DPoP ${token}`,
      dpop: await createDPoPProof(key, {
        method: 'GET',
        url: `${ORIGIN}/api/me`,
        accessToken: token,
      }),
    });
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    nonce = first.headers['dpop-nonce'] as string;
  }, 60_000);

  afterAll(async () => {
    for (const instance of [a, b]) {
      if (instance === undefined) continue;
      instance.child.kill('SIGTERM');
      await instance.exited;
    }
    agent.destroy();
    await issuer?.stop();
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('a nonce from one instance is accepted by the other', async () => {
    expect((await get(b.base, await headersFor())).status).toBe(200);
  });

  it('a proof accepted by one instance is refused by the other', async () => {
    const headers = await headersFor();
    expect((await get(a.base, headers)).status).toBe(200);
    const replay = await get(b.base, headers);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    expect(replay.body).toContain('used before');
  });

  it('1,000 concurrent replays of one proof over both instances: exactly one accepted', async () => {
    const headers = await headersFor();
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        get(i % 2 === 0 ? a.base : b.base, headers).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(999);
  }, 60_000);

  it('Redis killed under load: 503 with Retry-After, no 500, no replay; back when Redis is', async () => {
    const before = await headersFor();
    expect((await get(a.base, before)).status).toBe(200);
    // Requests in flight while Redis goes away.
    const load = Array.from(
      { length: 200 },
      async (_, i) => (await get(i % 2 === 0 ? a.base : b.base, await headersFor())).status,
    );
    await redis.stop();
    const during = await Promise.all(load);
    expect(during.every((s) => s === 200 || s === 503)).toBe(true);
    const down = await get(b.base, await headersFor());
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    // A proof accepted before the outage is not accepted during it.
    expect((await get(b.base, before)).status).toBe(503);
    await redis.restart();
    // Each instance's client reconnects on its own (backing off up to 1 s between attempts).
    for (const instance of [a, b]) {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await get(instance.base, await headersFor())).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    }
    // Redis kept its claims (append-only file): the old proof is still refused as a replay.
    expect((await get(b.base, before)).status).toBe(401);
  }, 60_000);
});

describe('the DPoP settings of the sample app', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig({ AUDIT: 'off', ...env });
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    return [];
  };

  it('is off by default, and reads allowed / required with the nonce secret, Redis and origin', () => {
    expect(loadConfig({ AUDIT: 'off' })).not.toHaveProperty('dpop');
    expect(
      loadConfig({
        AUDIT: 'off',
        TOKENWARD_DPOP: 'required',
        TOKENWARD_DPOP_NONCE_SECRET: SECRET,
        TOKENWARD_REDIS_URL: 'redis://127.0.0.1:6379',
        TOKENWARD_PUBLIC_ORIGIN: ORIGIN,
      }),
    ).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      dpop: {
        mode: 'required',
        nonceSecret: SECRET,
        origin: ORIGIN,
      },
    });
  });

  it('the banner says how DPoP is set up, never the secret, and shows the DPoP walkthrough', () => {
    const banner = startupMessage(
      loadConfig({ AUDIT: 'off', TOKENWARD_DPOP: 'required', TOKENWARD_DPOP_NONCE_SECRET: SECRET }),
      'http://127.0.0.1:3000',
    );
    expect(banner).toContain('DPoP required (server nonces on, replay store memory)');
    expect(banner).toContain('dpop key --out dpop-key.json');
    expect(banner).not.toContain(SECRET);
    expect(startupMessage(loadConfig({ AUDIT: 'off' }), 'http://127.0.0.1:3000')).not.toContain(
      'DPoP',
    );
  });

  it.each([
    [{ TOKENWARD_DPOP: 'yes' }, 'TOKENWARD_DPOP: expected off, allowed or required, got "yes"'],
    [
      { TOKENWARD_DPOP: 'allowed', TOKENWARD_DPOP_NONCE_SECRET: 'short' },
      'TOKENWARD_DPOP_NONCE_SECRET: expected at least 32 bytes',
    ],
    [
      { TOKENWARD_DPOP: 'allowed', TOKENWARD_REDIS_URL: 'http://x' },
      'TOKENWARD_REDIS_URL: expected a redis:// or rediss:// URL, got "http://x"',
    ],
    [
      { TOKENWARD_DPOP: 'allowed', TOKENWARD_PUBLIC_ORIGIN: 'https://a.test/path' },
      'TOKENWARD_PUBLIC_ORIGIN: expected an origin',
    ],
    [
      { TOKENWARD_DPOP_NONCE_SECRET: 'x'.repeat(40) },
      'TOKENWARD_DPOP_NONCE_SECRET: set while TOKENWARD_DPOP is off',
    ],
  ])('refuses %j, naming the variable', (env, problem) => {
    expect(problemsOf(env)).toEqual([expect.stringContaining(problem)]);
  });
});

describe('the sample app in dev mode with TOKENWARD_DPOP=allowed', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await createApp(loadConfig({ AUDIT: 'off', TOKENWARD_DPOP: 'allowed' }), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  it('mints a bound token at /dev/token?dpop_jkt=… and accepts it with a proof; bearer tokens too', async () => {
    const devKey = await createDPoPKey('ES256');
    const minted = (await (
      await fetch(`${url}/dev/token?scope=messages:read&dpop_jkt=${devKey.jkt}`)
    ).json()) as {
      access_token: string;
      token_type: string;
    };
    expect(minted.token_type).toBe('DPoP');
    const call = async (headers: Record<string, string>) =>
      (await fetch(`${url}/api/messages`, { headers })).status;
    const proof = await createDPoPProof(devKey, {
      method: 'GET',
      url: `${url}/api/messages`,
      accessToken: minted.access_token,
    });
    expect(await call({ authorization: `DPoP ${minted.access_token}`, dpop: proof })).toBe(200);
    expect(await call({ authorization: `DPoP ${minted.access_token}`, dpop: proof })).toBe(401);
    expect(await call({ authorization: `Bearer ${minted.access_token}` })).toBe(401);
    const bearer = (
      await (await fetch(`${url}/dev/token?scope=messages:read&format=raw`)).text()
    ).trim();
    expect(await call({ authorization: `Bearer ${bearer}` })).toBe(200);
  });
});
