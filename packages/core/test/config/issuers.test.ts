/**
 * Several issuers at once (`issuer` as an array with discovery, or `issuers: [...]`): a token is
 * checked only against the keys of the issuer it names, only when that issuer is configured, with
 * that issuer's audience and algorithms; HS tokens never cause a fetch. Plus the option checks of
 * the remote key options.
 */
import { SignJWT } from 'jose';
import { createVerifier, type TokenwardError, type VerifierOptions } from '@tokenward/core';
import { anAccessToken, rejection } from '../helpers/keys';
import {
  AUDIENCE,
  json,
  jwks,
  mint,
  NOW,
  signingKey,
  startIdP,
  useClock,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';

useClock();
const at = { currentDate: NOW };
const OIDC = '/.well-known/openid-configuration';
const SECRET = Buffer.alloc(32, 9);

let idp: FakeIdP;
let keyA: SigningKey;
let keyB: SigningKey;
let sameKidB: SigningKey;
let rsaC: SigningKey;

beforeAll(async () => {
  [keyA, keyB, sameKidB, rsaC] = await Promise.all([
    signingKey('a-1'),
    signingKey('b-1'),
    signingKey('a-1'), // B publishes a key with A's kid: a kid never crosses issuers
    signingKey('c-1', 'RS256'),
  ]);
});
beforeEach(async () => {
  idp = await startIdP();
});
afterEach(() => idp.close());

async function invalid(promise: Promise<unknown>, code: string): Promise<TokenwardError> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  return error;
}

function hsToken(issuer: string, aud = AUDIENCE) {
  return new SignJWT({ sub: 'svc' })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(aud)
    .setExpirationTime(Math.floor(NOW.getTime() / 1000) + 60)
    .sign(SECRET);
}

describe('issuer as an array with discovery', () => {
  it('discovers each issuer on its own and checks a token only against its issuer keys', async () => {
    const a = `${idp.url}/a`;
    const b = `${idp.url}/b`;
    idp.on(`/a${OIDC}`, json({ issuer: a, jwks_uri: `${idp.url}/a/keys` }));
    idp.on(`/b${OIDC}`, json({ issuer: b, jwks_uri: `${idp.url}/b/keys` }));
    idp.on('/a/keys', json(jwks(keyA)));
    idp.on('/b/keys', json(jwks(keyB, sameKidB)));
    const v = createVerifier({ issuer: [a, b], audience: AUDIENCE, discovery: true });

    await expect(v.verify(await mint(keyA, a), at)).resolves.toMatchObject({ issuer: a });
    expect([idp.hits(`/a${OIDC}`), idp.hits('/a/keys'), idp.hits(`/b${OIDC}`)]).toEqual([1, 1, 0]);
    await expect(v.verify(await mint(keyB, b), at)).resolves.toMatchObject({ issuer: b });
    // A's key, A's kid, but naming B: B's key with that kid does not verify it.
    await invalid(v.verify(await mint(keyA, b), at), 'ERR_JWS_SIGNATURE_INVALID');
    // B's key naming A: A has no such kid.
    await invalid(v.verify(await mint(keyB, a), at), 'ERR_JWS_KEY_NOT_FOUND');
    expect(idp.total()).toBe(4);

    const health = await v.health();
    expect(health.sources.map((s) => [s.kind, s.issuers, s.status])).toEqual([
      ['discovery', [a], 'ok'],
      ['discovery', [b], 'ok'],
    ]);
  });

  it('keeps one issuer working while the other is down', async () => {
    const a = `${idp.url}/a`;
    const b = `${idp.url}/b`;
    idp.on(`/a${OIDC}`, json({ issuer: a, jwks_uri: `${idp.url}/a/keys` }));
    idp.on('/a/keys', json(jwks(keyA)));
    idp.on(`/b${OIDC}`, json({ error: 'down' }, 500));
    const v = createVerifier({ issuer: [a, b], audience: AUDIENCE, discovery: true });
    await expect(v.verify(await mint(keyA, a), at)).resolves.toMatchObject(anAccessToken);
    const error = await rejection(v.verify(await mint(keyB, b), at));
    expect(error.status).toBe(503);
    const health = await v.health();
    expect(health.ready).toBe(false);
    expect(health.sources.map((s) => s.status)).toEqual(['ok', 'unavailable']);
  });

  it('shares one JWK Set between issuers given with a single jwksUri', async () => {
    idp.on('/keys', json(jwks(keyA)));
    const v = createVerifier({
      issuer: ['https://one.example.com/', 'https://two.example.com/'],
      audience: AUDIENCE,
      jwksUri: `${idp.url}/keys`,
    });
    await v.verify(await mint(keyA, 'https://one.example.com/'), at);
    await v.verify(await mint(keyA, 'https://two.example.com/'), at);
    expect(idp.hits('/keys')).toBe(1);
    expect((await v.health()).sources).toHaveLength(1);
  });
});

