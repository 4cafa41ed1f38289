/**
 * Backoff for a failing introspection endpoint: the breaker's states on a replaced clock
 * (thresholds, the doubling open period, Retry-After, the one trial), then against the real test
 * authorization server with real short periods: after `failureThreshold` failures no request is
 * made (counted at the server) and the 503 says when to retry; after the period one trial goes,
 * concurrent introspections fail fast while it runs, and its success closes the breaker; cached
 * answers are served throughout; inactive answers are not failures; the options are validated.
 * Timing margins are generous: every wait is well past the open period it waits for, and no
 * assertion depends on a request being fast.
 */
import { IntrospectionUnavailableError, type Verifier } from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { EndpointHealth, type Admission } from '../../src/introspection/endpoint-health';
import { json, type Answer } from './authorization-server';
import { opaqueToken, outcome, refusal, sleep, useSetup, type Setup } from './fixtures';

const setup: Setup = useSetup();
beforeEach(() => {
  setup.as.failWith = undefined;
});

const UNAVAILABLE = '503 ERR_INTROSPECTION_UNAVAILABLE';

/** The IntrospectionUnavailableError a verification of a fresh token rejects with. */
async function unavailable(verifier: Verifier): Promise<IntrospectionUnavailableError> {
  const error = await refusal(verifier.verify(opaqueToken()));
  expect(error).toBeInstanceOf(IntrospectionUnavailableError);
  return error as IntrospectionUnavailableError;
}

/** Verifies `count` fresh tokens one after the other; each must be a 503. */
async function failTimes(verifier: Verifier, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await unavailable(verifier);
}

describe('the breaker (replaced clock)', () => {
  let now = 0;
  const clock = () => now;
  const health = (failureThreshold = 3, minBackoffMs = 1000, maxBackoffMs = 5000) =>
    new EndpointHealth({ failureThreshold, minBackoffMs, maxBackoffMs }, clock);
  const waitOf = (admission: Admission) =>
    admission.kind === 'wait' ? admission.retryAfter : 'send';
  beforeEach(() => {
    now = 1_000_000;
  });

  it('opens after failureThreshold consecutive failures; a success in between resets the count', () => {
    const breaker = health(3);
    for (const ok of [false, false, true, false, false]) {
      const admission = breaker.admit();
      expect(admission).toEqual({ kind: 'send', trial: false });
      breaker.settle(admission, ok);
    }
    expect(breaker.admit().kind).toBe('send');
    breaker.settle({ kind: 'send', trial: false }, false);
    expect(waitOf(breaker.admit())).toBe(1);
  });

  it('Retry-After is the time left, rounded up, at least 1', () => {
    const breaker = health(1, 2500, 2500);
    breaker.settle(breaker.admit(), false);
    expect(waitOf(breaker.admit())).toBe(3);
    now += 1000;
    expect(waitOf(breaker.admit())).toBe(2);
    now += 1499;
    expect(waitOf(breaker.admit())).toBe(1);
  });

  it('the open period doubles from minBackoff with each failed trial, up to maxBackoff', () => {
    const breaker = health(1, 1000, 5000);
    breaker.settle(breaker.admit(), false);
    const periods: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      periods.push(waitOf(breaker.admit()) as number);
      // Just before the end the breaker is still open; at the end one trial goes.
      now += periods[i]! * 1000 - 1;
      expect(breaker.admit().kind).toBe('wait');
      now += 1;
      const trial = breaker.admit();
      expect(trial).toEqual({ kind: 'send', trial: true });
      breaker.settle(trial, false);
    }
    expect(periods).toEqual([1, 2, 4, 5, 5]);
  });

  it('lets one trial through when half-open; its success closes the breaker and resets the backoff', () => {
    const breaker = health(1, 1000, 5000);
    breaker.settle(breaker.admit(), false);
    now += 1000;
    const trial = breaker.admit();
    expect(trial).toEqual({ kind: 'send', trial: true });
    // Concurrent introspections keep failing fast while the trial runs.
    expect(waitOf(breaker.admit())).toBe(1);
    expect(waitOf(breaker.admit())).toBe(1);
    breaker.settle(trial, true);
    expect(breaker.admit()).toEqual({ kind: 'send', trial: false });
    // Closed again: the next opening starts from minBackoff, not from where it left off.
    breaker.settle(breaker.admit(), false);
    expect(waitOf(breaker.admit())).toBe(1);
  });

  it('a request sent before the breaker opened: its failure does not extend the period, its success closes', () => {
    const breaker = health(2, 1000, 5000);
    const early = [breaker.admit(), breaker.admit(), breaker.admit()];
    breaker.settle(early[0]!, false);
    breaker.settle(early[1]!, false);
    now += 500;
    breaker.settle(early[2]!, false);
    expect(waitOf(breaker.admit())).toBe(1);
    now += 500;
    expect(breaker.admit().kind).toBe('send');

    const other = health(1, 1000, 5000);
    const late = other.admit();
    other.settle(other.admit(), false);
    expect(other.admit().kind).toBe('wait');
    other.settle(late, true);
    expect(other.admit()).toEqual({ kind: 'send', trial: false });
  });
});

