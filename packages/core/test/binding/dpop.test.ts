/**
 * DPoP (RFC 9449) through verifyRequest and verify: a bound token needs a valid proof on every
 * request, cached or not; each check of §4.3 refuses with its own code; challenges and nonces
 * follow §7.1 and §8; the replay store is asked last and fails closed.
 */
import { SignJWT } from 'jose';
import {
  createVerifier,
  createMemoryReplayStore,
  TokenwardError,
  type ReplayStore,
  type RequestLike,
  type VerifierOptions,
  type DPoPOptions,
} from '@tokenward/core';
import {
  createDPoPKey,
  createDPoPProof,
  createTestIssuer,
  type DPoPTestKey,
} from '@tokenward/testing';

const ORIGIN = 'https://api.example.com';
const URL_ = `${ORIGIN}/messages`;

function request(
  token: string,
  proof?: string | string[],
  extra: Partial<RequestLike> = {},
  scheme = 'DPoP',
): RequestLike {
  const proofs = proof === undefined ? [] : Array.isArray(proof) ? proof : [proof];
  const rawHeaders = ['Authorization', `${scheme} ${token}`, ...proofs.flatMap((p) => ['DPoP', p])];
  return {
    method: 'GET',
    url: '/messages',
    headers: {
      authorization: `${scheme} ${token}`,
      ...(proofs.length > 0 && { dpop: proofs.join(', ') }),
    },
    rawHeaders,
    ...extra,
  };
}

async function setup(dpop: DPoPOptions = {}, overrides: Partial<VerifierOptions> = {}) {
  const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  const key = await createDPoPKey('ES256');
  const verifier = createVerifier(
    issuer.verifierOptions({ dpop: { origin: ORIGIN, ...dpop }, metrics: false, ...overrides }),
  );
  const token = await issuer.issueSigned({ scope: 'read', cnf: { jkt: key.jkt } });
  const bearer = await issuer.issueSigned({ scope: 'read' });
  const proof = (
    options: Partial<Parameters<typeof createDPoPProof>[1]> = {},
    k: DPoPTestKey = key,
  ) => createDPoPProof(k, { method: 'GET', url: URL_, accessToken: token, ...options });
  return { issuer, key, verifier, token, bearer, proof };
}

const codeOf = async (pending: Promise<unknown>) => {
  try {
    await pending;
  } catch (error) {
    if (error instanceof TokenwardError) return error.code;
    throw error;
  }
  return 'accepted';
};

