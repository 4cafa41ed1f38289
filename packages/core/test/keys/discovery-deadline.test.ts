/**
 * One `remoteKeys.timeout` for a whole discovery refresh, against a real IdP on 127.0.0.1 whose
 * metadata answers just under the timeout and whose `jwks_uri` hangs: the metadata fetches and the
 * JWK Set fetch share one deadline, so the chain fails after about one timeout (not one per
 * request), with a 503 whose cause names the URL that ran out of time. A metadata re-read that
 * hangs leaves the JWK Set fetch, at the kept `jwks_uri`, time to succeed.
 */
import { createVerifier, DISCOVERY_MAX_AGE_MS, KeysUnavailableError } from '@tokenward/core';
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
  type Behaviour,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';
import { delayed, type DelayedBehaviour } from './slow-idp';

const OIDC = '/.well-known/openid-configuration';
const OAUTH = '/.well-known/oauth-authorization-server';
const TIMEOUT_MS = 1000;
// Scheduling slack on a loaded machine; the chains below took 1.8 s and more with one timeout
// per request.
const MARGIN_MS = 450;
const clock = useClock();
const at = { currentDate: NOW };

let idp: FakeIdP;
let key: SigningKey;
const slow: DelayedBehaviour[] = [];

beforeAll(async () => {
  key = await signingKey('k1');
});
beforeEach(async () => {
  idp = await startIdP();
});
afterEach(async () => {
  for (const behaviour of slow.splice(0)) behaviour.cancel();
  await idp.close();
});

const late = (ms: number, behaviour: Behaviour) => {
  const answer = delayed(ms, behaviour);
  slow.push(answer);
  return answer;
};
const metadata = () => json({ issuer: idp.url, jwks_uri: `${idp.url}/keys` });

function discovering(logger?: { warn(message: string, details?: object): void }) {
  return createVerifier({
    issuer: idp.url,
    audience: AUDIENCE,
    discovery: true,
    cache: false,
    remoteKeys: { timeout: TIMEOUT_MS / 1000 },
    logger,
  });
}

describe('a hanging discovery chain fails after one timeout', () => {
  const notFound = () => json({ error: 'not_found' }, 404);
  it.each<[string, [path: string, ms: number, answer: () => Behaviour][]]>([
    ['openid-configuration answers at 80 % of the timeout', [[OIDC, 800, metadata]]],
    [
      'openid-configuration is a 404 at 45 %, the RFC 8414 document answers at 45 %',
      [
        [OIDC, 450, notFound],
        [OAUTH, 450, metadata],
      ],
    ],
  ])('%s, then jwks_uri hangs: 503 within 1× the timeout', async (_name, answers) => {
    for (const [path, ms, answer] of answers) idp.on(path, late(ms, answer()));
    idp.on('/keys', stall);
    const v = discovering();
    const token = await mint(key, idp.url);

    const started = performance.now();
    const error = await rejection(v.verify(token, at));
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(error.headers['WWW-Authenticate']).toBeUndefined();
    expect((error.cause as Error).message).toBe(
      `${idp.url}/keys did not answer within ${TIMEOUT_MS} ms (remoteKeys.timeout bounds the metadata and JWK Set fetches together)`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(idp.hits('/keys')).toBe(1);
    expect((await v.health()).sources[0]?.lastError?.message).toMatch(/keys did not answer/);
  });

  it('names the metadata URL when the metadata itself hangs, and fetches nothing after it', async () => {
    idp.on(OIDC, stall);
    const v = discovering();
    const started = performance.now();
    const error = await rejection(v.verify(await mint(key, idp.url), at));
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect((error.cause as Error).message).toMatch(
      `${idp.url}${OIDC} did not answer within ${TIMEOUT_MS} ms`,
    );
    expect([idp.hits(OIDC), idp.hits(OAUTH), idp.hits('/keys')]).toEqual([1, 0, 0]);
  });
});

it('keeps half the timeout for the JWK Set when a metadata re-read hangs', async () => {
  idp.on(OIDC, metadata());
  idp.on('/keys', json(jwks(key)));
  const warnings: { message: string; error: unknown }[] = [];
  const v = discovering({
    warn: (message, details) =>
      warnings.push({ message, error: (details as { error?: unknown } | undefined)?.error }),
  });
  const token = await mint(key, idp.url);
  await v.verify(token, at);
  idp.on(OIDC, stall);
  // Past the metadata's 24 hours and the default maxStaleAge: the verification waits for the
  // refresh, which must not spend the whole deadline on the metadata.
  clock.advance(DISCOVERY_MAX_AGE_MS / 1000);

  const started = performance.now();
  await expect(v.verify(token, at)).resolves.toMatchObject({ subject: 'user-1' });
  expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
  expect(warnings).toEqual([
    {
      message: 'tokenward: re-reading issuer metadata failed',
      error: expect.stringMatching(`${OIDC} did not answer within ${TIMEOUT_MS / 2} ms`),
    },
  ]);
  expect([idp.hits(OIDC), idp.hits('/keys')]).toEqual([2, 2]);
  expect((await v.health()).sources[0]).toMatchObject({ status: 'ok', age: 0 });
});
