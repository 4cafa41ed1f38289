/**
 * `discovery: true`: OpenID Connect Discovery first, RFC 8414 (with path insertion) second, the
 * exact `issuer` check, and the rules on the discovered `jwks_uri`, against a real HTTP server on
 * 127.0.0.1; each test asserts the verdicts and the requests the server saw.
 */
import { createVerifier, DISCOVERY_MAX_AGE_MS, KeysUnavailableError } from '@tokenward/core';
import { discoveryURLs, jwksURIFrom } from '../../src/keys/discovery';
import { anAccessToken, rejection } from '../helpers/keys';
import { eventually } from './eventually';
import {
  AUDIENCE,
  json,
  jwks,
  mint,
  NOW,
  raw,
  redirect,
  signingKey,
  startIdP,
  useClock,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';

const OIDC = '/.well-known/openid-configuration';
const OAUTH = '/.well-known/oauth-authorization-server';
const clock = useClock();
const at = { currentDate: NOW };

let idp: FakeIdP;
let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('k1');
});
beforeEach(async () => {
  idp = await startIdP();
  idp.on('/keys', json(jwks(key)));
});
afterEach(() => idp.close());

const metadata = (issuer: string, jwksUri = `${idp.url}/keys`) =>
  json({ issuer, jwks_uri: jwksUri, response_types_supported: ['code'] });

// cache: false — these tests count fetches when the same token is verified again.
const discovering = (issuer: string) =>
  createVerifier({ issuer, audience: AUDIENCE, discovery: true, cache: false });

async function unavailable(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(KeysUnavailableError);
  expect(error.status).toBe(503);
  expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
  return (error.cause as Error).message;
}

describe('discoveryURLs', () => {
  it.each([
    [
      'https://as.example.com',
      'https://as.example.com/.well-known/openid-configuration',
      'https://as.example.com/.well-known/oauth-authorization-server',
    ],
    [
      'https://as.example.com/',
      'https://as.example.com/.well-known/openid-configuration',
      'https://as.example.com/.well-known/oauth-authorization-server',
    ],
    [
      'https://as.example.com/tenant1',
      'https://as.example.com/tenant1/.well-known/openid-configuration',
      'https://as.example.com/.well-known/oauth-authorization-server/tenant1',
    ],
    [
      'https://as.example.com:8443/realms/a/',
      'https://as.example.com:8443/realms/a/.well-known/openid-configuration',
      'https://as.example.com:8443/.well-known/oauth-authorization-server/realms/a',
    ],
  ])('%s → OIDC %s, then RFC 8414 %s', (issuer, openid, oauth) => {
    expect(discoveryURLs(new URL(issuer)).map((u) => u.href)).toEqual([openid, oauth]);
  });
});

describe('OpenID Connect discovery', () => {
  it('reads jwks_uri from openid-configuration once, then only the JWK Set', async () => {
    const issuer = idp.url;
    idp.on(OIDC, metadata(issuer));
    const v = discovering(issuer);
    const token = await mint(key, issuer);
    for (let i = 0; i < 5; i++)
      await expect(v.verify(token, at)).resolves.toMatchObject({ token: token });
    expect(idp.hits(OIDC)).toBe(1);
    expect(idp.hits(OAUTH)).toBe(0);
    expect(idp.hits('/keys')).toBe(1);
    const health = await v.health();
    expect(health.sources[0]).toMatchObject({
      kind: 'discovery',
      issuers: [issuer],
      jwksUri: `${idp.url}/keys`,
      status: 'ok',
      fetchCount: 1,
    });
  });

  it('removes a terminating slash of an issuer with a path before appending the suffix', async () => {
    const issuer = `${idp.url}/realms/demo/`;
    idp.on(`/realms/demo${OIDC}`, metadata(issuer));
    const v = discovering(issuer);
    await expect(v.verify(await mint(key, issuer), at)).resolves.toMatchObject(anAccessToken);
    expect(idp.hits(`/realms/demo${OIDC}`)).toBe(1);
    expect(idp.hits('/keys')).toBe(1);
  });
});

