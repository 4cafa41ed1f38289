/**
 * The introspection cache and what still runs on every request, against the real test
 * authorization server (real timers, small cache ages): active answers kept until the token's
 * `exp` or `maxCacheAge`, inactive ones for `inactiveCacheAge`, failures never, the entry bound;
 * concurrent verifications of one token coalesced into ONE request; introspected tokens kept out
 * of the verified-token cache; revocation and the sender binding (DPoP, mTLS) checked on every
 * request, also when the answer comes from the cache.
 */
import { createMemoryRevocationList } from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createDPoPKey, createDPoPProof } from '@tokenward/testing';
import { json, type Answer } from './authorization-server';
import { nowSeconds, opaqueToken, outcome, sleep, useSetup, type Setup } from './fixtures';

const setup: Setup = useSetup();

/** Answers `body` after `ms`, so concurrent verifications overlap the request for certain. */
const slowly =
  (body: unknown, ms: number, status = 200): Answer =>
  (request, response) =>
    void setTimeout(() => json(body, status)(request, response), ms);

describe('caching', () => {
  it('keeps an active answer until the token expires, not for maxCacheAge', async () => {
    const { as } = setup;
    const token = opaqueToken();
    const exp = nowSeconds() + 2;
    as.answer(token, setup.active({ exp }));
    const verifier = setup.verifier({ maxCacheAge: 300 }, { clockTolerance: 0 });
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(1);
    // The server no longer vouches for it; the cached answer must be gone once exp passes, so
    // the verifier asks again (a cached answer would be refused as expired, without asking).
    as.answer(token, { active: false });
    await sleep(exp * 1000 - Date.now() + 50);
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.requests(token)).toBe(2);
  });

  it('keeps an active answer for maxCacheAge at most, and never in the verified-token cache', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active());
    // admission 'always': a token that entered the verified-token cache would be served from it.
    const verifier = setup.verifier({ maxCacheAge: 0.3 }, { cache: { admission: 'always' } });
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(1);
    // The adapters' synchronous cache path answers from the introspection cache, while it holds
    // the answer and not after.
    const request = { headers: { authorization: `Bearer ${token}` } };
    expect(verifyRequestFromCache(verifier, request)?.subject).toBe('alice');
    await sleep(400);
    expect(verifyRequestFromCache(verifier, request)).toBe(undefined);
    expect(as.requests(token)).toBe(1);
    as.answer(token, { active: false });
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.requests(token)).toBe(2);
  });

  it('re-checks the time claims of a cached answer at each verification’s time', async () => {
    const { as } = setup;
    const token = opaqueToken();
    const response = setup.active({ nbf: nowSeconds() });
    as.answer(token, response);
    const verifier = setup.verifier({}, { clockTolerance: 0 });
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    const at = (seconds: number) => ({ currentDate: new Date(seconds * 1000) });
    expect(await outcome(verifier.verify(token, at((response.exp as number) + 1)))).toBe(
      '401 ERR_TOKEN_EXPIRED',
    );
    expect(await outcome(verifier.verify(token, at((response.nbf as number) - 60)))).toBe(
      '401 ERR_TOKEN_NOT_YET_VALID',
    );
    expect(as.requests(token)).toBe(1);
  });

  it('keeps an inactive answer for inactiveCacheAge only', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, { active: false });
    const verifier = setup.verifier({ inactiveCacheAge: 0.3, maxCacheAge: 300 });
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    as.answer(token, setup.active());
    // Within inactiveCacheAge the server is not asked again, and the adapters' synchronous
    // path serves nothing: the request goes on to verifyRequest, which refuses it.
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    const request = { headers: { authorization: `Bearer ${token}` } };
    expect(verifyRequestFromCache(verifier, request)).toBe(undefined);
    expect(await outcome(verifier.verifyRequest(request))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.requests(token)).toBe(1);
    await sleep(400);
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(2);
  });

  it('an answer that is not active: true (active: "true") is kept as inactive', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active({ active: 'true' }));
    const verifier = setup.verifier({ inactiveCacheAge: 60 });
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.requests(token)).toBe(1);
  });

  it('never keeps a failure: the next verification asks again', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, json({ error: 'temporarily_unavailable' }, 503));
    const verifier = setup.verifier();
    expect(await outcome(verifier.verify(token))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    as.answer(token, setup.active());
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(2);
  });

  it('maxCacheAge 0 asks on every verification', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active());
    const verifier = setup.verifier({ maxCacheAge: 0 });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(as.requests(token)).toBe(2);
  });

  it('holds at most maxCacheEntries answers, the least recently used evicted', async () => {
    const { as } = setup;
    const [a, b] = [opaqueToken(), opaqueToken()];
    as.answer(a, setup.active());
    as.answer(b, setup.active());
    const verifier = setup.verifier({ maxCacheEntries: 1 });
    await verifier.verify(a);
    await verifier.verify(a);
    expect(as.requests(a)).toBe(1);
    await verifier.verify(b);
    await verifier.verify(a);
    expect(as.requests(a)).toBe(2);
  });

  it("'always' mode: a JWT's answer is cached, and the JWT is not kept in the verified-token cache", async () => {
    const { as, issuer } = setup;
    const jwt = await issuer.issueSigned({});
    as.answer(jwt, { active: true });
    const verifier = setup.verifier(
      { mode: 'always', maxCacheAge: 0.3 },
      { cache: { admission: 'always' } },
    );
    expect(await outcome(verifier.verify(jwt))).toBe('accepted');
    expect(await outcome(verifier.verify(jwt))).toBe('accepted');
    expect(as.requests(jwt)).toBe(1);
    // Revoked at the server: refused once the answer is older than maxCacheAge.
    as.answer(jwt, { active: false });
    await sleep(400);
    expect(await outcome(verifier.verify(jwt))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(as.requests(jwt)).toBe(2);
  });
});

