/**
 * The Redis approved-client list against a real redis-server, with two lists on separate
 * connections standing for two API instances and a real verifier on one of them: an approval or a
 * withdrawal on one is applied on the other within the push delay, an instance's own change
 * applies at once and is not undone by an older one, a push during a resynchronisation is kept,
 * the copy answers 'unknown' (503) before its first sync and once stale, a missed change is found
 * on reconnect, and a change Redis cannot take rejects.
 */
import Redis, { type RedisOptions } from 'ioredis';
import { createVerifier, TokenwardError, type Verifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import {
  ApprovedClientsStoreError,
  createRedisApprovedClients,
  type RedisApprovedClients,
  type RedisApprovedClientsOptions,
} from '../src';
import { startRedisServer, type RedisServer } from '../../../test/helpers/redis-server';

const PREFIX = 'tokenward:{approved-clients}:';
let redis: RedisServer;
let issuer: TestIssuer;
let token: string;
const clients: Redis[] = [];
const lists: RedisApprovedClients[] = [];

const connect = (options: RedisOptions = {}) => {
  const client = new Redis(redis.url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    ...options,
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
};
const connected = async (client: Redis) => {
  if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  return client;
};
const create = (extra: Partial<RedisApprovedClientsOptions> = {}) => {
  const list = createRedisApprovedClients({ client: connect(), timeout: 500, ...extra });
  lists.push(list);
  return list;
};
const instance = async (extra: Partial<RedisApprovedClientsOptions> = {}) => {
  const list = create(extra);
  await list.ready();
  return list;
};
/** Polls `read` until it returns `until`, up to `ms`; returns the milliseconds it took. */
async function waitFor(read: () => unknown, until: unknown, ms = 2000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (read() === until) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`still ${String(read())} after ${ms} ms, expected ${String(until)}`);
}
/** How a verification ended: 'accepted' or '<status> <code>'. */
const outcome = (verifier: Verifier): Promise<string> =>
  verifier.verify(token).then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? `${e.status} ${e.code}` : Promise.reject(e)),
  );
const verifierWith = (approvedClients: RedisApprovedClients) =>
  createVerifier(issuer.verifierOptions({ approvedClients, metrics: false }));
/**
 * Publishes a change from another instance and waits until `list` has it: every message
 * published before has reached `list` by then (one channel, delivered in order).
 */
async function flush(list: RedisApprovedClients, via: RedisApprovedClients) {
  const sentinel = `sentinel-${Math.random()}`;
  await via.approve(sentinel);
  await waitFor(() => list.isApproved(sentinel, undefined as never), true);
}
const approvedOn = (list: RedisApprovedClients, id: string) => () =>
  list.isApproved(id, undefined as never);

beforeAll(async () => {
  // Append-only, so a restarted Redis still holds the list (as a production one should).
  redis = await startRedisServer({ appendOnly: true });
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  token = await issuer.issueSigned({ client_id: 'app' });
});
afterEach(async () => {
  await Promise.all(lists.splice(0).map((l) => l.close()));
  for (const c of clients.splice(0)) c.disconnect();
  const admin = new Redis(redis.url);
  await admin.flushall();
  admin.disconnect();
});
afterAll(() => redis.stop());

