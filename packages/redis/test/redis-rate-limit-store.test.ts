/**
 * The Redis rate-limit store against a real redis-server, through two separate ioredis clients
 * and two rate-limit instances (two API instances) sharing one quota: N allowed across both,
 * keys hash-tagged by identity, and with Redis stopped the insurance limiter answers (no throw,
 * still limited) until Redis is back.
 */
import Redis from 'ioredis';
import {
  rateLimit,
  RateLimitedError,
  type AccessToken,
  type RequestLike,
  type RouteRequirement,
} from '@tokenward/core';
import { redisRateLimitStore } from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

let redis: RedisServer;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  a = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  b = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  // Until a client is connected its counts go to the insurance limiter, by design.
  await Promise.all([ready(a), ready(b)]);
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await redis.stop();
});

function ready(client: Redis): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (client.status === 'ready' ? resolve() : setTimeout(check, 20));
    check();
  });
}

const token = (client: string): AccessToken =>
  ({
    token: 'not-a-real-token',
    claims: { iss: 'https://issuer.example.com/' },
    header: { alg: 'RS256' },
    issuer: 'https://issuer.example.com/',
    clientId: client,
    binding: { scheme: 'bearer' },
    audience: ['https://api.example.com'],
    scopes: new Set<string>(),
    roles: new Set<string>(),
  }) as unknown as AccessToken;

const req = { method: 'GET', url: '/', headers: {}, ip: '127.0.0.1' } as RequestLike;

/** 200 or 429 for one request; anything else thrown is a failure of the test. */
async function status(limit: RouteRequirement, client: string): Promise<number> {
  try {
    await limit.forRequest(token(client), req, undefined);
    return 200;
  } catch (error) {
    if (error instanceof RateLimitedError) return 429;
    throw error;
  }
}

const instance = (client: Redis, points: number, timeout = 5000) =>
  rateLimit({
    key: 'client',
    name: 'shared',
    limits: [{ points, duration: 60 }],
    store: redisRateLimitStore(client, { prefix: 'test:', timeout }),
  });

describe('redisRateLimitStore', () => {
  it('two instances share one quota: 200 concurrent requests for a quota of 50 give exactly 50', async () => {
    // Atomicity, not latency, is under test: a generous timeout keeps a busy machine from
    // sending requests to the insurance limiter.
    const limits = [instance(a, 50), instance(b, 50)];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => status(limits[i % 2] as RouteRequirement, 'app-1')),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(50);
    expect(results.filter((s) => s === 429)).toHaveLength(150);
    // Another identity has its own quota on both instances.
    expect(await status(limits[1] as RouteRequirement, 'app-2')).toBe(200);
  });

  it('keys are prefixed, namespaced and hash-tagged by identity, with the window as ttl', async () => {
    await status(instance(a, 5), 'tagged');
    const keys = await a.keys('test:*tagged*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^test:tokenward:rl:shared:default:shared-60s:\{client:[A-Za-z0-9_-]{8}:tagged\}$/,
    );
    const ttl = await a.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('Redis stopped: the insurance limiter answers at once and still limits; back: Redis counts again', async () => {
    const limit = instance(a, 3, 200);
    expect(await status(limit, 'outage')).toBe(200);
    await redis.stop();
    const started = Date.now();
    // The local insurance limiter has its own count: 3 more, then 429, and nothing throws.
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await status(limit, 'outage'));
    expect(during).toEqual([200, 200, 200, 429]);
    // The store's own counter answers from its insurance limiter: it resolves, and then rejects
    // with the window's state (not an Error) once the local quota is used up.
    const counter = redisRateLimitStore(a, { timeout: 200 })({
      points: 1,
      duration: 60,
      keyPrefix: 'direct',
    });
    await expect(counter.consume('{k}', 1)).resolves.toMatchObject({ remainingPoints: 0 });
    const over: unknown = await counter.consume('{k}', 1).catch((e: unknown) => e);
    expect(over).not.toBeInstanceOf(Error);
    expect(over).toMatchObject({ remainingPoints: 0 });
    expect(Date.now() - started).toBeLessThan(2000);
    await redis.restart();
    await Promise.all([ready(a), ready(b)]);
    // A fresh server: Redis counts from zero again for this identity, on every instance.
    expect(await status(limit, 'after')).toBe(200);
    expect(await a.keys('test:*after*')).toHaveLength(1);
  });

  it('refuses what is not an ioredis client, and bad options', () => {
    expect(() => redisRateLimitStore({} as Redis)).toThrow(/ioredis client/);
    expect(() => redisRateLimitStore(a, { prefix: '{x}' })).toThrow(/prefix/);
    expect(() => redisRateLimitStore(a, { timeout: 0 })).toThrow(/timeout/);
  });
});
