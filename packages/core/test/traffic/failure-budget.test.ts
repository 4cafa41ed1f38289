/**
 * The `failureBudget` option through the verifier: N token failures from one address → its next
 * requests are refused with 429 and Retry-After before any key look-up, signature check or cache
 * answer; other addresses are unaffected; only 401 token failures count (not the 429 itself, a
 * missing token, a 403 or a 503); windows and blocks end; IPv6 counts per /64.
 */
import {
  createMemoryFailureBudgetStore,
  createVerifier,
  FailureBudgetExhaustedError,
  TokenwardError,
  type FailureBudgetStore,
  type KeyLookup,
  type RequestLike,
  type VerifierOptions,
} from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { outcome } from './outcome';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const from = (ip: string | undefined, token?: string): RequestLike => ({
  headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  ...(ip !== undefined && { ip }),
});
const GARBAGE = 'garbage';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A verifier whose every signature verification asks `getKey` first: `lookups()` counts them. */
function budgeted(failureBudget: VerifierOptions['failureBudget'], extra = {}) {
  let lookups = 0;
  const getKey: KeyLookup = () => {
    lookups += 1;
    return issuer.jwks;
  };
  const verifier = createVerifier(
    issuer.verifierOptions({
      getKey,
      failureBudget,
      metrics: false,
      cache: { admission: 'always' },
      ...extra,
    }),
  );
  return { verifier, lookups: () => lookups };
}

/** The memory store, with every recorded failure counted. */
function countingStore() {
  const inner = createMemoryFailureBudgetStore();
  const recorded: string[] = [];
  const store: FailureBudgetStore = {
    blockedFor: (key, now) => inner.blockedFor(key, now),
    recordFailure: (key, now, limits) => {
      recorded.push(key);
      return inner.recordFailure(key, now, limits);
    },
  };
  return { store, recorded };
}

