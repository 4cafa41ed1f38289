/**
 * A cached token is accepted only while the key that verified it is still in the issuer's JWK
 * Set: a real JWKS server on 127.0.0.1 rotates its keys, and once the verifier's refreshed set no
 * longer holds the old key, a hit on a token it signed is refused (and the entry dropped), while a
 * refresh that keeps the key keeps the entry.
 */
import { createVerifier, type Verifier } from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import {
  AUDIENCE,
  jwks,
  json,
  mint,
  NOW,
  signingKey,
  startIdP,
  useClock,
  type FakeIdP,
  type SigningKey,
} from '../helpers/idp';
import { rejection } from '../helpers/keys';

const clock = useClock();
const at = { currentDate: NOW };
let idp: FakeIdP;
let oldKey: SigningKey;
let newKey: SigningKey;

beforeAll(async () => {
  [oldKey, newKey] = await Promise.all([signingKey('k-2024'), signingKey('k-2025')]);
});
beforeEach(async () => {
  idp = await startIdP();
  idp.on('/jwks', json(jwks(oldKey)));
});
afterEach(() => idp.close());

const issuer = () => idp.url;
const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
});

function makeVerifier(): Verifier {
  return createVerifier({
    issuer: issuer(),
    audience: AUDIENCE,
    jwksUri: `${idp.url}/jwks`,
    remoteKeys: { cacheMaxAge: 60, cooldown: 10 },
    cache: { admission: 'always' },
  });
}

/** Verifies `token` once so it is cached, and checks that it is. */
async function cacheIt(verifier: Verifier, token: string): Promise<void> {
  await verifier.verify(token, at);
  expect(verifyRequestFromCache(verifier, request(token), at)).toMatchObject({ token });
}

it('refuses a cached token once a refreshed JWK Set dropped its key', async () => {
  const verifier = makeVerifier();
  const oldToken = await mint(oldKey, issuer());
  await cacheIt(verifier, oldToken);

  // The issuer rotates: k-2024 is withdrawn (compromised, say). A token under the new kid makes
  // the verifier fetch the set again, past the cooldown.
  idp.on('/jwks', json(jwks(newKey)));
  clock.advance(11);
  await verifier.verify(await mint(newKey, issuer()), at);
  expect(idp.hits('/jwks')).toBe(2);

  expect(verifyRequestFromCache(verifier, request(oldToken), at)).toBeUndefined();
  const error = await rejection(verifier.verifyRequest(request(oldToken), at));
  expect(error).toMatchObject({ code: 'ERR_JWS_KEY_NOT_FOUND', status: 401 });
  expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
});

it('keeps a cached token whose key a refresh kept (same kid and key material)', async () => {
  const verifier = makeVerifier();
  const oldToken = await mint(oldKey, issuer());
  await cacheIt(verifier, oldToken);

  idp.on('/jwks', json(jwks(oldKey, newKey)));
  clock.advance(61); // past cacheMaxAge: the next verification that needs keys refetches
  await verifier.verify(await mint(newKey, issuer()), at);
  expect(idp.hits('/jwks')).toBe(2);

  expect(verifyRequestFromCache(verifier, request(oldToken), at)).toMatchObject({
    token: oldToken,
  });
});

it('refuses a cached token whose key set is past maxStaleAge (no usable keys: 503)', async () => {
  const verifier = createVerifier({
    issuer: issuer(),
    audience: AUDIENCE,
    jwksUri: `${idp.url}/jwks`,
    remoteKeys: { cacheMaxAge: 60, cooldown: 10, maxStaleAge: 120 },
    cache: { admission: 'always' },
  });
  const token = await mint(oldKey, issuer());
  await cacheIt(verifier, token);
  idp.on('/jwks', json({ error: 'down' }, 500));
  clock.advance(121);
  expect(verifyRequestFromCache(verifier, request(token), at)).toBeUndefined();
  const error = await rejection(verifier.verifyRequest(request(token), at));
  expect(error).toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE', status: 503 });
});
