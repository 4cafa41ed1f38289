/**
 * The Redis revocation list against a real redis-server, with two lists on separate connections
 * standing for two API instances: a revocation on one is refused on the other at once (pushed,
 * no read per check), survives a new instance (resynchronised from Redis), is not missed while an
 * instance's push connection is down, goes stale after maxStaleness, and a write Redis cannot
 * take rejects.
 */
import Redis from 'ioredis';
import { createVerifier, TokenwardError, type AccessToken } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { createRedisRevocationList, RevocationStoreError, type RedisRevocationList } from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

let redis: RedisServer;
let issuer: TestIssuer;
const clients: Redis[] = [];
const lists: RedisRevocationList[] = [];

const connect = () => {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
};
const instance = async (extra: Partial<Parameters<typeof createRedisRevocationList>[0]> = {}) => {
  const list = createRedisRevocationList({ client: connect(), timeout: 500, ...extra });
  lists.push(list);
  await list.ready();
  return list;
};
/** Polls `check` until `until(verdict)` holds, up to `ms`; returns the milliseconds it took. */
async function waitFor(check: () => string, until: string, ms = 2000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (check() === until) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`still ${check()} after ${ms} ms, expected ${until}`);
}

let token: string;
let auth: AccessToken;

beforeAll(async () => {
  redis = await startRedisServer();
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  token = await issuer.issueSigned({ jti: 'shared-1', sub: 'alice', client_id: 'app' });
  auth = await createVerifier(issuer.verifierOptions({ metrics: false })).verify(token);
});
afterEach(async () => {
  await Promise.all(lists.splice(0).map((l) => l.close()));
  for (const c of clients.splice(0)) c.disconnect();
  const admin = new Redis(redis.url);
  await admin.flushall();
  admin.disconnect();
});
afterAll(() => redis.stop());

