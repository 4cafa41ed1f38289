/**
 * The brake stores against a real redis-server made slow on purpose (`DEBUG SLEEP` from another
 * connection) and then restarted: every request is answered before Redis wakes up (each store's
 * own deadline), as it would be with Redis away — verified as usual, never blocked for want of
 * an answer, rate-limited by the insurance limiter — and counting resumes in Redis after the
 * restart.
 */
import Redis from 'ioredis';
import { createVerifier, rateLimit, type AccessToken, type AuditEvent } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import {
  createRedisAnomalyStore,
  createRedisFailureBudgetStore,
  redisRateLimitStore,
} from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

let redis: RedisServer;
let client: Redis;
let issuer: TestIssuer;

const ready = (c: Redis) =>
  new Promise<void>((resolve) => {
    const check = () => (c.status === 'ready' ? resolve() : setTimeout(check, 20));
    check();
  });

beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await ready(client);
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

/** Makes Redis sleep for `seconds`; the promise settles when it wakes up. */
async function asleep(seconds: number): Promise<{ awake: () => boolean; done: Promise<void> }> {
  const sleeper = new Redis(redis.url);
  await ready(sleeper);
  let woke = false;
  const done = sleeper
    .call('DEBUG', 'SLEEP', String(seconds))
    .then(() => {
      woke = true;
    })
    .finally(() => sleeper.disconnect());
  // The server sleeps from the moment it reads the command; 50 ms is ample on loopback.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { awake: () => woke, done };
}

const request = (ip: string, token: string) => ({
  method: 'GET',
  url: '/api',
  ip,
  headers: { authorization: `Bearer ${token}` },
});

describe('a slow Redis', () => {
  it('the failure budget and the anomaly store answer within their deadlines: verified as usual, nothing blocked', async () => {
    const events: AuditEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({
        metrics: false,
        failureBudget: {
          failures: 1,
          store: createRedisFailureBudgetStore(client, { timeout: 50 }),
        },
        anomalies: {
          tokenSpread: { addresses: 1, block: 60 },
          store: createRedisAnomalyStore(client, { timeout: 50, blockCacheMs: 0 }),
        },
        audit: { sink: (event) => void events.push(event) },
      }),
    );
    const token = await issuer.issueSigned({ jti: 'slow-1' });
    const sleep = await asleep(1);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      await expect(verifier.verifyRequest(request(ip, token))).resolves.toMatchObject({
        issuer: issuer.issuer,
      });
    }
    await expect(verifier.verifyRequest(request('192.0.2.1', 'x.y.z'))).rejects.toMatchObject({
      code: 'ERR_TOKEN_MALFORMED',
    });
    expect(sleep.awake()).toBe(false);
    await sleep.done;
    expect(events.filter((e) => e.event === 'anomaly_token_spread')).toEqual([]);
  });

  it('a rate limit is answered by the insurance limiter before Redis wakes up, and still limits', async () => {
    const limit = rateLimit({
      key: 'client',
      limits: [{ points: 2, duration: 60 }],
      store: redisRateLimitStore(client, { prefix: 'slow:', timeout: 50 }),
    });
    const token = {
      token: 't',
      claims: {},
      header: {},
      issuer: 'https://issuer.example/',
      clientId: 'slow-client',
      audience: [],
      scopes: new Set(),
      roles: new Set(),
      expiresAt: new Date(Date.now() + 60_000),
      binding: { scheme: 'bearer' },
    } as unknown as AccessToken;
    const outcome = () =>
      Promise.resolve(limit.forRequest(token, request('192.0.2.9', 't'), undefined)).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    const sleep = await asleep(1);
    expect([await outcome(), await outcome(), await outcome()]).toEqual([200, 200, 429]);
    expect(sleep.awake()).toBe(false);
    await sleep.done;
  });
});

describe('a restarted Redis', () => {
  it('the anomaly store counts again once the client has reconnected', async () => {
    const events: AuditEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({
        metrics: false,
        anomalies: {
          tokenSpread: { addresses: 1 },
          store: createRedisAnomalyStore(client, { prefix: 'restart:' }),
        },
        audit: { sink: (event) => void events.push(event) },
      }),
    );
    await redis.stop();
    const token = await issuer.issueSigned({ jti: 'restart-1' });
    await verifier.verifyRequest(request('192.0.2.1', token));
    await redis.restart();
    await ready(client);
    await verifier.verifyRequest(request('192.0.2.2', token));
    await verifier.verifyRequest(request('192.0.2.3', token));
    // Redis answers in order: once the PINGs are answered, so are the counts sent before them
    // (twice: after a restart a script's EVALSHA is answered NOSCRIPT and ioredis sends EVAL).
    await client.ping();
    await client.ping();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // Counted in Redis after the restart: 192.0.2.2 and 192.0.2.3 (the first was lost).
    expect(events.filter((e) => e.event === 'anomaly_token_spread')).toMatchObject([{ count: 2 }]);
    expect((await client.keys('restart:spread:*')).length).toBe(1);
  });
});