describe('backoff against the authorization server', () => {
  it('by default, after 5 failed requests the next introspection makes no request: 503 with Retry-After', async () => {
    const { as } = setup;
    const verifier = setup.verifier();
    as.failWith = 500;
    const before = as.requests();
    await failTimes(verifier, 5);
    expect(as.requests() - before).toBe(5);
    const error = await unavailable(verifier);
    expect(as.requests() - before).toBe(5);
    expect(error.status).toBe(503);
    expect(error.retryAfter).toBe(1);
    expect(error.headers).toEqual({ 'Retry-After': '1' });
    expect((error.cause as Error).message).toMatch(/introspection\.failureThreshold/);
  });

  it('Retry-After is the open time left, rounded up; verifyRequest answers the same 503', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 2, minBackoff: 2.5 });
    as.failWith = 502;
    await failTimes(verifier, 2);
    const before = as.requests();
    const request = { headers: { authorization: `Bearer ${opaqueToken()}` } };
    const error = await refusal(verifier.verifyRequest(request));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.headers).toEqual({ 'Retry-After': '3' });
    expect(as.requests()).toBe(before);
  });

  it('after the open period one trial goes; a failed one keeps failing fast, a good one closes', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 1, minBackoff: 0.2, maxBackoff: 0.4 });
    as.failWith = 500;
    await failTimes(verifier, 1);
    const base = as.requests();
    await failTimes(verifier, 3);
    expect(as.requests()).toBe(base);

    await sleep(600);
    await failTimes(verifier, 1); // the trial, answered 500
    expect(as.requests()).toBe(base + 1);
    await failTimes(verifier, 3); // open again (for 0.4 s)
    expect(as.requests()).toBe(base + 1);

    await sleep(1000);
    as.failWith = undefined;
    const token = opaqueToken();
    as.answer(token, setup.active());
    expect(await outcome(verifier.verify(token))).toBe('accepted'); // the trial
    expect(as.requests()).toBe(base + 2);
    // Closed: every introspection asks again.
    for (let i = 0; i < 3; i += 1) {
      expect(await outcome(verifier.verify(opaqueToken()))).toBe('401 ERR_TOKEN_INACTIVE');
    }
    expect(as.requests()).toBe(base + 5);
  });

  it('concurrent introspections while the trial runs make exactly one request', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 1, minBackoff: 0.2, maxBackoff: 0.2 });
    as.failWith = 500;
    await failTimes(verifier, 1);
    await sleep(500);
    as.failWith = undefined;
    const trialToken = opaqueToken();
    // The trial is answered late, so the other verifications certainly start while it runs.
    const slow: Answer = (request, response) =>
      void setTimeout(() => json(setup.active())(request, response), 600);
    as.answer(trialToken, slow);
    const others = Array.from({ length: 5 }, () => opaqueToken());
    for (const token of others) as.answer(token, setup.active());
    const before = as.requests();

    const trial = outcome(verifier.verify(trialToken));
    await sleep(100);
    const results = await Promise.all([
      trial,
      outcome(verifier.verify(trialToken)), // joins the trial: no request of its own
      ...others.map((token) => outcome(verifier.verify(token))),
    ]);
    expect(results).toEqual(['accepted', 'accepted', ...others.map(() => UNAVAILABLE)]);
    expect(as.requests()).toBe(before + 1);
    expect(as.requests(trialToken)).toBe(1);

    // The trial succeeded: the others are asked about now.
    expect(await outcome(verifier.verify(others[0]!))).toBe('accepted');
    expect(as.requests()).toBe(before + 2);
  });

  it('cached answers are served while the endpoint is backed off', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 1, minBackoff: 30 });
    const token = opaqueToken();
    as.answer(token, setup.active());
    const dead = opaqueToken();
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(await outcome(verifier.verify(dead))).toBe('401 ERR_TOKEN_INACTIVE');
    as.failWith = 500;
    await failTimes(verifier, 1);
    const before = as.requests();

    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(await outcome(verifier.verify(dead))).toBe('401 ERR_TOKEN_INACTIVE');
    const request = { headers: { authorization: `Bearer ${token}` } };
    expect(verifyRequestFromCache(verifier, request)?.subject).toBe('alice');
    expect((await verifier.verifyRequest(request)).subject).toBe('alice');
    expect(await outcome(verifier.verify(opaqueToken()))).toBe(UNAVAILABLE);
    expect(as.requests()).toBe(before);
  });

  it("applies to mode 'always' too: a verified JWT is refused with 503 while backed off", async () => {
    const { as, issuer } = setup;
    const verifier = setup.verifier({ mode: 'always', failureThreshold: 1, minBackoff: 30 });
    as.failWith = 500;
    await failTimes(verifier, 1);
    const before = as.requests();
    expect(await outcome(verifier.verify(await issuer.issueSigned()))).toBe(UNAVAILABLE);
    expect(as.requests()).toBe(before);
  });

  it('an inactive answer is an answer, not a failure; only consecutive failures count', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 2, inactiveCacheAge: 0, minBackoff: 30 });
    const before = as.requests();
    for (let i = 0; i < 6; i += 1) {
      expect(await outcome(verifier.verify(opaqueToken()))).toBe('401 ERR_TOKEN_INACTIVE');
    }
    expect(as.requests()).toBe(before + 6);
    // failure, answer, failure: never two in a row, so every one is asked.
    as.failWith = 500;
    await failTimes(verifier, 1);
    as.failWith = undefined;
    expect(await outcome(verifier.verify(opaqueToken()))).toBe('401 ERR_TOKEN_INACTIVE');
    as.failWith = 500;
    await failTimes(verifier, 2); // the second in a row opens the breaker
    expect(as.requests()).toBe(before + 10);
    as.failWith = undefined;
    expect(await outcome(verifier.verify(opaqueToken()))).toBe(UNAVAILABLE);
    expect(as.requests()).toBe(before + 10);
  });

  it('counts timeouts and unreadable answers as failures', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: 2, minBackoff: 30, timeout: 0.2 });
    const stalled = opaqueToken();
    as.answer(stalled, () => {});
    const garbled = opaqueToken();
    as.answer(garbled, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"active": tru');
    });
    expect(await outcome(verifier.verify(stalled))).toBe(UNAVAILABLE);
    expect(await outcome(verifier.verify(garbled))).toBe(UNAVAILABLE);
    const before = as.requests();
    const token = opaqueToken();
    as.answer(token, setup.active());
    expect(await outcome(verifier.verify(token))).toBe(UNAVAILABLE);
    expect(as.requests(token)).toBe(0);
    expect(as.requests()).toBe(before);
  });

  it('failureThreshold false: every introspection asks, however many fail', async () => {
    const { as } = setup;
    const verifier = setup.verifier({ failureThreshold: false });
    as.failWith = 500;
    const before = as.requests();
    await failTimes(verifier, 12);
    expect(as.requests()).toBe(before + 12);
  });
});