describe('createRedisRevocationList', () => {
  it('a revocation on one instance is refused on the other within the push delay', async () => {
    const [a, b] = [await instance(), await instance()];
    const verifierB = createVerifier(issuer.verifierOptions({ revocation: b, metrics: false }));
    await expect(verifierB.verify(token)).resolves.toBeDefined();
    const now = Date.now();
    await a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt });
    // A bound for a test on a loaded machine; the measured delay is in bench/README.md.
    expect(await waitFor(() => b.check(auth, now), 'revoked', 1000)).toBeLessThan(1000);
    const error = (await verifierB.verify(token).catch((e: unknown) => e)) as TokenwardError;
    expect(error.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('subject and client revocations, listing on any instance, and removal everywhere', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.revokeSubject({ issuer: auth.issuer, subject: 'alice' });
    await a.revokeClient({ issuer: auth.issuer, clientId: 'other' });
    await waitFor(() => b.check(auth, Date.now()), 'revoked');
    const listed = await b.list();
    expect(listed.map((e) => e.kind).sort()).toEqual(['client', 'subject']);
    const subject = listed.find((e) => e.kind === 'subject')!;
    expect(await b.remove(subject.id)).toBe(true);
    await waitFor(() => a.check(auth, Date.now()), 'valid');
    expect(await a.remove(subject.id)).toBe(false);
  });

  it('a new instance starts from what Redis holds; before its first sync it cannot say', async () => {
    const a = await instance();
    await a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt });
    const late = createRedisRevocationList({ client: connect() });
    lists.push(late);
    expect(late.check(auth, Date.now())).toBe('unknown');
    await late.ready();
    expect(late.check(auth, Date.now())).toBe('revoked');
  });

  it('misses nothing while its push connection is down, and goes stale after maxStaleness', async () => {
    const a = await instance();
    const subscriber = connect();
    const b = await instance({ subscriber, maxStaleness: 0.2 });
    const ended = new Promise((r) => subscriber.once('end', r));
    subscriber.disconnect();
    await ended;
    await a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt });
    // Within maxStaleness the last copy still answers (it has not heard of the revocation).
    expect(b.check(auth, Date.now())).toBe('valid');
    await new Promise((r) => setTimeout(r, 250));
    expect(b.check(auth, Date.now())).toBe('unknown');
    await subscriber.connect();
    // Reconnected: resubscribed and resynchronised, the missed revocation is there.
    await waitFor(() => b.check(auth, Date.now()), 'revoked');
  });

  it('Redis down: a revocation rejects so the caller knows; back up: it works again', async () => {
    const a = await instance();
    await redis.stop();
    try {
      await expect(
        a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt }),
      ).rejects.toBeInstanceOf(RevocationStoreError);
    } finally {
      await redis.restart();
    }
    await waitFor(() => String(a.syncedAt() !== undefined), 'true');
    let done = false;
    for (let i = 0; i < 40 && !done; i++) {
      done = await a
        .revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt })
        .then(
          () => true,
          () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
        );
    }
    expect(done).toBe(true);
    expect(a.check(auth, Date.now())).toBe('revoked');
  });

  it('ignores malformed entries and messages planted in Redis', async () => {
    const admin = connect();
    await new Promise((r) => admin.once('ready', r));
    await admin.hset('tokenward:{revocations}:entries', 'x', 'not json', 'y', '{"kind":"token"}');
    const a = await instance();
    expect(await a.list()).toEqual([]);
    await admin.publish('tokenward:{revocations}:events', '{oops');
    await admin.publish(
      'tokenward:{revocations}:events',
      JSON.stringify({ op: 'add', entry: { kind: 'nope' } }),
    );
    expect(a.check(auth, Date.now())).toBe('valid');
  });

  describe('resynchronisations', () => {
    /**
     * Holds the next snapshots read through `client` after Redis has answered them, until
     * released: a slow resynchronisation, as on a loaded network.
     */
    function holdSnapshots(client: Redis, count: number) {
      const taken: Array<Promise<void>> = [];
      const marks: Array<() => void> = [];
      for (let i = 0; i < count; i++) taken.push(new Promise<void>((r) => marks.push(r)));
      let release: () => void = () => undefined;
      const released = new Promise<void>((r) => (release = r));
      const hgetall = client.hgetall.bind(client) as (key: string) => Promise<unknown>;
      let held = 0;
      jest.spyOn(client, 'hgetall').mockImplementation((async (key: string) => {
        const snapshot = await hgetall(key);
        if (held < count) {
          marks[held++]?.();
          await released;
        }
        return snapshot;
      }) as never);
      return { taken, release };
    }
    const reconnect = async (subscriber: Redis) => {
      const ended = new Promise((r) => subscriber.once('end', r));
      subscriber.disconnect();
      await ended;
      await subscriber.connect();
    };

    it('one its push connection dropped under leaves the copy stale (never fresh and blind)', async () => {
      const a = await instance();
      const client = connect();
      const subscriber = connect();
      const b = await instance({ client, subscriber, maxStaleness: 0.2, timeout: 5000 });
      const { taken, release } = holdSnapshots(client, 1);
      await reconnect(subscriber);
      await taken[0];
      // The push connection drops while the snapshot is read, and a revocation is made that B
      // never hears of.
      const ended = new Promise((r) => subscriber.once('end', r));
      subscriber.disconnect();
      await ended;
      await a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt });
      release();
      await waitFor(() => String(b.syncedAt() !== undefined), 'true');
      await new Promise((r) => setTimeout(r, 300));
      // Past maxStaleness since the connection dropped: the copy cannot say (503), it does not
      // answer `valid` for a revoked token.
      expect(b.check(auth, Date.now())).toBe('unknown');
      await subscriber.connect();
      await waitFor(() => b.check(auth, Date.now()), 'revoked');
    });

    it('one at a time: a slow one does not put an older snapshot back over a pushed revocation', async () => {
      const a = await instance();
      const client = connect();
      const subscriber = connect();
      const b = await instance({ client, subscriber, timeout: 5000 });
      const { taken, release } = holdSnapshots(client, 1);
      await reconnect(subscriber);
      await taken[0];
      // A second reconnection asks for another resynchronisation while the first is held.
      await reconnect(subscriber);
      await a.revokeToken({ issuer: auth.issuer, jti: 'shared-1', expiresAt: auth.expiresAt });
      await waitFor(() => b.check(auth, Date.now()), 'revoked');
      const releasedAt = Date.now();
      release();
      // The held snapshot (without the revocation) is applied, then what was pushed meanwhile:
      // the token stays revoked at every moment, and the next resynchronisation agrees.
      for (let i = 0; i < 50; i++) {
        expect(b.check(auth, Date.now())).toBe('revoked');
        await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => String((b.syncedAt() ?? 0) >= releasedAt), 'true');
      expect(b.check(auth, Date.now())).toBe('revoked');
    });
  });

  it('close(): the copy goes stale; a subscriber of the application is left connected', async () => {
    const subscriber = connect();
    const b = await instance({ subscriber, maxStaleness: 0.2 });
    await b.close();
    await new Promise((r) => setTimeout(r, 250));
    expect(b.check(auth, Date.now())).toBe('unknown');
    expect(subscriber.status).toBe('ready');
    expect(subscriber.listenerCount('message')).toBe(0);
  });

  it('refuses bad options', () => {
    expect(() => createRedisRevocationList({} as never)).toThrow(/expected \{ client \}/);
    const client = connect();
    expect(() => createRedisRevocationList({ client, maxStaleness: 0 })).toThrow(/^maxStaleness:/);
    expect(() => createRedisRevocationList({ client, timeout: -1 })).toThrow(/^timeout:/);
    expect(() => createRedisRevocationList({ client, prefix: '' })).toThrow(/^prefix:/);
    expect(() => createRedisRevocationList({ client, maxEntries: 0 })).toThrow(/^maxEntries:/);
  });
});