describe('coalescing', () => {
  it('1,000 concurrent verifications of one opaque token make exactly 1 request', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, slowly(setup.active(), 50));
    const verifier = setup.verifier();
    const outcomes = await Promise.all(
      Array.from({ length: 1000 }, () => outcome(verifier.verify(token))),
    );
    expect(as.requests(token)).toBe(1);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1000);
  });

  it('concurrent verifications share a failure too, and the next one asks again', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, slowly({ error: 'server_error' }, 50, 500));
    const verifier = setup.verifier();
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () => outcome(verifier.verify(token))),
    );
    expect(new Set(outcomes)).toEqual(new Set(['503 ERR_INTROSPECTION_UNAVAILABLE']));
    expect(as.requests(token)).toBe(1);
    as.answer(token, setup.active());
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(2);
  });
});

describe('checks that run on every request', () => {
  it('revocation wins over a cached active answer', async () => {
    const { as } = setup;
    const revocation = createMemoryRevocationList();
    const verifier = setup.verifier({ maxCacheAge: 300 }, { revocation });
    const token = opaqueToken();
    const response = setup.active({ jti: 'opaque-1', sub: 'bob' });
    as.answer(token, response);
    const accessToken = await verifier.verify(token);
    await revocation.revokeToken({
      issuer: accessToken.issuer,
      jti: 'opaque-1',
      expiresAt: accessToken.expiresAt,
    });
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_REVOKED');
    expect(
      await outcome(verifier.verifyRequest({ headers: { authorization: `Bearer ${token}` } })),
    ).toBe('401 ERR_TOKEN_REVOKED');
    // The answer came from the cache: the server was asked once.
    expect(as.requests(token)).toBe(1);

    // "Log out everywhere" reaches introspected tokens by their sub and iat.
    const other = opaqueToken();
    as.answer(other, setup.active({ sub: 'carol', iat: nowSeconds() - 60 }));
    expect(await outcome(verifier.verify(other))).toBe('accepted');
    await revocation.revokeSubject({ issuer: accessToken.issuer, subject: 'carol' });
    expect(await outcome(verifier.verify(other))).toBe('401 ERR_TOKEN_REVOKED');
  });

  it('a DPoP-bound answer (cnf.jkt) is refused under Bearer, accepted with its proof', async () => {
    const { as } = setup;
    const key = await createDPoPKey();
    const token = opaqueToken();
    as.answer(token, setup.active({ cnf: { jkt: key.jkt } }));
    const plain = setup.verifier();
    expect(await outcome(plain.verify(token))).toBe('401 ERR_TOKEN_BOUND');

    // Another verifier, its own cache: the server is asked once more, and only once.
    const verifier = setup.verifier({}, { dpop: {} });
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_BOUND');
    expect(
      await outcome(verifier.verifyRequest({ headers: { authorization: `Bearer ${token}` } })),
    ).toBe('401 ERR_TOKEN_BOUND');
    const url = 'https://api.tokenward.test/messages';
    const proof = await createDPoPProof(key, { method: 'GET', url, accessToken: token });
    const accessToken = await verifier.verify(token, { dpop: { proof, method: 'GET', url } });
    expect(accessToken.binding).toEqual({ scheme: 'dpop', jkt: key.jkt });
    // Each request needs its own proof, also when the answer is cached.
    expect(await outcome(verifier.verify(token, { dpop: { proof, method: 'GET', url } }))).toBe(
      '401 ERR_DPOP_REPLAYED',
    );
    expect(as.requests(token)).toBe(2);
  });

  it('a certificate-bound answer (cnf x5t#S256) is refused without mtls', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active({ cnf: { 'x5t#S256': 'A'.repeat(43) } }));
    expect(await outcome(setup.verifier().verify(token))).toBe('401 ERR_TOKEN_BOUND');
  });
});