describe('issuers: [...]', () => {
  const A = 'https://a.example.com/';
  const B = 'https://b.example.com/';
  const C = 'https://c.example.com/';

  function verifier(extra: Partial<VerifierOptions> = {}) {
    return createVerifier({
      audience: AUDIENCE,
      issuers: [
        { issuer: A, jwksUri: `${idp.url}/a/keys` },
        { issuer: B, secret: SECRET, audience: 'https://b-api.example.com' },
        { issuer: C, keys: rsaC.publicJwk, algorithms: ['PS256'] },
      ],
      ...extra,
    });
  }

  beforeEach(() => {
    idp.on('/a/keys', json(jwks(keyA)));
  });

  it('verifies each issuer with its own key source, fetching only for the remote one', async () => {
    const v = verifier();
    await expect(v.verify(await mint(keyA, A), at)).resolves.toMatchObject({ issuer: A });
    await expect(
      v.verify(await hsToken(B, 'https://b-api.example.com'), at),
    ).resolves.toMatchObject({ issuer: B, subject: 'svc' });
    expect(idp.hits('/a/keys')).toBe(1);
    const health = await v.health();
    expect(health.sources.map((s) => [s.kind, s.issuers])).toEqual([
      ['jwks', [A]],
      ['secret', [B]],
      ['keys', [C]],
    ]);
    expect(health.ready).toBe(true);
  });

  it('holds each issuer to its own audience', async () => {
    const v = verifier();
    await invalid(v.verify(await hsToken(B, AUDIENCE), at), 'ERR_AUDIENCE_INVALID');
    await invalid(
      v.verify(await mint(keyA, A, { aud: 'https://b-api.example.com' }), at),
      'ERR_AUDIENCE_INVALID',
    );
  });

  it('holds each issuer to its own algorithms, before any key lookup', async () => {
    const v = verifier();
    // C allows PS256 only; an RS256 token of C's key fails on the algorithm.
    await invalid(v.verify(await mint(rsaC, C), at), 'ERR_JWS_ALG_NOT_ALLOWED');
    // An HS token naming the remote issuer A, or the public-key issuer C, is refused without a
    // fetch, even though HS256 is allowed for B.
    await invalid(v.verify(await hsToken(A), at), 'ERR_JWS_ALG_NOT_ALLOWED');
    await invalid(v.verify(await hsToken(C), at), 'ERR_JWS_ALG_NOT_ALLOWED');
    // A key of A naming B (the HMAC issuer) fails on the algorithm too.
    await invalid(
      v.verify(await mint(keyA, B, { aud: 'https://b-api.example.com' }), at),
      'ERR_JWS_ALG_NOT_ALLOWED',
    );
    expect(idp.total()).toBe(0);
  });

  it('refuses a token naming an issuer that is not configured, without a fetch', async () => {
    const v = verifier();
    await invalid(
      v.verify(await mint(keyA, 'https://evil.example.com/'), at),
      'ERR_ISSUER_INVALID',
    );
    await invalid(v.verify(await mint(keyA, A.slice(0, -1)), at), 'ERR_ISSUER_INVALID');
    expect(idp.total()).toBe(0);
  });

  it('applies a top-level algorithms option to the issuers that set none', async () => {
    const v = createVerifier({
      audience: AUDIENCE,
      algorithms: ['ES384'],
      issuers: [{ issuer: A, jwksUri: `${idp.url}/a/keys` }],
    });
    await invalid(v.verify(await mint(keyA, A), at), 'ERR_JWS_ALG_NOT_ALLOWED');
    expect(idp.total()).toBe(0);
  });
});

