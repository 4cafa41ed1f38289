/**
 * Stale-while-revalidate of remote JWK Sets, against a real JWKS server on 127.0.0.1 that answers
 * once and then hangs: past `cacheMaxAge`, verifications whose `kid` the held set knows are
 * answered from it at once while the refresh runs in the background; an unknown `kid` waits for
 * that same refresh; `maxStaleAge` still bounds how long a held set serves.
 *
 * "At once" is asserted structurally: the verifications settle before the hanging fetch's timeout
 * fires (signalled by the logger's failure line), or before the slow server has answered. Jest
 * fails a test on an unhandled rejection, so each test also shows that a failed background
 * refresh leaves none.
 */
import {
  createVerifier,
  DEFAULT_REMOTE_KEYS,
  KeysUnavailableError,
  type TokenwardError,
  type VerifierOptions,
} from '@tokenward/core';
import { rejection } from '../helpers/keys';
import {
  AUDIENCE,
  json,
  jwks,
  mint,
  NOW,
  signingKey,
  stall,
  startIdP,
  useClock,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';
import { delayed, signal, type DelayedBehaviour } from './slow-idp';

const ISSUER = 'https://issuer.example.com/';
const JWKS = '/jwks.json';
const FAILED = 'tokenward: fetching the remote JWK Set failed';
const clock = useClock();
const at = { currentDate: NOW };

let idp: FakeIdP;
let k1: SigningKey;
let k2: SigningKey;
let slow: DelayedBehaviour | undefined;

beforeAll(async () => {
  [k1, k2] = await Promise.all([signingKey('k1'), signingKey('k2')]);
});
beforeEach(async () => {
  idp = await startIdP();
  idp.on(JWKS, json(jwks(k1)));
});
afterEach(async () => {
  slow?.cancel();
  slow = undefined;
  await idp.close();
});

/** A verifier whose logger signals each failed fetch; cache off so every call looks up keys. */
function verifier(remoteKeys: VerifierOptions['remoteKeys']) {
  const failures: string[] = [];
  let next = signal<string>();
  const v = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${idp.url}${JWKS}`,
    cache: false,
    remoteKeys,
    logger: {
      warn: (message, details) => {
        if (message !== FAILED) return;
        failures.push(String(details?.error));
        next.resolve(String(details?.error));
        next = signal<string>();
      },
    },
  });
  /** Resolves with the reason of the next failed fetch. */
  const nextFailure = () => next.promise;
  return { v, failures, nextFailure };
}

/** Which settles first: `work`, or the failure of the hanging refresh. */
function first(work: Promise<unknown>, failure: Promise<string>): Promise<string> {
  return Promise.race([work.then(() => 'verified'), failure.then(() => 'refresh failed')]);
}

async function unavailable(promise: Promise<unknown>): Promise<TokenwardError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(KeysUnavailableError);
  expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
  expect(error.status).toBe(503);
  expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  expect(error.headers['WWW-Authenticate']).toBeUndefined();
  return error;
}

it('answers concurrent verifications of a known kid from the held set while the refresh hangs', async () => {
  const { v, nextFailure } = verifier({ timeout: 1 });
  const token = await mint(k1, ISSUER);
  await v.verify(token, at); // the one answer the server gives
  idp.on(JWKS, stall);
  clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);

  const failure = nextFailure();
  const verified = Promise.all(Array.from({ length: 100 }, () => v.verify(token, at)));
  // A kid the held set lacks must wait for the (shared) refresh, and fails closed with it.
  const unknown = unavailable(v.verify(await mint(k2, ISSUER), at));
  expect(await first(verified, failure)).toBe('verified');
  for (const result of await verified) expect(result).toMatchObject({ subject: 'user-1' });
  expect((await v.health()).sources[0]).toMatchObject({ status: 'ok', lastError: undefined });

  // The background refresh then times out, is reported, and the held set goes on serving.
  expect(await failure).toMatch(/jwks\.json did not answer within 1000 ms/);
  const error = await unknown;
  expect((error.cause as Error).message).toMatch(/did not answer within 1000 ms/);
  expect(idp.hits(JWKS)).toBe(2); // one refresh for all 101 verifications
  expect((await v.health()).sources[0]?.status).toBe('stale');
  await expect(v.verify(token, at)).resolves.toMatchObject({ subject: 'user-1' });
  expect(idp.hits(JWKS)).toBe(2); // within the cooldown
});

it('lets an unknown kid wait for the refresh that brings it, while known kids do not wait', async () => {
  const { v } = verifier({ timeout: 2 });
  const token1 = await mint(k1, ISSUER);
  const token2 = await mint(k2, ISSUER);
  await v.verify(token1, at);
  slow = delayed(300, json(jwks(k1, k2))); // the issuer rotated k2 in; its server is slow
  idp.on(JWKS, slow);
  clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);

  const answeredBefore: Record<string, boolean> = {};
  const known = v.verify(token1, at).then(() => {
    answeredBefore.known = slow?.answered() ?? true;
  });
  const rotated = v.verify(token2, at).then(() => {
    answeredBefore.rotated = slow?.answered() ?? true;
  });
  await Promise.all([known, rotated]);
  expect(answeredBefore).toEqual({ known: false, rotated: true });
  expect(idp.hits(JWKS)).toBe(2); // the kid lookup shared the background refresh
});

it('serves a held set at most maxStaleAge while refreshes keep failing, then fails closed', async () => {
  const { v, failures, nextFailure } = verifier({
    cacheMaxAge: 60,
    cooldown: 10,
    maxStaleAge: 120,
    timeout: 0.3,
  });
  const token = await mint(k1, ISSUER);
  await v.verify(token, at);
  idp.on(JWKS, stall);

  clock.advance(60); // past cacheMaxAge: served at once, refreshed in the background
  let failure = nextFailure();
  expect(await first(v.verify(token, at), failure)).toBe('verified');
  await failure;
  clock.advance(60); // exactly maxStaleAge old: still served at once
  failure = nextFailure();
  expect(await first(v.verify(token, at), failure)).toBe('verified');
  await failure;
  expect(idp.hits(JWKS)).toBe(3);

  clock.advance(1); // past maxStaleAge, within the cooldown: nothing may serve, nothing is fetched
  const error = await unavailable(v.verify(token, at));
  expect(error.headers['Retry-After']).toBe('9');
  expect(idp.hits(JWKS)).toBe(3);
  expect((await v.health()).sources[0]?.status).toBe('unavailable');

  clock.advance(10); // past the cooldown: the verification waits for the attempt, which fails
  const started = performance.now();
  const late = await unavailable(v.verify(token, at));
  expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  expect((late.cause as Error).message).toMatch(/did not answer within 300 ms/);
  expect(idp.hits(JWKS)).toBe(4);
  expect(failures).toHaveLength(3);
});
