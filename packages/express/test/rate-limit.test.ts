/**
 * `rateLimit()` middleware on real Express 5 and 4 apps over HTTP: allowed responses carry the
 * RateLimit-Policy / RateLimit fields, the request after the quota is 429 with Retry-After, the
 * JSON body and no challenge, recorded as excess_rate_limit_exceeded ERR_RATE_LIMITED; it runs after
 * authentication (no token: 401, nothing counted); `errorHandling: 'next'` hands the error on.
 */
import type { RequestHandler } from 'express';
import request from 'supertest';
import { createVerifier, RateLimitedError, type AuditDecisionEvent } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { authenticate, rateLimit, requireScopes } from '../src';
import { EXPRESS_VERSIONS } from './express-versions';

const ok: RequestHandler = (_req, res) => {
  res.json({ ok: true });
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe.each(EXPRESS_VERSIONS)('rateLimit() on $label', ({ express }) => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  });

  const setup = () => {
    const events: AuditDecisionEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({ audit: { sink: (e) => void events.push(e as AuditDecisionEvent) } }),
    );
    const app = express();
    app.get(
      '/reports/:id',
      authenticate(verifier),
      rateLimit({ key: 'client', limits: [{ name: 'burst', points: 2, duration: 60 }] }),
      requireScopes('reports:read'),
      ok,
    );
    return { app, events };
  };

  it('allows the quota with RateLimit fields, then answers 429 with Retry-After, audited', async () => {
    const { app, events } = setup();
    const token = await issuer.issueSigned({ client_id: 'app-1', scope: 'reports:read' });
    const first = await request(app).get('/reports/1').set('Authorization', `Bearer ${token}`);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"burst";q=2;w=60');
    expect(first.headers['ratelimit']).toMatch(/^"burst";r=1;t=(60|59)$/);
    await request(app).get('/reports/2').set('Authorization', `Bearer ${token}`).expect(200);

    const refused = await request(app).get('/reports/3').set('Authorization', `Bearer ${token}`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/^"burst";r=0;t=\d+$/);
    expect(refused.headers['ratelimit-policy']).toBe('"burst";q=2;w=60');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(refused.body).toEqual({ error_description: 'the rate limit burst is used up' });

    // Another client has its own quota.
    const other = await issuer.issueSigned({ client_id: 'app-2', scope: 'reports:read' });
    await request(app).get('/reports/4').set('Authorization', `Bearer ${other}`).expect(200);

    await settle();
    const denial = events.find((e) => e.reason === 'ERR_RATE_LIMITED');
    expect(denial).toMatchObject({
      event: 'excess_rate_limit_exceeded',
      stage: 'authorization',
      outcome: 'deny',
      reason: 'ERR_RATE_LIMITED',
      status: 429,
      route: '/reports/:id',
    });
    expect(events.filter((e) => e.outcome === 'deny')).toHaveLength(1);
  });

  it('runs after authentication: a request without a token is 401 and counts nothing', async () => {
    const { app } = setup();
    for (let i = 0; i < 3; i++) await request(app).get('/reports/1').expect(401);
    // No client_id: counted by the address, the same one the refused requests came from; the
    // full quota is left.
    const token = await issuer.issueSigned({ scope: 'reports:read' });
    await request(app).get('/reports/1').set('Authorization', `Bearer ${token}`).expect(200);
    await request(app).get('/reports/1').set('Authorization', `Bearer ${token}`).expect(200);
    await request(app).get('/reports/1').set('Authorization', `Bearer ${token}`).expect(429);
  });

  it("errorHandling 'next': the RateLimitedError goes to the application's error handler", async () => {
    const verifier = createVerifier(issuer.verifierOptions());
    const seen: unknown[] = [];
    const app = express();
    app.get(
      '/x',
      authenticate(verifier, { errorHandling: 'next' }),
      rateLimit({ key: 'subject', limits: [{ points: 1, duration: 30 }] }),
      ok,
    );
    app.use(((error, _req, res, _next) => {
      seen.push(error);
      res.status(599).end();
    }) as import('express').ErrorRequestHandler);
    const token = await issuer.issueSigned({ sub: 'user-1' });
    await request(app).get('/x').set('Authorization', `Bearer ${token}`).expect(200);
    await request(app).get('/x').set('Authorization', `Bearer ${token}`).expect(599);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(RateLimitedError);
    expect((seen[0] as RateLimitedError).retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('refuses bad options when the app is set up', () => {
    expect(() => rateLimit({ key: 'client', limits: [] })).toThrow(TypeError);
  });
});
