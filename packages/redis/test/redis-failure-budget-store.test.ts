/**
 * The Redis failure-budget store against a real redis-server, with two verifiers on two ioredis
 * clients (two API instances): failures from one address on both add up to one budget, the block
 * holds on both and only for that address, keys share the address's hash tag, and with Redis
 * stopped requests are verified as usual (not blocked, no throw).
 */
import Redis from 'ioredis';
import { createVerifier, type Verifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { createRedisFailureBudgetStore } from '../src';
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

const instance = (client: Redis, prefix: string): Verifier =>
  createVerifier(
    issuer.verifierOptions({
      failureBudget: {
        failures: 3,
        window: 60,
        block: 30,
        store: createRedisFailureBudgetStore(client, { prefix }),
      },
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
    (e: { status: number; code: string; headers?: Record<string, string> }) =>
      `${e.status} ${e.code}`,
  );

describe('createRedisFailureBudgetStore', () => {
  it('one budget per address across two instances; blocked on both, others untouched', async () => {
    const one = instance(a, 'fb1:');
    const two = instance(b, 'fb1:');
    const valid = await issuer.issueSigned();
    const bad = 'not-a-token.at-all.x';
    expect(await outcome(one.verifyRequest(request('192.0.2.10', bad)))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    expect(await outcome(two.verifyRequest(request('192.0.2.10', bad)))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    // Not blocked yet: two failures of three.
    expect(await outcome(one.verifyRequest(request('192.0.2.10', valid)))).toBe('accepted');
    expect(await outcome(one.verifyRequest(request('192.0.2.10', bad)))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    for (const v of [one, two]) {
      expect(await outcome(v.verifyRequest(request('192.0.2.10', valid)))).toBe(
        '429 ERR_FAILURE_BUDGET_EXHAUSTED',
      );
      expect(await outcome(v.verifyRequest(request('192.0.2.11', valid)))).toBe('accepted');
    }
    const ttl = await a.pttl('fb1:{192.0.2.10}:block');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    // Failures while blocked do not lengthen the block.
    await one.verifyRequest(request('192.0.2.10', bad)).catch(() => undefined);
    expect(await a.pttl('fb1:{192.0.2.10}:block')).toBeLessThanOrEqual(ttl);
  });

  it('with Redis unreachable, a request is verified as usual: not blocked, no throw', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    const verifier = instance(down, 'fb2:');
    const valid = await issuer.issueSigned();
    expect(await outcome(verifier.verifyRequest(request('192.0.2.20', 'x.y.z')))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    for (let i = 0; i < 5; i++) {
      expect(await outcome(verifier.verifyRequest(request('192.0.2.20', valid)))).toBe('accepted');
    }
    down.disconnect();
  });

  it('refuses a client that is not ioredis and bad options', () => {
    expect(() => createRedisFailureBudgetStore({} as Redis)).toThrow(TypeError);
    expect(() => createRedisFailureBudgetStore(a, { prefix: '{x}' })).toThrow(/prefix/);
    expect(() => createRedisFailureBudgetStore(a, { timeout: 0 })).toThrow(/timeout/);
  });
});
