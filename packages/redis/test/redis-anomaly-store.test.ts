/**
 * The Redis anomaly store against a real redis-server, with two verifiers on two ioredis clients
 * (two API instances): a token's addresses add up across both and the detection is reported
 * exactly once, also under concurrent requests; a block set on one holds on the other (at once
 * with `blockCacheMs: 0`, within it otherwise); keys carry one hash tag; with Redis stopped
 * requests are verified as usual.
 */
import Redis from 'ioredis';
import { createVerifier, type AuditEvent, type Verifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { createRedisAnomalyStore, type RedisAnomalyStoreOptions } from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

let redis: RedisServer;
let a: Redis;
let b: Redis;
let issuer: TestIssuer;

const ready = (client: Redis) =>
  new Promise<void>((resolve) => {
    const check = () => (client.status === 'ready' ? resolve() : setTimeout(check, 20));
    check();
  });
/**
 * Waits for every command sent so far: Redis answers each connection in order, so once a PING
 * on both clients is answered, so is every count sent before it. Twice: a script's first call
 * is an EVALSHA that Redis may answer NOSCRIPT, and ioredis then sends the EVAL, answered before
 * the second PING. Then the audit queue's batch (a setImmediate) runs.
 */
const settle = async () => {
  await Promise.all([a.ping(), b.ping()]);
  await Promise.all([a.ping(), b.ping()]);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

beforeAll(async () => {
  redis = await startRedisServer();
  a = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  b = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await Promise.all([ready(a), ready(b)]);
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await redis.stop();
});

/** One API instance on `client`; its anomaly events go to `events`. */
const instance = (
  client: Redis,
  events: AuditEvent[],
  options: RedisAnomalyStoreOptions,
  block: number | false = 60,
): Verifier =>
  createVerifier(
    issuer.verifierOptions({
      metrics: false,
      anomalies: {
        tokenSpread: { addresses: 2, window: 60, block },
        store: createRedisAnomalyStore(client, options),
      },
      audit: { sink: (event) => void events.push(event) },
    }),
  );
const request = (ip: string, token: string) => ({
  method: 'GET',
  url: '/api',
  ip,
  headers: { authorization: `Bearer ${token}` },
});
const outcome = (pending: Promise<unknown>) =>
  pending.then(
    () => 'accepted',
    (e: { status: number; code: string }) => `${e.status} ${e.code}`,
  );
const spreads = (events: AuditEvent[]) => events.filter((e) => e.event === 'anomaly_token_spread');

describe('createRedisAnomalyStore', () => {
  it("a token's addresses add up across two instances; one detection; the block holds on both", async () => {
    const events: AuditEvent[] = [];
    const one = instance(a, events, { prefix: 'an1:', blockCacheMs: 0 });
    const two = instance(b, events, { prefix: 'an1:', blockCacheMs: 0 });
    const token = await issuer.issueSigned({ jti: 'shared-1' });
    expect(await outcome(one.verifyRequest(request('192.0.2.1', token)))).toBe('accepted');
    expect(await outcome(two.verifyRequest(request('192.0.2.2', token)))).toBe('accepted');
    await settle();
    expect(spreads(events)).toEqual([]);
    expect(await outcome(one.verifyRequest(request('192.0.2.3', token)))).toBe('accepted');
    await settle();
    expect(spreads(events)).toHaveLength(1);
    expect(spreads(events)[0]).toMatchObject({ count: 3, action: 'block', blocked: 'token' });
    for (const v of [one, two]) {
      expect(await outcome(v.verifyRequest(request('192.0.2.1', token)))).toBe(
        '401 ERR_TOKEN_QUARANTINED',
      );
    }
    const [key] = await a.keys('an1:block:*');
    expect(key).toMatch(/^an1:block:\{jti:[A-Za-z0-9_-]{8}:shared-1\}$/);
    const ttl = await a.pttl(key as string);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('concurrent requests from ten addresses over both instances are reported exactly once', async () => {
    const events: AuditEvent[] = [];
    const one = instance(a, events, { prefix: 'an2:' }, false);
    const two = instance(b, events, { prefix: 'an2:' }, false);
    const token = await issuer.issueSigned({ jti: 'shared-2' });
    await one.verify(token);
    await two.verify(token);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        outcome((i % 2 === 0 ? one : two).verifyRequest(request(`198.51.100.${i + 1}`, token))),
      ),
    );
    expect(results).toEqual(Array(10).fill('accepted'));
    await settle();
    expect(spreads(events)).toHaveLength(1);
    expect(await a.scard('an2:spread:{jti:' + (await tagOf('an2:spread:')) + ':shared-2}')).toBe(
      10,
    );
  });

  it('with the default blockCacheMs, the instance that blocks refuses at once; the other within the cache time', async () => {
    const events: AuditEvent[] = [];
    const one = instance(a, events, { prefix: 'an3:', blockCacheMs: 200 });
    const two = instance(b, events, { prefix: 'an3:', blockCacheMs: 200 });
    const token = await issuer.issueSigned({ jti: 'shared-3' });
    await two.verifyRequest(request('192.0.2.1', token));
    for (const ip of ['192.0.2.2', '192.0.2.3']) await one.verifyRequest(request(ip, token));
    await settle();
    expect(spreads(events)).toHaveLength(1);
    expect(await outcome(one.verifyRequest(request('192.0.2.1', token)))).toBe(
      '401 ERR_TOKEN_QUARANTINED',
    );
    // `two` answered "not blocked" for this token moments ago; within 200 ms it asks again.
    const deadline = Date.now() + 2_000;
    let seen = await outcome(two.verifyRequest(request('192.0.2.1', token)));
    while (seen === 'accepted' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await outcome(two.verifyRequest(request('192.0.2.1', token)));
    }
    expect(seen).toBe('401 ERR_TOKEN_QUARANTINED');
  });

  it('with Redis unreachable, requests are verified as usual: not blocked, no throw', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    const events: AuditEvent[] = [];
    const verifier = instance(down, events, { prefix: 'an4:' });
    const token = await issuer.issueSigned({ jti: 'down-1' });
    for (let i = 1; i <= 5; i++) {
      expect(await outcome(verifier.verifyRequest(request(`192.0.2.${i}`, token)))).toBe(
        'accepted',
      );
    }
    await settle();
    expect(spreads(events)).toEqual([]);
    down.disconnect();
  });

  it('refuses a client that is not ioredis and bad options', () => {
    expect(() => createRedisAnomalyStore({} as Redis)).toThrow(TypeError);
    expect(() => createRedisAnomalyStore(a, { prefix: '{x}' })).toThrow(/prefix/);
    expect(() => createRedisAnomalyStore(a, { timeout: 0 })).toThrow(/timeout/);
    expect(() => createRedisAnomalyStore(a, { blockCacheMs: -1 })).toThrow(/blockCacheMs/);
    expect(() => createRedisAnomalyStore(a, { maxCachedBlocks: 0 })).toThrow(/maxCachedBlocks/);
  });
});

/** The issuer tag in the one key under `prefix`. */
async function tagOf(prefix: string): Promise<string> {
  const [key] = await a.keys(`${prefix}*`);
  return /\{jti:([^:]+):/.exec(key as string)?.[1] as string;
}
