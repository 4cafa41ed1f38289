/**
 * The `onRejection` hook sees every failure a verifier reports — extraction, cache hits, every
 * stage, adapter policy failures — with the received (unverified) iss/aud/kid/alg and the request
 * method and path, never the token, another claim or the query string; a throwing hook changes
 * nothing. `errorDescriptions: 'terse'` sends generic descriptions and keeps the message.
 */
import { requireScopes, type RejectionEvent, type VerifierOptions } from '@tokenward/core';
import { presentRejection } from '@tokenward/core/internal';
import { claims, makeVerifier, mint, NOW, NOW_S, rejection } from '../helpers/keys';

const at = { currentDate: NOW };

async function hooked(options: Partial<VerifierOptions> = {}) {
  const events: RejectionEvent[] = [];
  const verifier = await makeVerifier({ onRejection: (e) => events.push(e), ...options });
  return { verifier, events };
}

describe('onRejection', () => {
  it('reports a stage failure with the received iss, aud, kid and alg, never the token', async () => {
    const { verifier, events } = await hooked();
    const token = await mint(
      claims({ exp: NOW_S - 3600, iat: NOW_S - 7200, secret: 'never-in-an-event-s3' }),
    );
    const error = await rejection(
      verifier.verifyRequest(
        {
          method: 'GET',
          url: '/orders/7?session=q-secret#x',
          headers: { authorization: `Bearer ${token}` },
        },
        at,
      ),
    );
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    expect(events).toEqual([
      {
        code: 'ERR_TOKEN_EXPIRED',
        status: 401,
        error: 'invalid_token',
        issuer: 'https://issuer.example.com/',
        audience: ['https://api.example.com'],
        kid: expect.any(String),
        alg: 'RS256',
        request: { method: 'GET', path: '/orders/7' },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2]);
    expect(JSON.stringify(events)).not.toContain('never-in-an-event-s3');
    expect(JSON.stringify(events)).not.toContain('q-secret');
  });

  it('reports extraction failures (no token, two tokens) with the request only', async () => {
    const { verifier, events } = await hooked({ tokenSources: { query: true } });
    await rejection(verifier.verifyRequest({ method: 'GET', url: '/a', headers: {} }));
    await rejection(
      verifier.verifyRequest({
        method: 'POST',
        url: '/b?access_token=abc',
        headers: { authorization: 'Bearer abc' },
      }),
    );
    expect(events).toEqual([
      {
        code: 'ERR_TOKEN_MISSING',
        status: 401,
        error: undefined,
        request: { method: 'GET', path: '/a' },
      },
      {
        code: 'ERR_REQUEST_MULTIPLE_TOKENS',
        status: 400,
        error: 'invalid_request',
        request: { method: 'POST', path: '/b' },
      },
    ]);
  });

  it('reports a cached token refused on a hit (expired since it was cached)', async () => {
    const { verifier, events } = await hooked({ cache: { admission: 'always' } });
    const token = await mint(claims({ exp: NOW_S + 60 }));
    await verifier.verify(token, at);
    const later = { currentDate: new Date(NOW.getTime() + 3_600_000) };
    expect((await rejection(verifier.verify(token, later))).code).toBe('ERR_TOKEN_EXPIRED');
    expect(events.map((e) => e.code)).toEqual(['ERR_TOKEN_EXPIRED']);
  });

  it('reports an adapter policy failure passed through presentRejection', async () => {
    const { verifier, events } = await hooked({ realm: 'orders' });
    const accessToken = await verifier.verify(await mint(claims()), at);
    let thrown: unknown;
    try {
      requireScopes('admin')(accessToken);
    } catch (error) {
      thrown = presentRejection(verifier, error, { method: 'DELETE', url: '/x', headers: {} });
    }
    expect(thrown).toMatchObject({ code: 'ERR_SCOPE_MISSING', status: 403, realm: 'orders' });
    expect(events).toEqual([
      expect.objectContaining({
        code: 'ERR_SCOPE_MISSING',
        status: 403,
        error: 'insufficient_scope',
      }),
    ]);
  });

  it('ignores a hook that throws: the answer is the same', async () => {
    const verifier = await makeVerifier({
      onRejection: () => {
        throw new Error('log sink down');
      },
    });
    const error = await rejection(verifier.verify('not-a-token', at));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_MALFORMED', status: 401 });
  });

  it('is checked at creation', async () => {
    await expect(makeVerifier({ onRejection: 'log' as never })).rejects.toThrow(
      'onRejection: expected a function',
    );
  });
});

describe("errorDescriptions: 'terse'", () => {
  it('answers a generic description per outcome and keeps the detailed message', async () => {
    const verifier = await makeVerifier({ errorDescriptions: 'terse' });
    const forged = await mint(claims());
    const tampered = `${forged.slice(0, -4)}AAAA`;
    const bad = await rejection(verifier.verify(tampered, at));
    expect(bad.code).toBe('ERR_JWS_SIGNATURE_INVALID');
    expect(bad.toJSON()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is invalid',
    });
    expect(bad.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid"',
    );
    expect(bad.message).toBe('the token signature is invalid');
    const expired = await rejection(
      verifier.verify(await mint(claims({ exp: NOW_S - 3600, iat: NOW_S - 7200 })), at),
    );
    expect(expired.toJSON().error_description).toBe('The access token expired');
  });

  it("is 'detailed' by default and refuses other values", async () => {
    const verifier = await makeVerifier();
    const error = await rejection(verifier.verify('a.b.c', at));
    expect(error.toJSON().error_description).toBe(error.message);
    await expect(makeVerifier({ errorDescriptions: 'short' as never })).rejects.toThrow(
      `errorDescriptions: expected 'detailed' or 'terse'`,
    );
  });
});