describe('failureBudget', () => {
  it('refuses an address after N failures with 429 and Retry-After, before any key look-up', async () => {
    const { verifier, lookups } = budgeted({ failures: 5, window: 60, block: 30 });
    const valid = await issuer.issueSigned({});
    for (let i = 0; i < 5; i++) {
      expect(await outcome(verifier.verifyRequest(from('198.51.100.7', GARBAGE)))).toBe(
        '401 ERR_TOKEN_MALFORMED',
      );
    }
    expect(lookups()).toBe(0);
    const error = (await verifier
      .verifyRequest(from('198.51.100.7', valid))
      .catch((e: unknown) => e)) as TokenwardError;
    expect(error).toBeInstanceOf(FailureBudgetExhaustedError);
    expect(error).toMatchObject({ status: 429, code: 'ERR_FAILURE_BUDGET_EXHAUSTED' });
    expect(error.error).toBeUndefined();
    expect(error.headers).toEqual({ 'Retry-After': '30' });
    expect(error.toJSON()).toEqual({ error_description: expect.any(String) });
    // No key look-up, so no signature verification, ran for the refused valid token.
    expect(lookups()).toBe(0);

    // Another address is unaffected: its valid token is verified (one look-up) and accepted.
    expect(await outcome(verifier.verifyRequest(from('198.51.100.8', valid)))).toBe('accepted');
    expect(lookups()).toBe(1);
  });

  it('refuses a blocked address even for a cached token, and the synchronous path does not serve it', async () => {
    const { verifier } = budgeted({ failures: 2 });
    const valid = await issuer.issueSigned({});
    expect(await outcome(verifier.verifyRequest(from('203.0.113.9', valid)))).toBe('accepted');
    expect(verifyRequestFromCache(verifier, from('203.0.113.9', valid))).toBeDefined();
    await outcome(verifier.verifyRequest(from('203.0.113.9', GARBAGE)));
    await outcome(verifier.verifyRequest(from('203.0.113.9', GARBAGE)));
    expect(verifyRequestFromCache(verifier, from('203.0.113.9', valid))).toBeUndefined();
    expect(await outcome(verifier.verifyRequest(from('203.0.113.9', valid)))).toBe(
      '429 ERR_FAILURE_BUDGET_EXHAUSTED',
    );
    // verify(token) has no request, hence no address: it is not budgeted.
    expect(await outcome(verifier.verify(valid))).toBe('accepted');
    expect(verifyRequestFromCache(verifier, from('203.0.113.10', valid))).toBeDefined();
  });

  it('counts only 401 token failures: not its own 429, a missing token, a 403 or a 503', async () => {
    const { store, recorded } = countingStore();
    const { verifier } = budgeted(
      { failures: 2, store },
      {
        approvedClients: { isApproved: (id: string) => (id === 'down' ? 'unknown' : id === 'ok') },
      },
    );
    const ok = await issuer.issueSigned({ client_id: 'ok' });
    const rogue = await issuer.issueSigned({ client_id: 'rogue' });
    const down = await issuer.issueSigned({ client_id: 'down' });
    expect(await outcome(verifier.verifyRequest(from('192.0.2.5')))).toBe('401 ERR_TOKEN_MISSING');
    expect(await outcome(verifier.verifyRequest(from('192.0.2.5', rogue)))).toBe(
      '403 ERR_CLIENT_NOT_APPROVED',
    );
    expect(await outcome(verifier.verifyRequest(from('192.0.2.5', down)))).toBe(
      '503 ERR_CLIENT_APPROVAL_UNAVAILABLE',
    );
    expect(await outcome(verifier.verifyRequest(from('192.0.2.5', 'a b')))).toBe(
      '400 ERR_REQUEST_MALFORMED',
    );
    expect(recorded).toEqual([]);
    expect(await outcome(verifier.verifyRequest(from('192.0.2.5', ok)))).toBe('accepted');

    await outcome(verifier.verifyRequest(from('192.0.2.5', GARBAGE)));
    await outcome(verifier.verifyRequest(from('192.0.2.5', GARBAGE)));
    expect(recorded).toEqual(['192.0.2.5', '192.0.2.5']);
    for (let i = 0; i < 3; i++) {
      expect(await outcome(verifier.verifyRequest(from('192.0.2.5', GARBAGE)))).toBe(
        '429 ERR_FAILURE_BUDGET_EXHAUSTED',
      );
    }
    expect(recorded).toHaveLength(2);
    // A request without an address is neither budgeted nor counted.
    expect(await outcome(verifier.verifyRequest(from(undefined, GARBAGE)))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    expect(recorded).toHaveLength(2);
  });

  it('forgets a window that ends below the limit, and ends a block after `block` seconds', async () => {
    const { verifier } = budgeted({ failures: 3, window: 0.3, block: 0.3 });
    const valid = await issuer.issueSigned({});
    const ip = '198.51.100.20';
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    await sleep(350);
    // The window of the first two ended: two more failures do not reach three.
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from(ip, valid)))).toBe('accepted');
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from(ip, valid)))).toBe(
      '429 ERR_FAILURE_BUDGET_EXHAUSTED',
    );
    await sleep(350);
    expect(await outcome(verifier.verifyRequest(from(ip, valid)))).toBe('accepted');
    // The address starts again with a whole budget.
    await outcome(verifier.verifyRequest(from(ip, GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from(ip, valid)))).toBe('accepted');
  });

  it('counts IPv6 addresses per /64 and IPv4-mapped addresses as IPv4', async () => {
    const { verifier } = budgeted({ failures: 2 });
    const valid = await issuer.issueSigned({});
    await outcome(verifier.verifyRequest(from('2001:db8:1:2::1', GARBAGE)));
    await outcome(verifier.verifyRequest(from('2001:db8:1:2::ffff', GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from('2001:db8:1:2:abcd::9', valid)))).toBe(
      '429 ERR_FAILURE_BUDGET_EXHAUSTED',
    );
    expect(await outcome(verifier.verifyRequest(from('2001:db8:1:3::1', valid)))).toBe('accepted');
    await outcome(verifier.verifyRequest(from('::ffff:192.0.2.77', GARBAGE)));
    await outcome(verifier.verifyRequest(from('192.0.2.77', GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from('192.0.2.77', valid)))).toBe(
      '429 ERR_FAILURE_BUDGET_EXHAUSTED',
    );
  });

  it('awaits a store that answers with promises; a failing store refuses nothing', async () => {
    const inner = createMemoryFailureBudgetStore();
    let asked = 0;
    const asyncStore: FailureBudgetStore = {
      blockedFor: async (key, now) => {
        asked += 1;
        return inner.blockedFor(key, now);
      },
      recordFailure: async (key, now, limits) => inner.recordFailure(key, now, limits),
    };
    const { verifier } = budgeted({ failures: 1, store: asyncStore });
    const valid = await issuer.issueSigned({});
    await outcome(verifier.verifyRequest(from('192.0.2.90', GARBAGE)));
    expect(await outcome(verifier.verifyRequest(from('192.0.2.90', valid)))).toBe(
      '429 ERR_FAILURE_BUDGET_EXHAUSTED',
    );
    // The synchronous path cannot await the store: it leaves the request to verifyRequest
    // without asking the store a second time.
    const before = asked;
    expect(verifyRequestFromCache(verifier, from('192.0.2.91', valid))).toBeUndefined();
    expect(asked).toBe(before);

    const broken: FailureBudgetStore = {
      blockedFor: () => Promise.reject(new Error('down')),
      recordFailure: () => {
        throw new Error('down');
      },
    };
    const { verifier: lenient } = budgeted({ failures: 1, store: broken });
    expect(await outcome(lenient.verifyRequest(from('192.0.2.92', GARBAGE)))).toBe(
      '401 ERR_TOKEN_MALFORMED',
    );
    expect(await outcome(lenient.verifyRequest(from('192.0.2.92', valid)))).toBe('accepted');
  });

  it('audits the refusal as an authentication denial with its reason', async () => {
    const events: Array<Record<string, unknown>> = [];
    const { verifier } = budgeted(
      { failures: 1 },
      { audit: { sink: (e: unknown) => void events.push(e as Record<string, unknown>) } },
    );
    await outcome(verifier.verifyRequest(from('192.0.2.60', GARBAGE)));
    await outcome(verifier.verifyRequest(from('192.0.2.60', GARBAGE)));
    await verifier.close();
    expect(events.map((e) => [e.stage, e.outcome, e.reason, e.status])).toEqual([
      ['authentication', 'deny', 'ERR_TOKEN_MALFORMED', 401],
      ['authentication', 'deny', 'ERR_FAILURE_BUDGET_EXHAUSTED', 429],
    ]);
  });

  it('refuses bad options at configuration', () => {
    expect(() => budgeted({ failures: 0 })).toThrow(/^failureBudget\.failures: /);
    expect(() => budgeted({ failures: 1.5 })).toThrow(/^failureBudget\.failures: /);
    expect(() => budgeted({ window: 0 })).toThrow(/^failureBudget\.window: /);
    expect(() => budgeted({ block: -1 })).toThrow(/^failureBudget\.block: /);
    expect(() => budgeted({ block: 86_401 })).toThrow(/^failureBudget\.block: /);
    expect(() => budgeted({ store: {} as never })).toThrow(/^failureBudget\.store: /);
    expect(() => budgeted({ limit: 3 } as never)).toThrow(/^failureBudget\.limit: unknown/);
    expect(() => budgeted(true as never)).toThrow(/^failureBudget: expected an object/);
    expect(() => createMemoryFailureBudgetStore({ maxEntries: 0 })).toThrow(/^maxEntries: /);
  });

  it('keeps the memory store bounded: the least recently seen address is forgotten', async () => {
    const store = createMemoryFailureBudgetStore({ maxEntries: 2 });
    const limits = { failures: 1, windowMs: 60_000, blockMs: 60_000 };
    const now = Date.now();
    store.recordFailure('a', now, limits);
    store.recordFailure('b', now, limits);
    expect(store.blockedFor('a', now)).toBe(60_000);
    store.recordFailure('c', now, limits);
    // 'a' was read last, so 'b' was the least recently seen.
    expect(store.blockedFor('b', now)).toBe(0);
    expect(store.blockedFor('a', now)).toBe(60_000);
    expect(store.blockedFor('c', now)).toBe(60_000);
  });

  it('clock jumps: back, a block never outlasts its length and a window starts afresh; forward, both end', () => {
    const store = createMemoryFailureBudgetStore();
    const limits = { failures: 2, windowMs: 60_000, blockMs: 30_000 };
    const t = 1_000_000_000;
    store.recordFailure('a', t, limits);
    store.recordFailure('a', t, limits);
    expect(store.blockedFor('a', t - 3_600_000)).toBe(30_000);
    expect(store.blockedFor('a', t + 3_600_000)).toBe(0);
    store.recordFailure('b', t, limits);
    // An hour back: the window that "ends" 61 minutes from now is not trusted; one failure.
    store.recordFailure('b', t - 3_600_000, limits);
    expect(store.blockedFor('b', t - 3_600_000)).toBe(0);
    store.recordFailure('b', t - 3_600_000, limits);
    expect(store.blockedFor('b', t - 3_600_000)).toBe(30_000);
  });
});
