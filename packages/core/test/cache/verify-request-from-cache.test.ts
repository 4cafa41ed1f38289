/**
 * `verifyRequestFromCache` of `@tokenward/core/internal`: the synchronous cache-only path the adapters try
 * before `verifyRequest`. It must answer only what `verifyRequest` would accept, from a token
 * that was completely verified before, and otherwise say `undefined` so that `verifyRequest`
 * reports the failure. Above all, a cached token must not let a request skip the RFC 6750
 * extraction checks.
 */
import type { RequestLike } from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { claims, keyPair, makeVerifier, NOW, NOW_S, rejection, signJWS } from '../helpers/keys';

/** Store on first verification (the default, 'repeat', is tested at the end). */
const ALWAYS = { admission: 'always' } as const;

const at = (seconds: number) => ({ currentDate: new Date((NOW_S + seconds) * 1000) });

async function token(overrides: Record<string, unknown> = {}): Promise<string> {
  return signJWS(claims(overrides), await keyPair('rsa'));
}

const request = (jwt: string, extra: Partial<RequestLike> = {}): RequestLike => ({
  method: 'GET',
  url: '/orders',
  headers: { authorization: `Bearer ${jwt}` },
  ...extra,
});

describe('verifyRequestFromCache (@tokenward/core/internal)', () => {
  it('answers undefined until the token has been verified, then the cached AccessToken', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token();
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBeUndefined();
    const verified = await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBe(verified);
    // verifyRequest itself answers the hit with the same object.
    await expect(verifier.verifyRequest(request(jwt), { currentDate: NOW })).resolves.toBe(
      verified,
    );
  });

  it('never answers with cache: false', async () => {
    const verifier = await makeVerifier({ cache: false });
    const jwt = await token();
    await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBeUndefined();
  });

  it('does not answer a rejected token, which verifyRequest keeps rejecting', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const jwt = await token({ aud: 'https://another.example.com' });
    expect((await rejection(verifier.verifyRequest(request(jwt), at(0)))).code).toBe(
      'ERR_AUDIENCE_INVALID',
    );
    expect(verifyRequestFromCache(verifier, request(jwt), at(0))).toBeUndefined();
  });

  it('re-checks exp and nbf: undefined outside the window, and verifyRequest says why', async () => {
    const verifier = await makeVerifier({ clockTolerance: 0, cache: ALWAYS });
    const jwt = await token({ nbf: NOW_S + 10, exp: NOW_S + 60 });
    await verifier.verifyRequest(request(jwt), at(10));
    expect(verifyRequestFromCache(verifier, request(jwt), at(59))).toMatchObject({ token: jwt });
    expect(verifyRequestFromCache(verifier, request(jwt), at(60))).toBeUndefined();
    expect(verifyRequestFromCache(verifier, request(jwt), at(9))).toBeUndefined();
    expect((await rejection(verifier.verifyRequest(request(jwt), at(60)))).code).toBe(
      'ERR_TOKEN_EXPIRED',
    );
    expect((await rejection(verifier.verifyRequest(request(jwt), at(9)))).code).toBe(
      'ERR_TOKEN_NOT_YET_VALID',
    );
  });

  it('keeps every extraction check for a cached token (RFC 6750 §2, RFC 9110 §5.3)', async () => {
    const verifier = await makeVerifier({ tokenSources: { query: true }, cache: ALWAYS });
    const jwt = await token();
    await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    const ambiguous: [string, RequestLike, string][] = [
      [
        'two Authorization lines',
        request(jwt, { rawHeaders: ['Authorization', `Bearer ${jwt}`, 'authorization', 'x'] }),
        'ERR_REQUEST_MULTIPLE_TOKENS',
      ],
      [
        'the token in the header and the query',
        request(jwt, { url: `/orders?access_token=${jwt}` }),
        'ERR_REQUEST_MULTIPLE_TOKENS',
      ],
      [
        'a form body next to the header',
        request(jwt, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${jwt}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: { access_token: jwt },
        }),
        'ERR_REQUEST_MULTIPLE_TOKENS',
      ],
    ];
    for (const [what, bad, code] of ambiguous) {
      expect([what, verifyRequestFromCache(verifier, bad, { currentDate: NOW })]).toEqual([
        what,
        undefined,
      ]);
      const error = await rejection(verifier.verifyRequest(bad, { currentDate: NOW }));
      expect([what, error.code, error.status]).toEqual([what, code, 400]);
    }
  });

  it('answers a cached token found in an enabled query source (one look-up path for all)', async () => {
    const verifier = await makeVerifier({ tokenSources: { query: true }, cache: ALWAYS });
    const jwt = await token();
    const fromQuery: RequestLike = { method: 'GET', url: `/o?access_token=${jwt}`, headers: {} };
    const verified = await verifier.verifyRequest(fromQuery, { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, fromQuery, { currentDate: NOW })).toBe(verified);
    // The header form of the same token hits the same entry.
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBe(verified);
  });

  it('with the default admission, answers from the second verification on', async () => {
    const verifier = await makeVerifier();
    const jwt = await token();
    await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBeUndefined();
    const stored = await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, request(jwt), { currentDate: NOW })).toBe(stored);
  });

  it('answers undefined, never throws, for requests without a usable token', async () => {
    const verifier = await makeVerifier({ cache: ALWAYS });
    const cases: RequestLike[] = [
      { headers: {} },
      { headers: { authorization: 'Basic dXNlcjpwYXNz' } },
      { headers: { authorization: 'Bearer not a token' } },
      { headers: { authorization: ['Bearer a', 'Bearer b'] } },
    ];
    for (const bad of cases) expect(verifyRequestFromCache(verifier, bad)).toBeUndefined();
    const invalidDate = { currentDate: 'yesterday' as unknown as Date };
    const jwt = await token();
    await verifier.verifyRequest(request(jwt), { currentDate: NOW });
    expect(verifyRequestFromCache(verifier, request(jwt), invalidDate)).toBeUndefined();
  });
});