describe('RFC 8414 fallback', () => {
  it('inserts the well-known path between host and path when openid-configuration is 404', async () => {
    const issuer = `${idp.url}/tenant1`;
    idp.on(`${OAUTH}/tenant1`, metadata(issuer));
    const v = discovering(issuer);
    await expect(v.verify(await mint(key, issuer), at)).resolves.toMatchObject(anAccessToken);
    expect(idp.hits(`/tenant1${OIDC}`)).toBe(1); // 404 from the default route
    expect(idp.hits(`${OAUTH}/tenant1`)).toBe(1);
    expect(idp.hits('/keys')).toBe(1);
  });

  it('does not fall back on garbage, a redirect or a mismatched issuer', async () => {
    const issuer = idp.url;
    idp.on(OAUTH, metadata(issuer));
    for (const behaviour of [
      raw('<html>'),
      redirect('/.well-known/openid-configuration-2'),
      metadata(`${issuer}/`),
    ]) {
      idp.on(OIDC, behaviour);
      await unavailable(discovering(issuer).verify(await mint(key, issuer), at));
    }
    expect(idp.hits(OIDC)).toBe(3);
    expect(idp.hits(OAUTH)).toBe(0);
    expect(idp.hits('/keys')).toBe(0);
  });

  it('fails closed when neither document exists', async () => {
    const issuer = idp.url;
    const v = discovering(issuer);
    expect(await unavailable(v.verify(await mint(key, issuer), at))).toMatch(/HTTP 404/);
    expect(idp.hits(OIDC)).toBe(1);
    expect(idp.hits(OAUTH)).toBe(1);
    expect(idp.hits('/keys')).toBe(0);
  });
});

describe('the discovered issuer must equal the configured one exactly', () => {
  it.each([
    ['another tenant', (i: string) => `${i}/other`],
    ['a trailing slash', (i: string) => `${i}/`],
    ['another case', (i: string) => i.toUpperCase()],
    ['a missing issuer', () => undefined],
  ])('refuses %s: 503, no JWK Set fetch, the reason in health()', async (_name, make) => {
    const issuer = idp.url;
    idp.on(OIDC, json({ issuer: make(issuer), jwks_uri: `${idp.url}/keys` }));
    const v = discovering(issuer);
    expect(await unavailable(v.verify(await mint(key, issuer), at))).toMatch(/issuer mismatch/);
    const health = await v.health(); // within the cooldown: no new request
    expect(health.ready).toBe(false);
    expect(health.sources[0]?.lastError?.message).toMatch(/issuer mismatch/);
    expect(idp.hits(OIDC)).toBe(1);
    expect(idp.hits('/keys')).toBe(0);
  });
});

describe('the discovered jwks_uri', () => {
  it.each([
    ['missing', undefined, /has no jwks_uri/],
    ['not a URL', 'not a url', /is not a URL/],
    ['plain http off loopback', 'http://keys.example.com/jwks', /refused: it must use https/],
    ['carrying credentials', 'https://user:pw@keys.example.com/jwks', /must not carry credentials/],
  ])('is refused when %s, before any request to it', async (_name, jwksUri, reason) => {
    const issuer = idp.url;
    idp.on(OIDC, json({ issuer, jwks_uri: jwksUri }));
    const v = discovering(issuer);
    expect(await unavailable(v.verify(await mint(key, issuer), at))).toMatch(reason);
    expect(idp.total()).toBe(1);
  });

  it('may use plain http on loopback only when the issuer itself lives there', () => {
    const https = 'https://as.example.com';
    const local = 'http://127.0.0.1:8080';
    const read = (issuer: string, jwksUri: string) =>
      jwksURIFrom({ issuer, jwks_uri: jwksUri }, issuer, new URL(issuer)).href;
    expect(() => read(https, 'http://127.0.0.1:9/keys')).toThrow(
      /an https issuer needs an https jwks_uri/,
    );
    expect(() => read(https, 'http://localhost/keys')).toThrow(/an https issuer needs/);
    expect(read(https, 'https://keys.example.com/jwks')).toBe('https://keys.example.com/jwks');
    expect(read(local, 'http://[::1]:9/keys')).toBe('http://[::1]:9/keys');
    expect(read(local, 'https://keys.example.com/jwks')).toBe('https://keys.example.com/jwks');
  });

  it('follows no redirect from the JWK Set URL either', async () => {
    const issuer = idp.url;
    idp.on(OIDC, metadata(issuer, `${idp.url}/moved`));
    idp.on('/moved', redirect('/keys', 301));
    const v = discovering(issuer);
    expect(await unavailable(v.verify(await mint(key, issuer), at))).toMatch(/redirect/);
    expect(idp.hits('/moved')).toBe(1);
    expect(idp.hits('/keys')).toBe(0);
  });
});