describe('option checks', () => {
  const A = 'https://a.example.com/';
  const jwksUri = 'https://a.example.com/keys';
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'issuers with issuer',
      { issuer: A, issuers: [{ issuer: A, jwksUri }] },
      /^issuer: not allowed with the issuers option/,
    ],
    [
      'issuers with keys',
      { keys: {}, issuers: [{ issuer: A, jwksUri }] },
      /^keys: not allowed with the issuers option/,
    ],
    [
      'issuers with jwksUri',
      { jwksUri, issuers: [{ issuer: A, jwksUri }] },
      /^jwksUri: not allowed/,
    ],
    ['an empty issuers list', { issuers: [] }, /^issuers: expected a non-empty array/],
    [
      'an issuers entry that is not an object',
      { issuers: ['x'] },
      /^issuers\[0\]: expected an object/,
    ],
    [
      'an unknown entry option',
      { issuers: [{ issuer: A, jwksUri, jwks: 1 }] },
      /^issuers\[0\]\.jwks: unknown option/,
    ],
    [
      'an entry without issuer',
      { issuers: [{ jwksUri }] },
      /^issuers\[0\]\.issuer: expected a non-empty string/,
    ],
    [
      'an entry with two issuers',
      { issuers: [{ issuer: [A, A], jwksUri }] },
      /^issuers\[0\]\.issuer: expected one issuer/,
    ],
    [
      'an issuer listed twice',
      {
        issuers: [
          { issuer: A, jwksUri },
          { issuer: A, jwksUri },
        ],
      },
      /^issuers\[1\]\.issuer: listed twice/,
    ],
    [
      'an entry without a key source',
      { issuers: [{ issuer: A }] },
      /^issuers\[0\]\.keys, issuers\[0\]\.secret, issuers\[0\]\.jwksUri, issuers\[0\]\.discovery, issuers\[0\]\.getKey: give exactly one/,
    ],
    [
      'an entry with two key sources',
      { issuers: [{ issuer: A, jwksUri, secret: SECRET }] },
      /give exactly one signature key source/,
    ],
    [
      'an entry without audience and no default',
      { audience: undefined, issuers: [{ issuer: A, jwksUri }] },
      /^issuers\[0\]\.audience: required/,
    ],
    [
      'a short entry secret',
      { issuers: [{ issuer: A, secret: 'short' }] },
      /^issuers\[0\]\.secret: must be at least 32 bytes/,
    ],
    [
      'an HS algorithm for a remote issuer',
      { issuers: [{ issuer: A, jwksUri, algorithms: ['HS256'] }] },
      /^issuers\[0\]\.algorithms: HS256 is only allowed with the secret option/,
    ],
    [
      'jwksUri over plain http',
      { issuer: A, jwksUri: 'http://keys.example.com/jwks' },
      /^jwksUri: it must use https/,
    ],
    [
      'jwksUri with credentials',
      { issuer: A, jwksUri: 'https://u:p@keys.example.com/' },
      /^jwksUri: it must not carry credentials/,
    ],
    [
      'jwksUri that is no URL',
      { issuer: A, jwksUri: '/jwks.json' },
      /^jwksUri: expected an absolute URL/,
    ],
    [
      'an HS algorithm with jwksUri',
      { issuer: A, jwksUri, algorithms: ['HS256'] },
      /^algorithms: HS256 is only allowed with the secret option/,
    ],
    [
      'an unknown remoteKeys option',
      { issuer: A, jwksUri, remoteKeys: { ttl: 1 } },
      /^remoteKeys\.ttl: unknown option/,
    ],
    [
      'remoteKeys that is not an object',
      { issuer: A, jwksUri, remoteKeys: 5 },
      /^remoteKeys: expected an options object/,
    ],
    [
      'a zero cooldown',
      { issuer: A, jwksUri, remoteKeys: { cooldown: 0 } },
      /^remoteKeys\.cooldown: expected a number greater than 0/,
    ],
    [
      'a timeout over 60 s',
      { issuer: A, jwksUri, remoteKeys: { timeout: 61 } },
      /^remoteKeys\.timeout: expected a number greater than 0 and at most 60/,
    ],
    [
      'maxStaleAge under cacheMaxAge',
      { issuer: A, jwksUri, remoteKeys: { cacheMaxAge: 600, maxStaleAge: 60 } },
      /^remoteKeys\.maxStaleAge: must be at least remoteKeys\.cacheMaxAge/,
    ],
    [
      'a fractional size cap',
      { issuer: A, jwksUri, remoteKeys: { maxResponseSize: 1.5 } },
      /^remoteKeys\.maxResponseSize: expected a whole number/,
    ],
    [
      'a logger without warn',
      { issuer: A, jwksUri, logger: { info: () => {} } },
      /^logger: expected an object with a warn/,
    ],
    [
      'an unknown top-level option',
      { issuer: A, jwksUri, jwks_uri: jwksUri },
      /^jwks_uri: unknown option/,
    ],
  ];

  it.each(cases)('refuses %s with a TypeError naming the option', (_name, options, message) => {
    const build = () => createVerifier({ audience: AUDIENCE, ...options } as VerifierOptions);
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });

  it('raises the default maxStaleAge to a longer cacheMaxAge', async () => {
    expect(() =>
      createVerifier({
        issuer: A,
        audience: AUDIENCE,
        jwksUri,
        remoteKeys: { cacheMaxAge: 86400 },
      }),
    ).not.toThrow();
  });

  it('accepts an issuers entry with its own audience when there is no top-level audience', () => {
    expect(() =>
      createVerifier({ issuers: [{ issuer: A, jwksUri, audience: 'x' }] }),
    ).not.toThrow();
  });
});
