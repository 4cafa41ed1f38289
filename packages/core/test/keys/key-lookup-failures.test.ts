/**
 * The `getKey` source when the lookup fails, hangs or repeats itself: the documented codes and
 * statuses, the timeout, option conflicts, memoised imports and the verified-token cache. Real
 * tokens and verifiers; only the lookup is the test's function.
 */
import type { JWK } from 'jose';
import {
  createVerifier,
  InvalidTokenError,
  KeysUnavailableError,
  type KeyLookup,
  type KeyLookupContext,
  type VerifierOptions,
} from '@tokenward/core';
import { KeyLookupSource } from '../../src/keys/key-lookup';
import {
  anAccessToken,
  AUDIENCE,
  claims,
  expectInvalidToken,
  ISSUER,
  keyPair,
  NOW,
  rejection,
  signJWS,
} from '../helpers/keys';

const at = { currentDate: NOW };

function lookupVerifier(getKey: KeyLookup, options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, getKey, cache: false, ...options });
}

describe('getKey: failures', () => {
  it('answers 401 ERR_KEY_LOOKUP_FAILED for a throw or a rejection, keeping the message as cause only', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    const failure = new Error('tenant db at 10.0.0.7 refused password hunter2');
    for (const lookup of [
      () => {
        throw failure;
      },
      () => Promise.reject(failure),
    ]) {
      const error = await expectInvalidToken(
        lookupVerifier(lookup),
        token,
        'ERR_KEY_LOOKUP_FAILED',
      );
      expect(error.cause).toBe(failure);
      expect(error.headers['WWW-Authenticate']).not.toMatch(/hunter2|10\.0\.0\.7/);
      expect(JSON.stringify(error.toJSON())).not.toMatch(/hunter2|10\.0\.0\.7/);
    }
  });

  it('answers 503 with Retry-After and no challenge when the lookup throws KeysUnavailableError', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    const verifier = lookupVerifier(() => Promise.reject(new KeysUnavailableError(30)));
    const error = await rejection(verifier.verify(token, at));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({ 'Retry-After': '30' });
    const health = await verifier.health();
    expect(health.ready).toBe(false);
    expect(health.sources[0]).toMatchObject({
      kind: 'getKey',
      status: 'unavailable',
      lastError: { message: 'getKey reported its keys unavailable' },
    });
  });

  it('passes an InvalidTokenError of the lookup through with its own code', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    const refusal = () => {
      throw new InvalidTokenError('ERR_ISSUER_INVALID', 'the tenant is unknown');
    };
    await expectInvalidToken(lookupVerifier(refusal), token, 'ERR_ISSUER_INVALID');
  });

  it('answers 503 once getKeyTimeout passes, and aborts the lookup signal', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    let seen: KeyLookupContext | undefined;
    const hang: KeyLookup = (_header, context) => {
      seen = context;
      return new Promise(() => {});
    };
    const started = performance.now();
    const verifier = lookupVerifier(hang, { getKeyTimeout: 0.05 });
    const error = await rejection(verifier.verify(token, at));
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(error.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({ 'Retry-After': '1' });
    expect((error.cause as Error).message).toBe('getKey did not settle within 0.05 s');
    expect(seen?.signal.aborted).toBe(true);
    expect((await verifier.health()).sources[0]?.status).toBe('unavailable');
  });
});

describe('getKey: options', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE };
  const getKey = () => undefined;

  it('refuses getKey beside another key source, naming both', async () => {
    const { publicJwk } = await keyPair('rsa');
    expect(() => createVerifier({ ...base, getKey, keys: publicJwk })).toThrow(
      /^keys, getKey: give exactly one signature key source$/,
    );
    expect(() =>
      createVerifier({
        audience: AUDIENCE,
        issuers: [{ issuer: ISSUER, getKey, jwksUri: 'https://a.example/k' }],
      }),
    ).toThrow(
      /^issuers\[0\]\.jwksUri, issuers\[0\]\.getKey: give exactly one signature key source$/,
    );
    expect(() =>
      createVerifier({ audience: AUDIENCE, getKey, issuers: [{ issuer: ISSUER, getKey }] }),
    ).toThrow(/^getKey: not allowed with the issuers option; set it per issuer$/);
  });

  it('refuses a getKey that is not a function, and a bad or unused getKeyTimeout', async () => {
    expect(() => createVerifier({ ...base, getKey: 'kid' as never })).toThrow(
      /^getKey: expected a function$/,
    );
    for (const getKeyTimeout of [0, -1, 61, Number.NaN, '5' as never]) {
      expect(() => createVerifier({ ...base, getKey, getKeyTimeout })).toThrow(
        /^getKeyTimeout: expected a number of seconds above 0 and at most 60$/,
      );
    }
    const { publicJwk } = await keyPair('rsa');
    expect(() => createVerifier({ ...base, keys: publicJwk, getKeyTimeout: 1 })).toThrow(
      /^getKeyTimeout: only used with the getKey option$/,
    );
  });
});

describe('getKey: memoised imports and the verified-token cache', () => {
  it('imports a returned JWK once, however often the lookup returns it', async () => {
    const rsa = await keyPair('rsa');
    // Importing a JWK reads its modulus; a remembered import does not.
    let modulusReads = 0;
    const jwk = { ...rsa.publicJwk } as JWK;
    const n = jwk.n;
    Object.defineProperty(jwk, 'n', {
      enumerable: true,
      get: () => {
        modulusReads += 1;
        return n;
      },
    });
    let lookups = 0;
    const verifier = lookupVerifier(() => {
      lookups += 1;
      return jwk;
    });
    const token = await signJWS(claims(), rsa);
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    const readsAfterFirst = modulusReads;
    expect(readsAfterFirst).toBeGreaterThan(0);
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    expect(lookups).toBe(3);
    expect(modulusReads).toBe(readsAfterFirst);
  });

  it('hands out the same imported key for the same returned object', async () => {
    const { publicJwk } = await keyPair('rsa');
    const source = new KeyLookupSource(() => publicJwk, [ISSUER], 1000);
    const selector = { alg: 'RS256', kid: publicJwk.kid };
    const [first] = await source.getKeys(selector);
    const [second] = await source.getKeys(selector);
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });

  it('answers a cached token without calling the lookup', async () => {
    const rsa = await keyPair('rsa');
    let lookups = 0;
    const verifier = lookupVerifier(
      () => {
        lookups += 1;
        return rsa.publicJwk;
      },
      { cache: { admission: 'always' } },
    );
    const token = await signJWS(claims(), rsa);
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    expect(lookups).toBe(1);
  });
});