describe('the backoff options', () => {
  const create = (introspection: Record<string, unknown>) => () =>
    setup.verifier(introspection as never);

  it.each([
    [
      'failureThreshold 0',
      { failureThreshold: 0 },
      /^introspection\.failureThreshold: expected a whole number of at least 1, or false/,
    ],
    ['failureThreshold 2.5', { failureThreshold: 2.5 }, /^introspection\.failureThreshold: /],
    ['failureThreshold true', { failureThreshold: true }, /^introspection\.failureThreshold: /],
    ['failureThreshold "5"', { failureThreshold: '5' }, /^introspection\.failureThreshold: /],
    [
      'minBackoff 0',
      { minBackoff: 0 },
      /^introspection\.minBackoff: expected a number of seconds greater than 0 and at most 3600/,
    ],
    ['minBackoff -1', { minBackoff: -1 }, /^introspection\.minBackoff: /],
    ['minBackoff "1"', { minBackoff: '1' }, /^introspection\.minBackoff: /],
    [
      'maxBackoff NaN',
      { maxBackoff: Number.NaN },
      /^introspection\.maxBackoff: expected a number of seconds/,
    ],
    ['maxBackoff Infinity', { maxBackoff: Infinity }, /^introspection\.maxBackoff: /],
    ['maxBackoff 3601', { maxBackoff: 3601 }, /^introspection\.maxBackoff: /],
    [
      'maxBackoff below minBackoff',
      { minBackoff: 10, maxBackoff: 5 },
      /^introspection\.maxBackoff: expected at least minBackoff/,
    ],
    [
      'minBackoff with failureThreshold false',
      { failureThreshold: false, minBackoff: 1 },
      /^introspection\.minBackoff: not used with failureThreshold false/,
    ],
    [
      'maxBackoff with failureThreshold false',
      { failureThreshold: false, maxBackoff: 1 },
      /^introspection\.maxBackoff: not used with failureThreshold false/,
    ],
  ])('%s is a TypeError', (_name, introspection, message) => {
    expect(create(introspection)).toThrow(TypeError);
    expect(create(introspection)).toThrow(message);
  });

  it.each([
    ['the defaults', {}],
    ['failureThreshold false', { failureThreshold: false }],
    ['fractional seconds', { failureThreshold: 1, minBackoff: 0.05, maxBackoff: 0.5 }],
    ['maxBackoff alone below the default minBackoff', { maxBackoff: 0.5 }],
    ['minBackoff alone above the default maxBackoff', { minBackoff: 60 }],
  ])('%s: accepted', (_name, introspection) => {
    expect(create(introspection)).not.toThrow();
  });
});
