/**
 * `errorFormat: 'problem'` on real Express 5 and 4 apps served on 127.0.0.1, asked with fetch:
 * every refusal (authenticate, the require* middlewares, rateLimit, allowFrom, the
 * `errorHandling: 'next'` handler) answers `application/problem+json` with the RFC 9457 body,
 * the same status and the same headers (challenge and its `scope`, Retry-After, RateLimit) as
 * the default format, which stays RFC 6750 JSON.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, RequestHandler } from 'express';
import { createVerifier, type VerifierOptions } from '@tokenward/core';
import {
  allowFrom,
  authenticate,
  rateLimit,
  requireScopes,
  tokenwardErrorHandler,
} from '@tokenward/express';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { EXPRESS_VERSIONS } from './express-versions';

const PROBLEM = /^application\/problem\+json(;|$)/;
const BASE = 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

/** Serves `app` on 127.0.0.1 for one callback, then closes it. */
async function served<T>(app: Express, use: (base: string) => Promise<T>): Promise<T> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly text: string;
  readonly body: unknown;
  readonly headers: Headers;
}

async function get(url: string, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    headers: response.headers,
  };
}

const ok: RequestHandler = (_req, res) => void res.json({ ok: true });

describe.each(EXPRESS_VERSIONS)('errorFormat on $label', ({ express }) => {
  /** An app with one route per refusal, its verifier made from `extra`. */
  function appWith(extra: Partial<VerifierOptions> = {}): Express {
    const verifier = createVerifier(issuer.verifierOptions(extra));
    const app = express();
    app.get('/reports', authenticate(verifier), requireScopes('reports:write'), ok);
    app.get(
      '/limited',
      authenticate(verifier),
      rateLimit({ key: 'client', limits: [{ name: 'burst', points: 1, duration: 60 }] }),
      ok,
    );
    app.get('/internal', authenticate(verifier), allowFrom('10.0.0.0/8'), ok);
    app.get('/next', authenticate(verifier, { errorHandling: 'next' }), ok);
    app.use(tokenwardErrorHandler());
    return app;
  }

  let problem: Express;
  beforeAll(() => {
    problem = appWith({ errorFormat: 'problem' });
  });

  it('answers a missing token 401 without an `error` member, with the bare challenge', async () => {
    await served(problem, async (base) => {
      const res = await get(`${base}/reports`);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}token-missing`,
        title: 'Access token required',
        status: 401,
        code: 'ERR_TOKEN_MISSING',
      });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    });
  });

  it('answers an expired token 401 with the problem body and the same challenge', async () => {
    const token = await issuer.issueInvalid('expired', { sub: 'expired-subject' });
    await served(problem, async (base) => {
      const res = await get(`${base}/reports`, token);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}token-expired`,
        title: 'Invalid access token',
        status: 401,
        detail: 'the token has expired',
        code: 'ERR_TOKEN_EXPIRED',
        error: 'invalid_token',
      });
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
      );
      expect(res.text).not.toContain(token);
      expect(res.text).not.toContain('expired-subject');
    });
  });

  it('answers a missing scope 403 and keeps the challenge scope', async () => {
    const token = await issuer.issueSigned({ scope: 'reports:read' });
    await served(problem, async (base) => {
      const res = await get(`${base}/reports`, token);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}scope-missing`,
        title: 'Insufficient scope',
        status: 403,
        detail: 'the token lacks a required scope (needs all of: reports:write)',
        code: 'ERR_SCOPE_MISSING',
        error: 'insufficient_scope',
      });
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope (needs all of: reports:write)", scope="reports:write"',
      );
    });
  });

  it('answers a used-up rate limit 429 with Retry-After and the RateLimit fields', async () => {
    const token = await issuer.issueSigned({ client_id: 'limited-app' });
    await served(problem, async (base) => {
      expect((await get(`${base}/limited`, token)).status).toBe(200);
      const res = await get(`${base}/limited`, token);
      expect(res.status).toBe(429);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}rate-limited`,
        title: 'Too many requests',
        status: 429,
        detail: 'the rate limit burst is used up',
        code: 'ERR_RATE_LIMITED',
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('ratelimit-policy')).toBe('"burst";q=1;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"burst";r=0;t=\d+$/);
      expect(res.headers.get('www-authenticate')).toBeNull();
    });
  });

  it('answers 503 with Retry-After when the approved-client list cannot say', async () => {
    const app = appWith({
      errorFormat: 'problem',
      approvedClients: { isApproved: () => 'unknown' },
    });
    const token = await issuer.issueSigned({ client_id: 'some-app' });
    await served(app, async (base) => {
      const res = await get(`${base}/reports`, token);
      expect(res.status).toBe(503);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}client-approval-unavailable`,
        title: 'Service unavailable',
        status: 503,
        detail: "whether the token's client is approved cannot be checked right now; retry later",
        code: 'ERR_CLIENT_APPROVAL_UNAVAILABLE',
      });
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('www-authenticate')).toBeNull();
    });
  });

  it('answers an allowFrom 403 without `error` and without a challenge', async () => {
    const token = await issuer.issueSigned({});
    await served(problem, async (base) => {
      const res = await get(`${base}/internal`, token);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toMatchObject({
        type: `${BASE}ip-not-allowed`,
        title: 'Access denied',
        status: 403,
        code: 'ERR_IP_NOT_ALLOWED',
      });
      expect(res.body).not.toHaveProperty('error');
      expect(res.text).not.toContain('127.0.0.1');
      expect(res.headers.get('www-authenticate')).toBeNull();
    });
  });

  it("answers through tokenwardErrorHandler() under errorHandling: 'next'", async () => {
    const token = await issuer.issueInvalid('expired');
    await served(problem, async (base) => {
      const res = await get(`${base}/next`, token);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'ERR_TOKEN_EXPIRED', error: 'invalid_token' });
    });
  });

  it("gives the terse text as detail under errorDescriptions: 'terse'", async () => {
    const app = appWith({ errorFormat: 'problem', errorDescriptions: 'terse' });
    const forged = await issuer.issueInvalid('tampered-signature');
    const scoped = await issuer.issueSigned({ scope: 'reports:read' });
    await served(app, async (base) => {
      const invalid = await get(`${base}/reports`, forged);
      expect(invalid.body).toEqual({
        type: `${BASE}jws-signature-invalid`,
        title: 'Invalid access token',
        status: 401,
        detail: 'The access token is invalid',
        code: 'ERR_JWS_SIGNATURE_INVALID',
        error: 'invalid_token',
      });
      expect(invalid.headers.get('www-authenticate')).toContain(
        'error_description="The access token is invalid"',
      );
      const insufficient = await get(`${base}/reports`, scoped);
      expect(insufficient.body).toMatchObject({
        detail: 'The access token does not grant access to this resource',
      });
    });
  });

  it('keeps the RFC 6750 JSON body by default', async () => {
    const app = appWith();
    const token = await issuer.issueSigned({ scope: 'reports:read' });
    await served(app, async (base) => {
      const missing = await get(`${base}/reports`);
      expect(missing.status).toBe(401);
      expect(missing.type).toMatch(/^application\/json(;|$)/);
      expect(missing.body).toEqual({});
      const insufficient = await get(`${base}/reports`, token);
      expect(insufficient.type).toMatch(/^application\/json(;|$)/);
      expect(insufficient.body).toEqual({
        error: 'insufficient_scope',
        error_description: 'the token lacks a required scope (needs all of: reports:write)',
      });
      expect(insufficient.headers.get('www-authenticate')).toContain('scope="reports:write"');
    });
  });

  it('refuses an unknown errorFormat at setup with a TypeError naming it', () => {
    expect(() => authenticate(issuer.verifierOptions({ errorFormat: 'rfc7807' as never }))).toThrow(
      new TypeError(`errorFormat: expected 'oauth' or 'problem'`),
    );
  });
});
