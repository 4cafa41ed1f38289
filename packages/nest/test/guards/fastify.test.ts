/**
 * AccessTokenGuard on Nest's Fastify platform: Fastify's request keeps Node's request as `raw`,
 * so core reads `raw.rawHeaders` for the duplicate-Authorization check (RFC 9110 §5.3), and the
 * guard sets `WWW-Authenticate` through Fastify's reply.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AccessToken } from '@tokenward/core';
import { Auth, Scopes, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from '../helpers';

@Controller('api')
class MeController {
  @Get('me')
  me(@Auth() auth: AccessToken) {
    return { subject: auth.subject };
  }

  @Scopes('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

describe('AccessTokenGuard on Fastify', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await testIssuer();
    @Module({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
      controllers: [MeController],
    })
    class AppModule {}
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());

  it('accepts a valid token, also from the cache, and sets @Auth()', async () => {
    const token = await issuer.issueNested({ sub: 'fay' });
    for (let i = 0; i < 3; i++) {
      await request(url)
        .get('/api/me')
        .set('Authorization', `Bearer ${token}`)
        .expect(200, { subject: 'fay' });
    }
  });

  it('answers 401 with the challenge header set through Fastify', async () => {
    const res = await request(url).get('/api/me').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    const token = await issuer.issueSigned({ scope: 'read' });
    const denied = await request(url)
      .get('/api/admin')
      .set('Authorization', `Bearer ${token}`)
      .expect(403);
    expect(denied.headers['www-authenticate']).toContain('scope="admin"');
  });

  it('answers 400 to two Authorization lines (read from raw.rawHeaders)', async () => {
    const token = await issuer.issueSigned({ sub: 'gus' });
    // superagent hands the array to Node's setHeader, which writes one line per value.
    const res = await request(url)
      .get('/api/me')
      .set('Authorization', [`Bearer ${token}`, 'Bearer other'] as unknown as string)
      .expect(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    // The same token alone passes.
    await request(url).get('/api/me').set('Authorization', `Bearer ${token}`).expect(200);
  });
});