describe('DPoP-bound tokens', () => {
  it('accepts a bound token under DPoP with a valid proof, and states the binding', async () => {
    const { verifier, token, proof, key } = await setup();
    const auth = await verifier.verifyRequest(request(token, await proof()));
    expect(auth.binding).toEqual({ scheme: 'dpop', jkt: key.jkt });
  });

  it('checks the proof on every request, also when the token comes from the cache', async () => {
    const { verifier, token, proof } = await setup();
    await verifier.verifyRequest(request(token, await proof()));
    // Second request: the token is cached; a missing, replayed or foreign proof still fails.
    expect(await codeOf(verifier.verifyRequest(request(token)))).toBe('ERR_DPOP_PROOF_MISSING');
    const once = await proof();
    await verifier.verifyRequest(request(token, once));
    expect(await codeOf(verifier.verifyRequest(request(token, once)))).toBe('ERR_DPOP_REPLAYED');
    const other = await createDPoPKey('ES256');
    expect(await codeOf(verifier.verifyRequest(request(token, await proof({}, other))))).toBe(
      'ERR_DPOP_JKT_MISMATCH',
    );
  });

  it("holds each cached token to its own ath: another token's proof fails on every hit", async () => {
    const { issuer, verifier, token, proof, key } = await setup();
    const second = await issuer.issueSigned({ scope: 'read', cnf: { jkt: key.jkt } });
    // Both tokens verified twice: both in the cache, each with its ath already worked out.
    for (let i = 0; i < 2; i++) {
      await verifier.verifyRequest(request(token, await proof()));
      await verifier.verifyRequest(request(second, await proof({ accessToken: second })));
    }
    expect(
      await codeOf(verifier.verifyRequest(request(token, await proof({ accessToken: second })))),
    ).toBe('ERR_DPOP_ATH_MISMATCH');
    expect(await codeOf(verifier.verifyRequest(request(second, await proof())))).toBe(
      'ERR_DPOP_ATH_MISMATCH',
    );
    await expect(
      verifier.verifyRequest(request(second, await proof({ accessToken: second }))),
    ).resolves.toBeDefined();
  });

  it('refuses a bound token under Bearer (no downgrade), with or without the dpop option', async () => {
    const { issuer, verifier, token, proof } = await setup();
    expect(await codeOf(verifier.verifyRequest(request(token, await proof(), {}, 'Bearer')))).toBe(
      'ERR_TOKEN_BOUND',
    );
    const plain = createVerifier(issuer.verifierOptions({ metrics: false }));
    expect(await codeOf(plain.verifyRequest(request(token, undefined, {}, 'Bearer')))).toBe(
      'ERR_TOKEN_BOUND',
    );
    expect(await codeOf(plain.verify(token))).toBe('ERR_TOKEN_BOUND');
  });

  it('refuses an unbound token under DPoP, and plain bearer tokens when DPoP is required', async () => {
    const { verifier, bearer, proof } = await setup();
    expect(
      await codeOf(verifier.verifyRequest(request(bearer, await proof({ accessToken: bearer })))),
    ).toBe('ERR_DPOP_TOKEN_NOT_BOUND');
    await expect(
      verifier.verifyRequest(request(bearer, undefined, {}, 'Bearer')),
    ).resolves.toMatchObject({
      binding: { scheme: 'bearer' },
    });
    const required = await setup({ required: true });
    expect(
      await codeOf(
        required.verifier.verifyRequest(request(required.bearer, undefined, {}, 'Bearer')),
      ),
    ).toBe('ERR_DPOP_REQUIRED');
  });

  it.each([
    ['no proof', async () => undefined, 'ERR_DPOP_PROOF_MISSING'],
    [
      'two DPoP headers',
      async (p: () => Promise<string>) => [await p(), await p()],
      'ERR_DPOP_PROOF_MULTIPLE',
    ],
  ])('%s → %s', async (_label, make, code) => {
    const { verifier, token, proof } = await setup();
    expect(
      await codeOf(
        verifier.verifyRequest(
          request(token, (await make(proof)) as string | string[] | undefined),
        ),
      ),
    ).toBe(code);
  });

  it('refuses a proof over the size cap before parsing it', async () => {
    const { verifier, token } = await setup();
    const huge = `${'a'.repeat(9000)}.b.c`;
    expect(await codeOf(verifier.verifyRequest(request(token, huge)))).toBe(
      'ERR_DPOP_PROOF_TOO_LONG',
    );
  });

  it.each([
    ['a query in htu', { url: `${URL_}?page=2` }, 'ERR_DPOP_HTU_MISMATCH', true],
    ['another scheme', { url: 'http://api.example.com/messages' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['another host', { url: 'https://evil.example.com/messages' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['another port', { url: 'https://api.example.com:8443/messages' }, 'ERR_DPOP_HTU_MISMATCH'],
    ['path case', { url: `${ORIGIN}/Messages` }, 'ERR_DPOP_HTU_MISMATCH'],
    ['trailing slash', { url: `${ORIGIN}/messages/` }, 'ERR_DPOP_HTU_MISMATCH'],
    ['another method', { method: 'POST' }, 'ERR_DPOP_HTM_MISMATCH'],
    ['iat far past', { iat: Math.floor(Date.now() / 1000) - 400 }, 'ERR_DPOP_IAT_INVALID'],
    ['iat in the future', { iat: Math.floor(Date.now() / 1000) + 120 }, 'ERR_DPOP_IAT_INVALID'],
    ['wrong ath', { accessToken: 'another-token' }, 'ERR_DPOP_ATH_MISMATCH'],
    ['typ jwt', { typ: 'jwt' }, 'ERR_DPOP_TYP_INVALID'],
  ])('a proof with %s → %s', async (_label, options, code, rawHtu = false) => {
    const { verifier, token, proof, key } = await setup();
    let p: string;
    if (rawHtu) {
      // The kit strips queries; a client that keeps one signs this.
      p = await new SignJWT({
        jti: 'q1',
        htm: 'GET',
        htu: (options as { url: string }).url,
        iat: Math.floor(Date.now() / 1000),
        ath: (await import('node:crypto')).createHash('sha256').update(token).digest('base64url'),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
        .sign(key.privateKey);
    } else p = await proof(options);
    expect(await codeOf(verifier.verifyRequest(request(token, p)))).toBe(code);
  });

  it('normalises scheme and host case and default ports in htu', async () => {
    const { verifier, token, proof } = await setup();
    await expect(
      verifier.verifyRequest(
        request(token, await proof({ url: 'HTTPS://API.EXAMPLE.COM:443/messages' })),
      ),
    ).resolves.toBeDefined();
  });

  it('compares htu with the request-target as received, not a router-rewritten url', async () => {
    const { verifier, token, proof } = await setup();
    const req = request(token, await proof({ url: `${ORIGIN}/api/messages` }), {
      url: '/messages',
      originalUrl: '/api/messages?x=1',
    });
    await expect(verifier.verifyRequest(req)).resolves.toBeDefined();
  });

  it('without dpop.origin, uses the origin the adapter passes, and refuses when there is none', async () => {
    const { issuer, key } = await setup();
    const verifier = createVerifier(issuer.verifierOptions({ dpop: {}, metrics: false }));
    const token = await issuer.issueSigned({ cnf: { jkt: key.jkt } });
    const p = () => createDPoPProof(key, { method: 'GET', url: URL_, accessToken: token });
    expect(await codeOf(verifier.verifyRequest(request(token, await p())))).toBe(
      'ERR_DPOP_HTU_MISMATCH',
    );
    await expect(
      verifier.verifyRequest(request(token, await p()), { origin: ORIGIN }),
    ).resolves.toBeDefined();
  });

  it('verify() checks a proof given in context.dpop', async () => {
    const { verifier, token, proof } = await setup();
    await expect(
      verifier.verify(token, { dpop: { proof: await proof(), method: 'GET', url: `${URL_}?a=1` } }),
    ).resolves.toMatchObject({
      binding: { scheme: 'dpop' },
    });
    expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_BOUND');
  });

  it('records the binding scheme and the proof failure on the audit trail', async () => {
    const events: Array<Record<string, unknown>> = [];
    const { verifier, token, proof } = await setup(
      {},
      { audit: { sink: (event) => void events.push(event as unknown as Record<string, unknown>) } },
    );
    const once = await proof();
    await verifier.verifyRequest(request(token, once));
    await verifier.verifyRequest(request(token, once)).catch(() => undefined);
    await verifier.close();
    expect(events).toEqual([
      expect.objectContaining({ event: 'authn_token_valid', binding: 'dpop', reason: 'ok' }),
      expect.objectContaining({
        event: 'authn_token_invalid',
        binding: 'dpop',
        reason: 'ERR_DPOP_REPLAYED',
        status: 401,
      }),
    ]);
  });

  it('claims the jti only after every other check passed', async () => {
    const claimed: string[] = [];
    const memory = createMemoryReplayStore();
    const store: ReplayStore = { claim: (k, ttl) => (claimed.push(k), memory.claim(k, ttl)) };
    const { verifier, token, proof, key } = await setup({ replayStore: store });
    const bad = await proof({ jti: 'same', method: 'POST' });
    expect(await codeOf(verifier.verifyRequest(request(token, bad)))).toBe('ERR_DPOP_HTM_MISMATCH');
    expect(claimed).toEqual([]);
    await verifier.verifyRequest(request(token, await proof({ jti: 'same' })));
    expect(claimed).toEqual([`${key.jkt}:same`]);
  });

  it('asks for a TTL covering the proof window and both clock tolerances', async () => {
    const ttls: number[] = [];
    const store: ReplayStore = { claim: async (_k, ttl) => (ttls.push(ttl), true) };
    const { verifier, token, proof } = await setup(
      { replayStore: store, proofMaxAge: 120 },
      { clockTolerance: 10 },
    );
    await verifier.verifyRequest(request(token, await proof()));
    expect(ttls).toEqual([140]);
  });

  it.each([
    ['rejects', { claim: () => Promise.reject(new Error('ECONNREFUSED')) }],
    ['hangs', { claim: () => new Promise<boolean>(() => undefined) }],
    [
      'throws',
      {
        claim: () => {
          throw new Error('boom');
        },
      },
    ],
  ])('a replay store that %s → 503 with Retry-After, never accepted', async (_label, store) => {
    const { verifier, token, proof } = await setup({
      replayStore: store as ReplayStore,
      replayStoreTimeout: 50,
    });
    const error = await verifier
      .verifyRequest(request(token, await proof()))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    expect((error as TokenwardError).headers).toEqual({ 'Retry-After': '1' });
  });

  it.each([
    ['refused as unavailable (503)', {}, 'ERR_REPLAY_STORE_UNAVAILABLE'],
    [
      "accepted unclaimed under onReplayStoreError: 'accept'",
      { onReplayStoreError: 'accept' as const },
      'accepted',
    ],
  ])(
    'the memory store (claimed without a promise) full of live claims: a new proof is %s',
    async (_, extra, expected) => {
      const { verifier, token, proof } = await setup({
        replayStore: createMemoryReplayStore({ maxEntries: 1 }),
        ...extra,
      });
      const first = await proof();
      expect(await codeOf(verifier.verifyRequest(request(token, first)))).toBe('accepted');
      // The live claim holds: its proof is a replay, whatever the store's room.
      expect(await codeOf(verifier.verifyRequest(request(token, first)))).toBe('ERR_DPOP_REPLAYED');
      expect(await codeOf(verifier.verifyRequest(request(token, await proof())))).toBe(expected);
    },
  );

  it("onReplayStoreError: 'accept' accepts unclaimed and warns the logger once per outage", async () => {
    const warnings: string[] = [];
    let down = true;
    const memory = createMemoryReplayStore();
    const { verifier, token, proof } = await setup(
      {
        replayStore: {
          claim: (k, ttl) => (down ? Promise.reject(new Error('down')) : memory.claim(k, ttl)),
        },
        onReplayStoreError: 'accept',
      },
      { logger: { warn: (message) => void warnings.push(message) } },
    );
    await verifier.verifyRequest(request(token, await proof()));
    await verifier.verifyRequest(request(token, await proof()));
    expect(warnings.filter((w) => w.includes('accepted unclaimed'))).toHaveLength(1);
    down = false;
    await verifier.verifyRequest(request(token, await proof()));
    down = true;
    await verifier.verifyRequest(request(token, await proof()));
    expect(warnings.filter((w) => w.includes('accepted unclaimed'))).toHaveLength(2);
  });
});