describe('createRedisApprovedClients', () => {
  it('an approval on one instance is accepted on the other within the push delay', async () => {
    const [a, b] = [await instance(), await instance()];
    const verifierB = verifierWith(b);
    expect(await outcome(verifierB)).toBe('403 ERR_CLIENT_NOT_APPROVED');
    await a.approve('app');
    // A bound for a test on a loaded machine, not a measurement.
    expect(await waitFor(approvedOn(b, 'app'), true, 1000)).toBeLessThan(1000);
    expect(await outcome(verifierB)).toBe('accepted');
    expect(await b.list()).toEqual(['app']);
  });

  it('a withdrawal on one instance is refused on the other: 403 ERR_CLIENT_NOT_APPROVED', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.approve('app', 'other');
    await waitFor(approvedOn(b, 'app'), true);
    const verifierB = verifierWith(b);
    expect(await outcome(verifierB)).toBe('accepted');
    await a.withdraw('app');
    await waitFor(approvedOn(b, 'app'), false, 1000);
    expect(await outcome(verifierB)).toBe('403 ERR_CLIENT_NOT_APPROVED');
    expect(b.isApproved('other', undefined as never)).toBe(true);
    expect(await b.list()).toEqual(['other']);
  });

  it("an instance's own change applies at once, and an older change arriving late does not undo it", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.approve('app');
    expect(a.isApproved('app', undefined as never)).toBe(true);
    await a.withdraw('app');
    expect(a.isApproved('app', undefined as never)).toBe(false);
    // A's own approval echoed back after its withdrawal, or an approval older than it from
    // another instance: either arrives with an older version and is ignored.
    const admin = await connected(connect());
    await admin.publish(`${PREFIX}events`, JSON.stringify({ op: 'approve', ids: ['app'], v: 1 }));
    await flush(a, b);
    expect(a.isApproved('app', undefined as never)).toBe(false);
    expect(await outcome(verifierWith(a))).toBe('403 ERR_CLIENT_NOT_APPROVED');
  });

  it('a new instance starts from what Redis holds; before its first sync it answers unknown (503)', async () => {
    const a = await instance();
    await a.approve('app');
    // A subscriber not yet connected holds the first sync back for as long as the test needs.
    const subscriber = connect({ lazyConnect: true });
    const late = create({ subscriber });
    expect(late.isApproved('app', undefined as never)).toBe('unknown');
    expect(late.syncedAt()).toBeUndefined();
    expect(await outcome(verifierWith(late))).toBe('503 ERR_CLIENT_APPROVAL_UNAVAILABLE');
    await subscriber.connect();
    await late.ready();
    expect(late.isApproved('app', undefined as never)).toBe(true);
    expect(await outcome(verifierWith(late))).toBe('accepted');
  });

  it('a push that arrives during a resynchronisation is kept', async () => {
    const a = await instance();
    const client = connect();
    const subscriber = connect();
    const b = await instance({ client, subscriber, timeout: 2000 });
    await a.approve('gone');
    await waitFor(approvedOn(b, 'gone'), true);
    // Hold B's next snapshot after Redis has taken it, so changes land after it but before B
    // applies it.
    let snapshotTaken: () => void = () => undefined;
    const taken = new Promise<void>((r) => (snapshotTaken = r));
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const multi = client.multi.bind(client);
    jest.spyOn(client, 'multi').mockImplementation((() => {
      const transaction = multi();
      const exec = transaction.exec.bind(transaction);
      transaction.exec = (async () => {
        const results = await exec();
        snapshotTaken();
        await released;
        return results;
      }) as typeof transaction.exec;
      return transaction;
    }) as typeof client.multi);
    const ended = new Promise((r) => subscriber.once('end', r));
    subscriber.disconnect();
    await ended;
    await subscriber.connect();
    await taken;
    await a.approve('app');
    await a.withdraw('gone');
    // Pushed and applied to the copy while the snapshot (without 'app', with 'gone') is held.
    await waitFor(approvedOn(b, 'app'), true);
    await waitFor(approvedOn(b, 'gone'), false);
    const releasedAt = Date.now();
    release();
    await waitFor(() => (b.syncedAt() ?? 0) >= releasedAt, true);
    expect(b.isApproved('app', undefined as never)).toBe(true);
    expect(b.isApproved('gone', undefined as never)).toBe(false);
  });

  it('misses nothing while its push connection is down, and goes stale after maxStaleness', async () => {
    const a = await instance();
    await a.approve('app');
    const subscriber = connect();
    const b = await instance({ subscriber, maxStaleness: 0.2 });
    expect(b.isApproved('app', undefined as never)).toBe(true);
    const ended = new Promise((r) => subscriber.once('end', r));
    subscriber.disconnect();
    await ended;
    await a.withdraw('app');
    // Within maxStaleness the last copy still answers (it has not heard of the withdrawal).
    expect(b.isApproved('app', undefined as never)).toBe(true);
    await waitFor(approvedOn(b, 'app'), 'unknown', 1000);
    expect(await outcome(verifierWith(b))).toBe('503 ERR_CLIENT_APPROVAL_UNAVAILABLE');
    await subscriber.connect();
    // Reconnected: resubscribed and resynchronised, the missed withdrawal is there.
    await waitFor(approvedOn(b, 'app'), false);
    expect(await outcome(verifierWith(b))).toBe('403 ERR_CLIENT_NOT_APPROVED');
  });

  it('Redis stopped: unknown after maxStaleness and a change rejects; restarted: resynchronised', async () => {
    const a = await instance({ maxStaleness: 0.2 });
    // A client with ioredis's offline queue: a change must not wait in it, to be made later.
    const queueing = await instance({
      client: connect({ enableOfflineQueue: true, maxRetriesPerRequest: null }),
    });
    await a.approve('app');
    const verifierA = verifierWith(a);
    expect(await outcome(verifierA)).toBe('accepted');
    await redis.stop();
    try {
      await waitFor(approvedOn(a, 'app'), 'unknown', 1000);
      expect(await outcome(verifierA)).toBe('503 ERR_CLIENT_APPROVAL_UNAVAILABLE');
      const started = performance.now();
      await expect(a.approve('other')).rejects.toBeInstanceOf(ApprovedClientsStoreError);
      await expect(a.withdraw('app')).rejects.toBeInstanceOf(ApprovedClientsStoreError);
      await expect(a.list()).rejects.toBeInstanceOf(ApprovedClientsStoreError);
      await expect(queueing.approve('queued')).rejects.toBeInstanceOf(ApprovedClientsStoreError);
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await redis.restart();
    }
    // ioredis reconnects by itself; the list resubscribes and resynchronises.
    await waitFor(approvedOn(a, 'app'), true, 4000);
    expect(a.isApproved('other', undefined as never)).toBe(false);
    expect(await outcome(verifierA)).toBe('accepted');
    await a.approve('other');
    await waitFor(approvedOn(queueing, 'other'), true, 4000);
    expect(await a.list()).toEqual(['app', 'other']);
  });

  it('a Redis that does not answer: a change rejects within timeout', async () => {
    const a = await instance({ timeout: 300 });
    const admin = await connected(connect());
    // Write commands (scripts included) wait while the pause lasts.
    await admin.call('CLIENT', 'PAUSE', '2000', 'WRITE');
    try {
      const started = performance.now();
      const error = await a.approve('app').catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(ApprovedClientsStoreError);
      expect((error as Error).message).toMatch(/within 300 ms/);
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(1000);
      // Nothing changed here: the caller was told it failed.
      expect(a.isApproved('app', undefined as never)).toBe(false);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
    }
  });

  it('changes made after Redis lost its data still apply on every copy', async () => {
    const [a, b] = [await instance(), await instance()];
    await a.approve('app');
    await waitFor(approvedOn(b, 'app'), true);
    const admin = await connected(connect());
    await admin.flushall();
    // The version restarts from Redis's clock, not from 1, so B takes it as newer.
    await a.withdraw('app');
    await waitFor(approvedOn(b, 'app'), false);
  });

  it('seeds `initial` only when Redis holds no list, so a restart does not re-approve', async () => {
    const a = await instance({ initial: ['app', 'web'] });
    expect(await a.list()).toEqual(['app', 'web']);
    expect(a.isApproved('app', undefined as never)).toBe(true);
    await a.withdraw('app');
    const restarted = await instance({ initial: ['app', 'web'] });
    expect(restarted.isApproved('app', undefined as never)).toBe(false);
    expect(restarted.isApproved('web', undefined as never)).toBe(true);
    expect(await restarted.list()).toEqual(['web']);
  });

  it('ignores malformed messages and members planted in Redis', async () => {
    const admin = await connected(connect());
    await admin.sadd(`${PREFIX}ids`, 'bad\u0000id', 'web');
    const [a, b] = [await instance(), await instance()];
    expect(await a.list()).toEqual(['web']);
    expect(a.isApproved('bad\u0000id', undefined as never)).toBe(false);
    const channel = `${PREFIX}events`;
    for (const text of [
      '{oops',
      'null',
      '42',
      '[]',
      JSON.stringify({ op: 'approve', ids: ['app'] }),
      JSON.stringify({ op: 'approve', ids: ['app'], v: -1 }),
      JSON.stringify({ op: 'approve', ids: ['app'], v: '9999999999999' }),
      JSON.stringify({ op: 'approve', ids: 'app', v: 9_999_999_999_999 }),
      JSON.stringify({ op: 'approve', ids: [], v: 9_999_999_999_999 }),
      JSON.stringify({ op: 'approve', ids: ['app', 'x\ny'], v: 9_999_999_999_999 }),
      JSON.stringify({ op: 'add', ids: ['app'], v: 9_999_999_999_999 }),
      JSON.stringify({ op: 'withdraw', ids: [{}], v: 9_999_999_999_999 }),
    ]) {
      await admin.publish(channel, text);
    }
    await flush(a, b);
    expect(a.isApproved('app', undefined as never)).toBe(false);
    expect(a.isApproved('web', undefined as never)).toBe(true);
    // Still working after them.
    await b.approve('app');
    await waitFor(approvedOn(a, 'app'), true);
  });

  it('refuses bad client ids with a TypeError naming the method, and bad options', async () => {
    const a = await instance();
    await expect(a.approve('')).rejects.toThrow(/^approve: expected client ids/);
    await expect(a.approve('ok', 'x'.repeat(257))).rejects.toThrow(TypeError);
    await expect(a.approve('tab\there')).rejects.toThrow(/^approve:/);
    await expect(a.withdraw(42 as never)).rejects.toThrow(/^withdraw: expected client ids/);
    expect(a.isApproved('ok', undefined as never)).toBe(false);
    await a.approve('x'.repeat(256));
    expect(await a.list()).toEqual(['x'.repeat(256)]);
    const client = connect();
    expect(() => createRedisApprovedClients({} as never)).toThrow(/expected \{ client \}/);
    expect(() => createRedisApprovedClients({ client, initial: [''] })).toThrow(/^initial:/);
    expect(() => createRedisApprovedClients({ client, initial: 'app' as never })).toThrow(
      /^initial:/,
    );
    expect(() => createRedisApprovedClients({ client, maxStaleness: 0 })).toThrow(/^maxStaleness:/);
    expect(() => createRedisApprovedClients({ client, timeout: -1 })).toThrow(/^timeout:/);
    expect(() => createRedisApprovedClients({ client, prefix: '' })).toThrow(/^prefix:/);
  });

  it('close() closes the subscriber it created, and leaves one it was given open', async () => {
    const client = connect();
    const duplicate = jest.spyOn(client, 'duplicate');
    const owning = await instance({ client });
    const created = duplicate.mock.results[0]?.value as Redis;
    expect(created.status).toBe('ready');
    await owning.close();
    await waitFor(() => created.status, 'end');

    const given = await connected(connect());
    const borrowing = await instance({ subscriber: given, maxStaleness: 0.2 });
    await borrowing.close();
    expect(given.status).toBe('ready');
    expect(given.listenerCount('message')).toBe(0);
    // Closed: no more pushes reach the copy, so it goes stale.
    await waitFor(approvedOn(borrowing, 'app'), 'unknown', 1000);
  });
});
