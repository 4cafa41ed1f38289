/**
 * `jwksUri` against a real HTTP server on 127.0.0.1 that rotates keys, goes down, stalls, answers
 * garbage, a 10 MB body or a redirect: every test asserts the verdicts and the number of fetches
 * the server saw. The cache clock is `Date.now`, driven by `useClock`; nothing sleeps longer than
 * the 200 ms test timeout. A refresh past `cacheMaxAge` runs in the background (the held set
 * answers), so tests that assert its outcome wait for it with `eventually`.
 */
import { generateKeyPairSync, randomUUID, sign as cryptoSign } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import {
  createVerifier,
  DEFAULT_REMOTE_KEYS,
  KeysUnavailableError,
  type TokenwardError,
  type TokenwardLogger,
  type VerifierOptions,
} from '@tokenward/core';
import { fixedLocator, RemoteKeySource } from '../../src/keys/remote-jwks';
import { resolveRemoteKeysSettings } from '../../src/keys/remote-options';
import { anAccessToken, rejection } from '../helpers/keys';
import { eventually } from './eventually';
import {
  AUDIENCE,
  huge,
  json,
  jwks,
  mint,
  NOW,
  raw,
  redirect,
  reset,
  signingKey,
  stall,
  startIdP,
  useClock,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';

const ISSUER = 'https://issuer.example.com/';
const JWKS = '/jwks.json';
const clock = useClock();

let idp: FakeIdP;
let k1: SigningKey;
let k2: SigningKey;

beforeAll(async () => {
  [k1, k2] = await Promise.all([signingKey('k1'), signingKey('k2')]);
});
beforeEach(async () => {
  idp = await startIdP();
  idp.on(JWKS, json(jwks(k1)));
});
afterEach(() => idp.close());

function verifier(options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${idp.url}${JWKS}`,
    // These tests count key fetches when the same token is verified again; the verified-token
    // cache would answer those without looking at keys at all.
    cache: false,
    ...options,
  });
}

const at = { currentDate: NOW };

async function unavailable(promise: Promise<unknown>): Promise<TokenwardError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(KeysUnavailableError);
  expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
  expect(error.status).toBe(503);
  expect(error.error).toBeUndefined();
  expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  expect(error.headers['WWW-Authenticate']).toBeUndefined();
  expect(error.toJSON()).toEqual({
    error_description: "the issuer's signing keys are temporarily unavailable; retry later",
  });
  return error;
}

async function invalid(promise: Promise<unknown>, code: string): Promise<TokenwardError> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
  return error;
}

describe('caching', () => {
  it('fetches the JWK Set once and serves many verifications from it', async () => {
    const v = verifier();
    const token = await mint(k1, ISSUER);
    for (let i = 0; i < 20; i++) {
      await expect(v.verify(token, at)).resolves.toMatchObject({ issuer: ISSUER });
    }
    expect(idp.hits(JWKS)).toBe(1);
  });

  it('does not fetch before the first verification', async () => {
    verifier();
    expect(idp.total()).toBe(0);
  });

  it('re-fetches once the set is cacheMaxAge old, not before', async () => {
    const v = verifier();
    const token = await mint(k1, ISSUER);
    await v.verify(token, at);
    clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge - 1);
    await v.verify(token, at);
    expect(idp.hits(JWKS)).toBe(1);
    clock.advance(1);
    await v.verify(token, at); // answered from the held set; the refresh runs in the background
    await eventually(() => expect(idp.hits(JWKS)).toBe(2));
  });

  it('honours a configured cacheMaxAge', async () => {
    const v = verifier({ remoteKeys: { cacheMaxAge: 60, cooldown: 10 } });
    const token = await mint(k1, ISSUER);
    await v.verify(token, at);
    clock.advance(60);
    await v.verify(token, at);
    await eventually(async () => expect((await v.health()).sources[0]?.age).toBe(0));
    clock.advance(59);
    await v.verify(token, at);
    expect(idp.hits(JWKS)).toBe(2);
  });
});

describe('rotation', () => {
  it('picks up a new kid with one fetch once the cooldown has passed, and drops the retired key', async () => {
    const v = verifier();
    await v.verify(await mint(k1, ISSUER), at);
    idp.on(JWKS, json(jwks(k2))); // the issuer rotates: k2 in, k1 out
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown);
    await expect(v.verify(await mint(k2, ISSUER), at)).resolves.toMatchObject({ issuer: ISSUER });
    expect(idp.hits(JWKS)).toBe(2);
    // k1 is gone from the new set; asking again within the cooldown costs nothing.
    await invalid(v.verify(await mint(k1, ISSUER), at), 'ERR_JWS_KEY_NOT_FOUND');
    expect(idp.hits(JWKS)).toBe(2);
  });

  it('waits out the cooldown before looking for a new kid', async () => {
    const v = verifier();
    await v.verify(await mint(k1, ISSUER), at);
    idp.on(JWKS, json(jwks(k1, k2)));
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown - 1);
    const token2 = await mint(k2, ISSUER);
    await invalid(v.verify(token2, at), 'ERR_JWS_KEY_NOT_FOUND');
    expect(idp.hits(JWKS)).toBe(1);
    clock.advance(1);
    await expect(v.verify(token2, at)).resolves.toMatchObject({ subject: 'user-1' });
    expect(idp.hits(JWKS)).toBe(2);
  });

  it('coalesces 1,000 concurrent verifications with one new kid into one fetch', async () => {
    const v = verifier();
    await v.verify(await mint(k1, ISSUER), at);
    idp.on(JWKS, json(jwks(k1, k2)));
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown);
    const token2 = await mint(k2, ISSUER);
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, () => v.verify(token2, at)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1000);
    expect(idp.hits(JWKS)).toBe(2);
  });

  it('SD-23: makes at most one fetch per cooldown for tokens with random kids', async () => {
    const v = verifier();
    const attacker = await signingKey('attacker');
    const burst = () =>
      Promise.all(
        Array.from({ length: 200 }, async () => {
          const token = await mint({ ...attacker, kid: randomUUID() }, ISSUER);
          return invalid(v.verify(token, at), 'ERR_JWS_KEY_NOT_FOUND');
        }),
      );
    await burst();
    expect(idp.hits(JWKS)).toBe(1); // the first fetch, then nothing within the cooldown
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown - 1);
    await burst();
    expect(idp.hits(JWKS)).toBe(1);
    clock.advance(1);
    await burst();
    expect(idp.hits(JWKS)).toBe(2);
  });
});

describe('an issuer that goes down', () => {
  it('SD-24: keeps verifying with the last good set (stale-if-error), then fails closed after maxStaleAge', async () => {
    const warnings: string[] = [];
    const logger: TokenwardLogger = { warn: (message) => warnings.push(message) };
    const v = verifier({ logger });
    const token = await mint(k1, ISSUER);
    await v.verify(token, at);
    idp.on(JWKS, json({ error: 'down' }, 500));

    clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);
    await expect(v.verify(token, at)).resolves.toMatchObject({ issuer: ISSUER });
    await eventually(() =>
      expect(warnings).toEqual(['tokenward: fetching the remote JWK Set failed']),
    );
    expect(idp.hits(JWKS)).toBe(2);
    let health = (await v.health()).sources[0];
    expect(health).toMatchObject({ status: 'stale', age: DEFAULT_REMOTE_KEYS.cacheMaxAge });
    expect(health?.lastError?.message).toContain('answered HTTP 500');

    // Within the cooldown, failing or not, no further fetch.
    await v.verify(token, at);
    expect(idp.hits(JWKS)).toBe(2);

    clock.advance(DEFAULT_REMOTE_KEYS.maxStaleAge - DEFAULT_REMOTE_KEYS.cacheMaxAge);
    await expect(v.verify(token, at)).resolves.toMatchObject({ token: token }); // exactly maxStaleAge old: still used
    await eventually(() => expect(warnings).toHaveLength(2));
    expect(idp.hits(JWKS)).toBe(3);
    clock.advance(1);
    await unavailable(v.verify(token, at));
    expect(idp.hits(JWKS)).toBe(3); // within the cooldown of the last attempt
    health = (await v.health()).sources[0];
    expect(health?.status).toBe('unavailable');
    expect((await v.health()).ready).toBe(false);

    // The issuer comes back: the next attempt after the cooldown recovers.
    idp.on(JWKS, json(jwks(k1)));
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown);
    await expect(v.verify(token, at)).resolves.toMatchObject({ token: token });
    expect(idp.hits(JWKS)).toBe(4);
    expect((await v.health()).sources[0]).toMatchObject({ status: 'ok', lastError: undefined });
    expect(warnings.at(-1)).toBe('tokenward: remote JWK Set fetched again');
  });

  it('answers 503 while a new kid cannot be looked up, and 503 with no set at all', async () => {
    const v = verifier();
    await v.verify(await mint(k1, ISSUER), at);
    idp.on(JWKS, reset);
    clock.advance(DEFAULT_REMOTE_KEYS.cooldown);
    // The kid may well exist: we cannot tell, so this is our outage, not a bad token.
    await unavailable(v.verify(await mint(k2, ISSUER), at));
    expect(idp.hits(JWKS)).toBe(2);
    // The known key still verifies from the stale set.
    await expect(v.verify(await mint(k1, ISSUER), at)).resolves.toMatchObject(anAccessToken);
    expect(idp.hits(JWKS)).toBe(2);

    const cold = verifier();
    const error = await unavailable(cold.verify(await mint(k1, ISSUER), at));
    expect(error.headers['Retry-After']).toBe(String(DEFAULT_REMOTE_KEYS.cooldown));
    expect((error.cause as Error).message).toMatch(/could not be fetched/);
    await unavailable(cold.verify(await mint(k1, ISSUER), at));
    expect(idp.hits(JWKS)).toBe(3); // one attempt for the cold verifier, then the cooldown
  });

  it('gives up on a stalled endpoint after the timeout and serves the held set meanwhile', async () => {
    const v = verifier({ remoteKeys: { timeout: 0.2 } });
    const token = await mint(k1, ISSUER);
    await v.verify(token, at);
    idp.on(JWKS, stall);
    clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);
    await expect(v.verify(token, at)).resolves.toMatchObject({ token: token });
    await eventually(async () => expect((await v.health()).sources[0]?.status).toBe('stale'));
    expect(idp.hits(JWKS)).toBe(2);
    const health = (await v.health()).sources[0];
    expect(health?.lastError?.message).toMatch(/did not answer within 200 ms/);
    expect(health?.status).toBe('stale');
  });

  it('fails a cold verifier closed when the endpoint stalls', async () => {
    idp.on(JWKS, stall);
    const v = verifier({ remoteKeys: { timeout: 0.2 } });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async () => v.verify(await mint(k1, ISSUER), at)),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(KeysUnavailableError);
    }
    expect(idp.hits(JWKS)).toBe(1);
  });
});

describe('responses that are not a usable JWK Set', () => {
  const cases: [string, () => ReturnType<typeof json>, RegExp][] = [
    ['HTML', () => raw('<html>oops</html>'), /did not answer UTF-8 JSON/],
    ['a JSON array', () => raw('[1,2,3]'), /did not answer a JSON object/],
    ['invalid UTF-8', () => raw(Buffer.from([0x7b, 0xff, 0x7d])), /did not answer UTF-8 JSON/],
    ['an object without keys', () => json({ hello: 'world' }), /did not answer a JWK Set/],
    ['keys that are not objects', () => json({ keys: ['a', 1, null] }), /no usable key/],
    ['an empty set', () => json({ keys: [] }), /no usable key/],
    ['duplicate members', () => raw('{"keys":[],"keys":[]}'), /duplicate members/],
    ['gzip', () => raw('{}', { 'content-encoding': 'gzip' }), /encoded body/],
    [
      'too many keys',
      () => json({ keys: Array.from({ length: 101 }, () => ({})) }),
      /more than 100 keys/,
    ],
    ['a 404', () => json({}, 404), /answered HTTP 404/],
  ];

  it.each(cases)(
    'refuses %s: 503, one fetch, the reason in health()',
    async (_name, make, reason) => {
      idp.on(JWKS, make());
      const v = verifier();
      await unavailable(v.verify(await mint(k1, ISSUER), at));
      expect(idp.hits(JWKS)).toBe(1);
      const health = await v.health(); // within the cooldown: no second fetch
      expect(idp.hits(JWKS)).toBe(1);
      expect(health.ready).toBe(false);
      expect(health.sources[0]?.lastError?.message).toMatch(reason);
    },
  );

  it('keeps the last good set when the endpoint starts answering garbage', async () => {
    const v = verifier();
    const token = await mint(k1, ISSUER);
    await v.verify(token, at);
    idp.on(JWKS, raw('garbage'));
    clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);
    await expect(v.verify(token, at)).resolves.toMatchObject({ token: token });
    await eventually(async () => expect((await v.health()).sources[0]?.status).toBe('stale'));
    expect(idp.hits(JWKS)).toBe(2);
  });

  it.each([
    ['declared in content-length', true],
    ['streamed without a length', false],
  ])('refuses a 10 MB body %s, without reading it all', async (_name, declared) => {
    const body = huge(10 * 1024 * 1024, declared);
    idp.on(JWKS, body);
    const v = verifier();
    const error = await unavailable(v.verify(await mint(k1, ISSUER), at));
    expect((error.cause as Error).message).toMatch(
      `answered more than ${DEFAULT_REMOTE_KEYS.maxResponseSize} bytes`,
    );
    expect(idp.hits(JWKS)).toBe(1);
    // The server could not have pushed 10 MB through a connection we closed early (socket
    // buffers are far smaller).
    expect(body.sent()).toBeLessThan(10 * 1024 * 1024);
  });

  it('honours a configured maxResponseSize', async () => {
    const v = verifier({ remoteKeys: { maxResponseSize: 100 } });
    await unavailable(v.verify(await mint(k1, ISSUER), at));
    expect(JSON.stringify(jwks(k1)).length).toBeGreaterThan(100);
    expect(idp.hits(JWKS)).toBe(1);
  });

  it('SD-21: does not follow a redirect', async () => {
    idp.on(JWKS, redirect('/elsewhere.json'));
    idp.on('/elsewhere.json', json(jwks(k1)));
    const v = verifier();
    const error = await unavailable(v.verify(await mint(k1, ISSUER), at));
    expect((error.cause as Error).message).toMatch(/redirect/);
    expect(idp.hits(JWKS)).toBe(1);
    expect(idp.hits('/elsewhere.json')).toBe(0);
  });
});

describe('key hygiene on what arrives', () => {
  it('SD-25: ignores private, symmetric, short and non-signature keys, logs why, and never logs key material', async () => {
    const leaked = await signingKey('leaked');
    const leakedPrivate = { ...(await exportJWK(leaked.privateKey)), kid: 'leaked', alg: 'ES256' };
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const shortJwk = { ...short.publicKey.export({ format: 'jwk' }), kid: 'short', alg: 'RS256' };
    const secret = Buffer.alloc(32, 7);
    const encOnly = await signingKey('enc');
    const opsEncrypt = await signingKey('ops');
    idp.on(
      JWKS,
      json({
        keys: [
          k1.publicJwk,
          leakedPrivate,
          { kty: 'oct', k: secret.toString('base64url'), kid: 'hmac', alg: 'HS256' },
          shortJwk,
          { ...encOnly.publicJwk, use: 'enc' },
          { ...opsEncrypt.publicJwk, use: undefined, key_ops: ['encrypt'] },
          { kty: 'RSA', kid: 'broken', n: 'AQAB', e: 'AQAB' },
          { ...k2.publicJwk, kid: 42 },
        ],
      }),
    );
    const logs: unknown[] = [];
    const v = verifier({ logger: { warn: (message, details) => logs.push({ message, details }) } });

    await expect(v.verify(await mint(k1, ISSUER), at)).resolves.toMatchObject(anAccessToken);
    await invalid(v.verify(await mint(leaked, ISSUER), at), 'ERR_JWS_KEY_NOT_FOUND');
    await invalid(v.verify(await mint(encOnly, ISSUER), at), 'ERR_JWS_KEY_NOT_FOUND');
    await invalid(v.verify(await mint(opsEncrypt, ISSUER), at), 'ERR_JWS_KEY_NOT_FOUND');
    // A token signed with the published HMAC secret: HS is never allowed with remote keys.
    const forged = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256', kid: 'hmac', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(NOW.getTime() / 1000) + 60)
      .sign(secret);
    await invalid(v.verify(forged, at), 'ERR_JWS_ALG_NOT_ALLOWED');
    // A token signed with the 1024-bit key (jose refuses to sign with it, so sign by hand).
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'RS256', kid: 'short', typ: 'at+jwt' })}.${encode({
      iss: ISSUER,
      aud: AUDIENCE,
      exp: Math.floor(NOW.getTime() / 1000) + 60,
    })}`;
    const signature = cryptoSign('sha256', Buffer.from(input), short.privateKey);
    await invalid(
      v.verify(`${input}.${signature.toString('base64url')}`, at),
      'ERR_JWS_KEY_NOT_FOUND',
    );
    expect(idp.hits(JWKS)).toBe(1);

    const health = await v.health();
    expect(health.sources[0]).toMatchObject({ status: 'ok', keyCount: 1, fetchCount: 1 });
    const text = JSON.stringify(logs);
    expect(text).toContain(
      '"kid":"leaked","reason":"it carries private or symmetric key material"',
    );
    expect(text).toContain('"kid":"hmac","reason":"it carries private or symmetric key material"');
    expect(text).toMatch(/"kid":"short","reason":"[^"]*at least 2048 bits/);
    expect(text).toContain('"kid":"broken"');
    expect(text).toContain('"kid":null,"reason":"kid is not a string"');
    expect(text).not.toContain('"enc"'); // encryption keys are skipped quietly
    expect(text).not.toContain(String(leakedPrivate.d));
    expect(text).not.toContain(secret.toString('base64url'));
  });

  it('respects a key alg: a key published for ES384 does not verify ES256', async () => {
    idp.on(JWKS, json({ keys: [{ ...k1.publicJwk, alg: 'ES384' }] }));
    const v = verifier();
    await invalid(v.verify(await mint(k1, ISSUER), at), 'ERR_JWS_KEY_NOT_FOUND');
    expect(idp.hits(JWKS)).toBe(1);
  });
});

