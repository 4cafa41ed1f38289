/**
 * The sample app's `GET /jwks/enc` on 127.0.0.1: the public JWK Set an issuer encrypts access
 * tokens to, served without a token; a token encrypted to the published key is accepted by the
 * app's own API. A multi-tenant app publishes no set here (each tenant has its own keys): 404.
 */
import type { INestApplication } from '@nestjs/common';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import request from 'supertest';
import { createApp, DEV_ISSUER, loadConfig, type DevIssuer } from '../../apps/resource-server/src';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('GET /jwks/enc', () => {
  let app: INestApplication;
  let url: string;
  let dev: DevIssuer;

  beforeAll(async () => {
    app = await createApp(loadConfig({ AUDIT: 'off' }), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    dev = app.get<DevIssuer>(DEV_ISSUER);
  });
  afterAll(() => app.close());

  it('serves the public encryption keys as a JWK Set, without a token', async () => {
    const res = await request(url).get('/jwks/enc');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    const { keys } = JSON.parse(res.text) as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    const [key] = keys as [JWK];
    expect(key).toMatchObject({ use: 'enc', kid: expect.any(String), alg: expect.any(String) });
    for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
  });

  it('publishes the key the app decrypts with: a token encrypted to it is accepted', async () => {
    const res = await request(url).get('/jwks/enc');
    const [key] = (JSON.parse(res.text) as { keys: JWK[] }).keys as [JWK];
    const signed = await dev.issuer.issueSigned({ sub: 'alice', scope: 'messages:read' });
    const token = await new CompactEncrypt(new TextEncoder().encode(signed))
      .setProtectedHeader({ alg: key.alg as string, enc: 'A256GCM', kid: key.kid, cty: 'JWT' })
      .encrypt(await importJWK(key, key.alg));
    const me = await request(url).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ subject: 'alice', encrypted: true });
  });
});

describe('GET /jwks/enc with tenants', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createApp(loadConfig({ AUDIT: 'off', TOKENWARD_TENANTS: 'acme,globex' }), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  it("is 404: the tenants' own sets are not served from the shared route", async () => {
    const res = await request(url).get('/jwks/enc').set('Host', 'acme.localhost');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('"keys"');
  });
});
