/**
 * The plain Fastify integration of docs/fastify.md (examples/fastify/plain.ts) on a real Fastify
 * server on 127.0.0.1: core's verifyRequest in an onRequest hook, RFC 6750 answers. Nest on
 * Fastify (AccessTokenGuard with @nestjs/platform-fastify) is covered by
 * packages/nest/test/guards/fastify.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { createVerifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { buildApp } from '../../examples/fastify/plain';

describe('plain Fastify with an onRequest hook', () => {
  let issuer: TestIssuer;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    app = buildApp(createVerifier(issuer.verifierOptions()));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app?.close());

  it('valid signed token → 200 with the subject on request.auth', async () => {
    const token = await issuer.issueSigned({ sub: 'fiona' });
    await request(url).get('/api/me').set('Authorization', `Bearer ${token}`).expect(200, {
      subject: 'fiona',
    });
  });

  it('nested (signed, then encrypted) token → 200', async () => {
    const token = await issuer.issueNested({ sub: 'nina' });
    await request(url).get('/api/me').set('Authorization', `Bearer ${token}`).expect(200, {
      subject: 'nina',
    });
  });

  it('no token → 401 with a bare challenge and an empty body (RFC 6750 §3.1)', async () => {
    const res = await request(url).get('/api/me').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.body).toEqual({});
  });

  it('bad token → 401 invalid_token, without echoing the token', async () => {
    const token = await issuer.issueInvalid('tampered-signature');
    const res = await request(url)
      .get('/api/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
    );
    expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    expect(res.text).not.toContain(token.split('.')[2]);
  });

  it('two Authorization headers → 400 invalid_request (read from request.raw)', async () => {
    const token = await issuer.issueSigned();
    const res = await request(url)
      .get('/api/me')
      // superagent hands the array to Node's setHeader, which writes one line per value.
      .set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string)
      .expect(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('builds its verifier from options, refusing bad ones at start-up', async () => {
    expect(() => buildApp({ ...issuer.verifierOptions(), audiences: 'x' } as never)).toThrow(
      new TypeError('audiences: unknown option'),
    );
    const fromOptions = buildApp(issuer.verifierOptions());
    try {
      const base = await fromOptions.listen({ port: 0, host: '127.0.0.1' });
      const token = await issuer.issueSigned({ sub: 'olga' });
      await request(base).get('/api/me').set('Authorization', `Bearer ${token}`).expect(200, {
        subject: 'olga',
      });
    } finally {
      await fromOptions.close();
    }
  });
});