describe('what never causes a fetch', () => {
  it('an HS token, a token of an unknown issuer, a disallowed alg, a malformed token', async () => {
    const v = verifier({ algorithms: ['ES256'] });
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .sign(Buffer.alloc(32));
    await invalid(v.verify(hs, at), 'ERR_JWS_ALG_NOT_ALLOWED');
    await invalid(v.verify(await mint(k1, 'https://other.example.com/'), at), 'ERR_ISSUER_INVALID');
    const es384 = await signingKey('k384', 'ES384');
    await invalid(v.verify(await mint(es384, ISSUER), at), 'ERR_JWS_ALG_NOT_ALLOWED');
    await invalid(v.verify('a.b.c', at), 'ERR_TOKEN_MALFORMED');
    expect(idp.total()).toBe(0);
  });
});

describe('RemoteKeySource on its own', () => {
  it('answers no key for a non-asymmetric alg without fetching (defence in depth)', async () => {
    const source = new RemoteKeySource(
      fixedLocator(new URL(`${idp.url}${JWKS}`)),
      [ISSUER],
      resolveRemoteKeysSettings(undefined, undefined),
    );
    for (const alg of ['HS256', 'none', 'RSA-OAEP']) {
      await expect(source.getKeys({ alg, kid: 'k1' })).resolves.toEqual([]);
    }
    expect(idp.total()).toBe(0);
    await expect(source.getKeys({ alg: 'ES256', kid: 'k1' })).resolves.toHaveLength(1);
    expect(idp.total()).toBe(1);
  });
});