describe('re-discovery', () => {
  it('re-reads the metadata after 24 hours and follows a new jwks_uri', async () => {
    const issuer = idp.url;
    idp.on(OIDC, metadata(issuer));
    const v = createVerifier({
      issuer,
      audience: AUDIENCE,
      discovery: true,
      remoteKeys: { cacheMaxAge: 3600, maxStaleAge: (2 * DISCOVERY_MAX_AGE_MS) / 1000 },
      cache: false,
    });
    const token = await mint(key, issuer);
    await v.verify(token, at);
    clock.advance(3600);
    await v.verify(token, at); // the key set expired, the metadata did not
    const refreshed = async () => expect((await v.health()).sources[0]?.age).toBe(0);
    await eventually(refreshed); // the held set answered; the refresh ran in the background
    expect([idp.hits(OIDC), idp.hits('/keys')]).toEqual([1, 2]);

    idp.on(OIDC, metadata(issuer, `${idp.url}/keys-v2`));
    idp.on('/keys-v2', json(jwks(key)));
    clock.advance(DISCOVERY_MAX_AGE_MS / 1000);
    await v.verify(token, at);
    await eventually(refreshed);
    expect([idp.hits(OIDC), idp.hits('/keys'), idp.hits('/keys-v2')]).toEqual([2, 2, 1]);
    expect((await v.health()).sources[0]?.jwksUri).toBe(`${idp.url}/keys-v2`);
  });

  it('keeps the last jwks_uri when re-reading the metadata fails', async () => {
    const issuer = idp.url;
    idp.on(OIDC, metadata(issuer));
    const warnings: string[] = [];
    const v = createVerifier({
      issuer,
      audience: AUDIENCE,
      discovery: true,
      logger: { warn: (message) => warnings.push(message) },
      cache: false,
    });
    const token = await mint(key, issuer);
    await v.verify(token, at);
    idp.on(OIDC, json({ error: 'down' }, 503));
    clock.advance(DISCOVERY_MAX_AGE_MS / 1000);
    await expect(v.verify(token, at)).resolves.toMatchObject({ token: token });
    expect([idp.hits(OIDC), idp.hits(OAUTH), idp.hits('/keys')]).toEqual([2, 1, 2]);
    expect(warnings).toEqual(['tokenward: re-reading issuer metadata failed']);
    expect((await v.health()).sources[0]?.status).toBe('ok');
  });
});

describe('configuration', () => {
  it.each([
    ['that is not a URL', 'issuer-1', /issuer: discovery needs the issuer to be a URL/],
    [
      'on plain http off loopback',
      'http://as.example.com',
      /issuer: for discovery, it must use https/,
    ],
    ['with a query', 'https://as.example.com/?tenant=1', /issuer: an issuer URL has no query/],
  ])('refuses an issuer %s', (_name, issuer, message) => {
    expect(() => createVerifier({ issuer, audience: AUDIENCE, discovery: true })).toThrow(
      TypeError,
    );
    expect(() => createVerifier({ issuer, audience: AUDIENCE, discovery: true })).toThrow(message);
  });

  it('refuses a non-boolean discovery, and discovery with another key source', () => {
    const base = { issuer: 'https://as.example.com', audience: AUDIENCE };
    expect(() => createVerifier({ ...base, discovery: 'yes' as never })).toThrow(
      /^discovery: expected true or false$/,
    );
    expect(() =>
      createVerifier({ ...base, discovery: true, jwksUri: 'https://as.example.com/k' }),
    ).toThrow(/^jwksUri, discovery: give exactly one signature key source$/);
    expect(() => createVerifier({ ...base, discovery: false })).toThrow(
      /give exactly one signature key source/,
    );
  });
});
