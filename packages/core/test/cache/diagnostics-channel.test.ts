/**
 * No cache hands what it holds to a diagnostics channel. lru-cache 11.3 and later publish every
 * operation on `node:diagnostics_channel` (`lru-cache:metrics`, and `tracingChannel('lru-cache')`
 * for fetches) as soon as anything in the process subscribes: the key (here the whole bearer
 * token), the value (the verified claims) and the cache instance itself. An observability agent
 * subscribing would export tokens, so the packages pin lru-cache to the last release without
 * that instrumentation; this test fails if an upgrade brings it back.
 */
import { channel, subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { createVerifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

const METRICS = 'lru-cache:metrics';
const published: unknown[] = [];
const record = (message: unknown): void => void published.push(message);
const tracing = tracingChannel('lru-cache');
const traceHandlers = {
  start: record,
  end: record,
  asyncStart: record,
  asyncEnd: record,
  error: record,
};

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
  subscribe(METRICS, record);
  tracing.subscribe(traceHandlers);
});
afterAll(() => {
  unsubscribe(METRICS, record);
  tracing.unsubscribe(traceHandlers);
});

it('subscribers of lru-cache’s channels are told nothing while tokens are cached, hit and evicted', async () => {
  expect(channel(METRICS).hasSubscribers).toBe(true);
  const verifier = createVerifier(
    issuer.verifierOptions({
      cache: { admission: 'always', maxEntries: 2 },
      // Its per-address LRU too, with a failure to count.
      failureBudget: { failures: 5, window: 60, block: 60 },
    }),
  );
  const tokens = await Promise.all([1, 2, 3].map((n) => issuer.issueNested({ sub: `user-${n}` })));
  const request = (token: string) => ({
    method: 'GET',
    url: '/',
    headers: { authorization: `Bearer ${token}` },
    ip: '192.0.2.7',
  });
  // Stored, hit, then evicted by the next ones (maxEntries 2), and stored again.
  for (let round = 0; round < 2; round++) {
    for (const token of tokens) {
      await expect(verifier.verifyRequest(request(token))).resolves.toMatchObject({
        token,
      });
      await verifier.verifyRequest(request(token));
    }
  }
  await expect(verifier.verifyRequest(request('not-a-token'))).rejects.toMatchObject({
    status: 401,
  });
  expect(published).toEqual([]);
});