describe('health()', () => {
  it('warms a cold source once per cooldown and reports its state', async () => {
    const v = verifier();
    let health = await v.health();
    expect(idp.hits(JWKS)).toBe(1);
    expect(health).toEqual({
      ready: true,
      maxTokenLifetimes: {},
      sources: [
        {
          kind: 'jwks',
          issuers: [ISSUER],
          jwksUri: `${idp.url}${JWKS}`,
          status: 'ok',
          lastSuccessAt: NOW,
          age: 0,
          lastError: undefined,
          keyCount: 1,
          fetchCount: 1,
        },
      ],
    });
    clock.advance(42);
    health = await v.health();
    expect(health.sources[0]?.age).toBe(42);
    expect(idp.hits(JWKS)).toBe(1);
  });

  it('reports local keys as always ready', async () => {
    const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: k1.publicJwk });
    expect(await v.health()).toEqual({
      ready: true,
      maxTokenLifetimes: {},
      sources: [
        {
          kind: 'keys',
          issuers: [ISSUER],
          jwksUri: undefined,
          status: 'ok',
          lastSuccessAt: undefined,
          age: undefined,
          lastError: undefined,
          keyCount: 1,
          fetchCount: 0,
        },
      ],
    });
  });

  it('shares one fetch between concurrent probes, and reports a failure as unavailable', async () => {
    idp.on(JWKS, stall);
    const v = verifier({ remoteKeys: { timeout: 0.2 } });
    const first = v.health();
    const [health] = await Promise.all([first, v.health()]);
    expect(health.sources[0]?.status).toBe('unavailable');
    expect(idp.hits(JWKS)).toBe(1); // two concurrent probes share one fetch
  });
});

describe('a logger that throws', () => {
  it('does not break verification', async () => {
    const v = verifier({
      logger: {
        warn: () => {
          throw new Error('logger down');
        },
        info: () => {
          throw new Error('logger down');
        },
      },
    });
    await expect(v.verify(await mint(k1, ISSUER), at)).resolves.toMatchObject(anAccessToken);
    idp.on(JWKS, json({}, 500));
    clock.advance(DEFAULT_REMOTE_KEYS.cacheMaxAge);
    await expect(v.verify(await mint(k1, ISSUER), at)).resolves.toMatchObject(anAccessToken);
    await eventually(async () => expect((await v.health()).sources[0]?.status).toBe('stale'));
    expect(idp.hits(JWKS)).toBe(2);
  });
});
