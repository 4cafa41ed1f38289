/**
 * The Redis replay store against a real redis-server, through two separate ioredis connections
 * (two API instances): one claim wins among concurrent ones on both, a claim expires with its
 * ttl, Redis down rejects within the timeout (callers answer 503), and claims work again once
 * Redis is back, without a new client.
 */
import Redis from 'ioredis';
import { createRedisReplayStore, ReplayStoreUnavailableError } from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

let redis: RedisServer;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  a = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  b = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await redis.stop();
});

describe('createRedisReplayStore', () => {
  it('1,000 concurrent claims of one key over two instances: exactly one is accepted', async () => {
    // Atomicity, not latency, is under test: a generous timeout keeps a busy machine (the whole
    // suite in parallel) from turning a slow answer into a failure.
    const stores = [
      createRedisReplayStore({ client: a, timeout: 5000 }),
      createRedisReplayStore({ client: b, timeout: 5000 }),
    ];
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        (stores[i % 2] as (typeof stores)[0]).claim('proof-1', 60),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    // Another key is independent; a key claimed on one instance is refused on the other.
    expect(await stores[0]!.claim('proof-2', 60)).toBe(true);
    expect(await stores[1]!.claim('proof-2', 60)).toBe(false);
  });

  it('keys are prefixed hashes with the ttl set; a claim expires with it', async () => {
    const store = createRedisReplayStore({ client: a, prefix: 'test:' });
    expect(await store.claim('short-lived', 0.2)).toBe(true);
    const keys = await a.keys('test:*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^test:[A-Za-z0-9_-]{43}$/);
    expect(await a.pttl(keys[0] as string)).toBeGreaterThan(0);
    expect(await store.claim('short-lived', 0.2)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.claim('short-lived', 0.2)).toBe(true);
  });

  it('Redis down: claims reject with ReplayStoreUnavailableError within the timeout; back: claims resume', async () => {
    const store = createRedisReplayStore({ client: a, timeout: 300 });
    await redis.stop();
    const started = Date.now();
    await expect(store.claim('while-down', 60)).rejects.toBeInstanceOf(ReplayStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    await redis.restart();
    let resumed: boolean | undefined;
    for (let i = 0; i < 50 && resumed === undefined; i++) {
      resumed = await store.claim('after-restart', 60).catch(() => undefined);
      if (resumed === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(resumed).toBe(true);
  });

  it('refuses bad options and bad claims', async () => {
    expect(() => createRedisReplayStore({} as never)).toThrow(/ioredis client/);
    expect(() => createRedisReplayStore({ client: a, timeout: 0 })).toThrow(/timeout/);
    const store = createRedisReplayStore({ client: a });
    await expect(store.claim('', 10)).rejects.toThrow(/non-empty key/);
    await expect(store.claim('k', 0)).rejects.toThrow(/time to live/);
  });
});
