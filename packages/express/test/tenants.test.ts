/**
 * A tenant verifier (createTenantVerifier) behind `authenticate()` and the route requirements on
 * real Express 5 and 4 apps: `req.auth.tenant` names the tenant the Host resolved to; another
 * tenant's token is 401, an unknown host 400 ERR_TENANT_UNKNOWN with its challenge; the cache
 * path serves repeated requests per tenant; a route-step refusal is recorded on the tenant's
 * trail with its tenant.
 */
import {
  createTenantVerifier,
  requireScopes,
  tenantFromHost,
  type AuditEvent,
  type TenantOptions,
} from '@tokenward/core';
import { authenticate, authorize } from '@tokenward/express';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { EXPRESS_VERSIONS } from './express-versions';

let acme: TestIssuer;
let globex: TestIssuer;
beforeAll(async () => {
  acme = await createTestIssuer({ issuer: 'https://acme.example/' });
  globex = await createTestIssuer({
    issuer: 'https://globex.example/',
    keyManagementAlgorithm: false,
  });
});
const optionsOf = (issuer: TestIssuer, extra: Partial<TenantOptions> = {}): TenantOptions => {
  const { audit: _a, metrics: _m, ...options } = issuer.verifierOptions(extra);
  return options;
};

describe.each(EXPRESS_VERSIONS)('tenants on $label', ({ express }) => {
  const build = () => {
    const events: AuditEvent[] = [];
    const verifier = createTenantVerifier({
      resolve: tenantFromHost({ 'acme.api': 'acme', 'globex.api': 'globex' }),
      tenants: { acme: optionsOf(acme, { encryption: 'required' }), globex: optionsOf(globex) },
      audit: { sink: (e) => void events.push(e) },
      metrics: false,
    });
    const app = express();
    app.get('/me', authenticate(verifier), (req, res) => {
      res.json({ tenant: req.auth?.tenant, subject: req.auth?.subject });
    });
    app.get('/admin', authenticate(verifier), authorize(requireScopes('admin')), (_req, res) => {
      res.json({ ok: true });
    });
    return { app, events, verifier };
  };

  it("serves each tenant's token on its host, with req.auth.tenant, and refuses it on the other's", async () => {
    const { app } = build();
    const acmeToken = await acme.issueNested({ sub: 'alice' });
    const globexToken = await globex.issueSigned({ sub: 'bob' });
    for (let i = 0; i < 2; i++) {
      await request(app)
        .get('/me')
        .set('Host', 'acme.api')
        .set('Authorization', `Bearer ${acmeToken}`)
        .expect(200, { tenant: 'acme', subject: 'alice' });
      await request(app)
        .get('/me')
        .set('Host', 'globex.api:8080')
        .set('Authorization', `Bearer ${globexToken}`)
        .expect(200, { tenant: 'globex', subject: 'bob' });
    }
    const crossed = await request(app)
      .get('/me')
      .set('Host', 'globex.api')
      .set('Authorization', `Bearer ${acmeToken}`)
      .expect(401);
    expect(crossed.headers['www-authenticate']).toContain('error="invalid_token"');
    await request(app)
      .get('/me')
      .set('Host', 'acme.api')
      .set('Authorization', `Bearer ${globexToken}`)
      .expect(401);
  });

  it('answers a request for no known tenant with 400 invalid_request ERR_TENANT_UNKNOWN', async () => {
    const { app, events } = build();
    const res = await request(app)
      .get('/me')
      .set('Host', 'initech.api')
      .set('Authorization', `Bearer ${await globex.issueSigned()}`)
      .expect(400);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="the request names no tenant this API serves"',
    );
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request names no tenant this API serves',
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      events.map((e) => [(e as { reason?: string }).reason, (e as { tenant?: string }).tenant]),
    ).toEqual([['ERR_TENANT_UNKNOWN', undefined]]);
  });

  it("records a route-step refusal on the tenant's trail with its tenant", async () => {
    const { app, events } = build();
    await request(app)
      .get('/admin')
      .set('Host', 'globex.api')
      .set('Authorization', `Bearer ${await globex.issueSigned({ scope: 'read' })}`)
      .expect(403);
    await request(app)
      .get('/admin')
      .set('Host', 'globex.api')
      .set('Authorization', `Bearer ${await globex.issueSigned({ scope: 'admin' })}`)
      .expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      events.map((e) => [
        e.event,
        (e as { tenant?: string }).tenant,
        (e as { route?: string }).route,
      ]),
    ).toEqual([
      ['authn_token_valid', 'globex', '/admin'],
      ['authz_fail', 'globex', '/admin'],
      ['authn_token_valid', 'globex', '/admin'],
      ['authz_success', 'globex', '/admin'],
    ]);
  });
});
