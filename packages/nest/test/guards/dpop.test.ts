/**
 * DPoP through the Nest guard on both platforms: the origin comes from the platform (Express
 * `hostname` + Host, Fastify `host`), a fresh DPoP-Nonce reaches the response through the
 * platform adapter, challenges and `@RequireBinding('dpop')` hold per route.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AccessToken } from '@tokenward/core';
import { Auth, RequireBinding, TokenwardModule } from '@tokenward/nest';
import { createDPoPKey, dpopHeaders, type DPoPTestKey, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { nonceIssuedAgo, testIssuer } from '../helpers';

const SECRET = 'the-nonce-secret-shared-by-every-instance';

@Controller('api')
class BoundController {
  @Get('me')
  me(@Auth() auth: AccessToken) {
    return { binding: auth.binding.scheme };
  }

  @RequireBinding('dpop')
  @Get('payments')
  payments() {
    return { ok: true };
  }
}

describe.each([
  ['Express', () => undefined],
  ['Fastify', () => new FastifyAdapter()],
])('AccessTokenGuard with DPoP on %s', (_platform, adapter) => {
  let issuer: TestIssuer;
  let key: DPoPTestKey;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await testIssuer();
    key = await createDPoPKey('ES256');
    @Module({
      imports: [
        TokenwardModule.forRoot(issuer.verifierOptions({ dpop: { nonce: { secret: SECRET } } })),
      ],
      controllers: [BoundController],
    })
    class AppModule {}
    const platform = adapter();
    app =
      platform === undefined
        ? await NestFactory.create(AppModule, { logger: false })
        : await NestFactory.create(AppModule, platform, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  it('asks for a nonce, then accepts the bound token with it', async () => {
    const token = await issuer.issueSigned({ cnf: { jkt: key.jkt } });
    const first = await request(url)
      .get('/api/me')
      .set(await dpopHeaders(key, token, { method: 'GET', url: `${url}/api/me` }))
      .expect(401);
    expect(first.headers['www-authenticate']).toContain('DPoP realm="api"');
    expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeDefined();
    await request(url)
      .get('/api/me')
      .set(await dpopHeaders(key, token, { method: 'GET', url: `${url}/api/me`, nonce }))
      .expect(200, { binding: 'dpop' });
  });

  it('sends a fresh DPoP-Nonce with the response when the proof used the previous one', async () => {
    const token = await issuer.issueSigned({ cnf: { jkt: key.jkt } });
    // An instance with the same secret, one step (300 s) behind, issued it.
    const old = await nonceIssuedAgo(issuer, SECRET, 300_000);
    const res = await request(url)
      .get('/api/me')
      .set(await dpopHeaders(key, token, { method: 'GET', url: `${url}/api/me`, nonce: old }))
      .expect(200);
    expect(res.headers['dpop-nonce']).toMatch(/^[0-9a-z]+\./);
    expect(res.headers['dpop-nonce']).not.toBe(old);
  });

  it('refuses a bound token under Bearer, and an unbound one on the DPoP-only route', async () => {
    const token = await issuer.issueSigned({ cnf: { jkt: key.jkt } });
    const downgrade = await request(url)
      .get('/api/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(downgrade.body).toMatchObject({ error: 'invalid_token' });
    const bearer = await issuer.issueSigned({});
    await request(url).get('/api/me').set('Authorization', `Bearer ${bearer}`).expect(200);
    const refused = await request(url)
      .get('/api/payments')
      .set('Authorization', `Bearer ${bearer}`)
      .expect(401);
    expect(refused.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token"/,
    );
  });
});
