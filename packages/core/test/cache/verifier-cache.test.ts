/**
 * The verified-token cache as the verifier uses it: hits skip decryption and signature
 * work but never the time checks; only completely verified tokens are stored; policies still run
 * per request; the cache stays within its bound; `cache: false` turns it off.
 */
import { requireScopes } from '@tokenward/core';
import { VerifiedTokenCache } from '../../src/cache/verified-token-cache';
import {
  anAccessToken,
  AUDIENCE,
  claims,
  keyPair,
  makeVerifier,
  NOW,
  NOW_S,
  rejection,
  signJWS,
} from '../helpers/keys';

/** Store on first verification, so each test below exercises the hit path from its second call. */
const ALWAYS = { admission: 'always' } as const;

const at = (seconds: number) => ({ currentDate: new Date((NOW_S + seconds) * 1000) });

async function token(overrides: Record<string, unknown> = {}): Promise<string> {
  return signJWS(claims(overrides), await keyPair('rsa'));
}

describe('verified-token cache in createVerifier', () => {
  it('answers a repeated token from the cache (the same frozen AccessToken)', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token();
    const first = await verifier.verify(jwt, { currentDate: NOW });
    expect(await verifier.verify(jwt, { currentDate: NOW })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('looks the token up once per verifyRequest, on a miss and on a hit; a hit skips the b64token scan', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token();
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${jwt}` } };
    const get = jest.spyOn(VerifiedTokenCache.prototype, 'get');
    try {
      const first = await verifier.verifyRequest(request, { currentDate: NOW });
      expect(get).toHaveBeenCalledTimes(1);
      const test = jest.spyOn(RegExp.prototype, 'test');
      try {
        expect(await verifier.verifyRequest(request, { currentDate: NOW })).toBe(first);
        // RFC 6750 §2.1 syntax is implied by the cached token's compact checks: no scan of it.
        expect(test.mock.calls.filter(([input]) => input === jwt)).toEqual([]);
      } finally {
        test.mockRestore();
      }
      expect(get).toHaveBeenCalledTimes(2);
      expect(get.mock.calls).toEqual([
        [jwt, NOW.getTime()],
        [jwt, NOW.getTime()],
      ]);
    } finally {
      get.mockRestore();
    }
  });

  it('verifies again every time when cache is false', async () => {
    const verifier = await makeVerifier({ cache: false });
    const jwt = await token();
    const first = await verifier.verify(jwt, { currentDate: NOW });
    const second = await verifier.verify(jwt, { currentDate: NOW });
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });

  it('SD-30: refuses a cached token once it has expired (exp re-checked on every hit)', async () => {
    const verifier = await makeVerifier({ clockTolerance: 0, cache: ALWAYS });
    const jwt = await token({ exp: NOW_S + 60 });
    await verifier.verify(jwt, at(0));
    await expect(verifier.verify(jwt, at(59))).resolves.toMatchObject(anAccessToken);
    const error = await rejection(verifier.verify(jwt, at(60)));
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    expect(error.status).toBe(401);
  });

  it('SD-30: re-checks nbf and maxTokenAge on a hit', async () => {
    const verifier = await makeVerifier({ clockTolerance: 0, maxTokenAge: 120, cache: ALWAYS });
    const jwt = await token({ iat: NOW_S, nbf: NOW_S + 10 });
    await verifier.verify(jwt, at(10));
    expect((await rejection(verifier.verify(jwt, at(9)))).code).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect((await rejection(verifier.verify(jwt, at(121)))).code).toBe('ERR_TOKEN_TOO_OLD');
  });

  it('stores only completely verified tokens: an early failure does not poison a later success', async () => {
    const verifier = await makeVerifier({ clockTolerance: 0, cache: ALWAYS });
    const jwt = await token({ nbf: NOW_S + 10 });
    expect((await rejection(verifier.verify(jwt, at(0)))).code).toBe('ERR_TOKEN_NOT_YET_VALID');
    await expect(verifier.verify(jwt, at(10))).resolves.toMatchObject({ audience: [AUDIENCE] });
  });

  it('never caches a rejected token as valid', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token({ aud: 'https://another.example.com' });
    for (let i = 0; i < 3; i++) {
      expect((await rejection(verifier.verify(jwt, at(0)))).code).toBe('ERR_AUDIENCE_INVALID');
    }
  });

  it('still runs each route policy against a cached token', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token({ scope: 'messages:read' });
    const readRoute = requireScopes('messages:read');
    const writeRoute = requireScopes('messages:write');
    await readRoute(await verifier.verify(jwt, at(0)));
    const cached = await verifier.verify(jwt, at(0));
    expect(() => writeRoute(cached)).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('keeps at most maxEntries tokens (least recently used evicted)', async () => {
    const verifier = await makeVerifier({ cache: { ...ALWAYS, maxEntries: 5 } });
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => token({ jti: `jti-${i}` })),
    );
    const results = [];
    for (const jwt of tokens) results.push(await verifier.verify(jwt, at(0)));
    // The newest five are hits; the first token was evicted and is verified afresh.
    expect(await verifier.verify(tokens[19] as string, at(0))).toBe(results[19]);
    expect(await verifier.verify(tokens[15] as string, at(0))).toBe(results[15]);
    expect(await verifier.verify(tokens[0] as string, at(0))).not.toBe(results[0]);
  });

  it('by default stores a token the second time it is verified (admission: repeat)', async () => {
    const verifier = await makeVerifier();
    const jwt = await token();
    const first = await verifier.verify(jwt, at(0));
    const second = await verifier.verify(jwt, at(0));
    // The first verification only remembered the token's fingerprint; the second stored it.
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(await verifier.verify(jwt, at(0))).toBe(second);
    expect(await verifier.verify(jwt, at(1))).toBe(second);
  });

  it('with admission: repeat, one-off tokens never displace a reused one', async () => {
    const verifier = await makeVerifier({ cache: { maxEntries: 1 } });
    const reused = await token({ jti: 'reused' });
    await verifier.verify(reused, at(0));
    const cached = await verifier.verify(reused, at(0));
    for (let i = 0; i < 5; i++) await verifier.verify(await token({ jti: `once-${i}` }), at(0));
    expect(await verifier.verify(reused, at(0))).toBe(cached);
  });

  it('rejects an invalid cache option with a TypeError naming it', async () => {
    await expect(makeVerifier({ cache: { maxEntries: -1 } })).rejects.toThrow(/cache\.maxEntries/);
    await expect(makeVerifier({ cache: { admission: 'never' as never } })).rejects.toThrow(
      /cache\.admission/,
    );
    await expect(makeVerifier({ cache: { maxEntrys: 5 } as never })).rejects.toThrow(
      /cache\.maxEntrys: unknown option/,
    );
  });
});
