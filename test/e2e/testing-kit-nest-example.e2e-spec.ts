/**
 * The Jest + supertest example of packages/testing/README.md, run as written against a small Nest
 * app, so the documented usage keeps working.
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { AccessToken } from '@tokenward/core';
import { Auth, Public, Roles, Scopes, TokenwardModule } from '@tokenward/nest';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

// --- the "user's app" --------------------------------------------------------------------------
@Controller()
class MessagesController {
  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }

  @Get('me')
  me(@Auth() auth: AccessToken) {
    return { subject: auth.subject, encrypted: auth.encryption !== undefined };
  }

  @Scopes('messages:write')
  @Post('messages')
  @HttpCode(201)
  create(@Body() body: { text: string }) {
    return { id: 1, text: body.text };
  }

  @Roles('admin')
  @Get('admin')
  admin() {
    return { admin: true };
  }
}

// --- the README example -------------------------------------------------------------------------
describe('Messages API (README example)', () => {
  let testIssuer: TestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    testIssuer = await createTestIssuer(); // RS256 signing key + RSA-OAEP-256 encryption key pair
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenwardModule.forRoot({
          ...testIssuer.verifierOptions({ encryption: 'required' }),
          // guard: 'global' is the default: AccessTokenGuard on every route, @Public() opts out
        }),
      ],
      controllers: [MessagesController],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(() => app.close());

  it('lets a nested token with the scope post a message', async () => {
    const token = await testIssuer.issueNested({ sub: 'alice', scope: 'messages:write' });
    await request(app.getHttpServer())
      .post('/messages')
      .set('Authorization', `Bearer ${token}`)
      .send({ text: 'hello' })
      .expect(201, { id: 1, text: 'hello' });
  });

  it('answers 403 insufficient_scope without the scope', async () => {
    const token = await testIssuer.issueNested({ scope: 'messages:read' });
    const res = await request(app.getHttpServer())
      .post('/messages')
      .set('Authorization', `Bearer ${token}`)
      .send({ text: 'hello' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
    expect(res.headers['www-authenticate']).toContain('scope="messages:write"');
  });

  it('checks roles', async () => {
    const admin = await testIssuer.issueNested({ roles: ['admin'] });
    const user = await testIssuer.issueNested({ roles: ['user'] });
    const server = app.getHttpServer();
    await request(server).get('/admin').set('Authorization', `Bearer ${admin}`).expect(200);
    await request(server).get('/admin').set('Authorization', `Bearer ${user}`).expect(403);
  });

  it.each(['expired', 'wrong-audience', 'tampered-signature', 'id-token', 'unsigned-jwe'] as const)(
    'answers 401 invalid_token for a %s token',
    async (kind) => {
      const token = await testIssuer.issueInvalid(kind, {}, { nested: kind !== 'unsigned-jwe' });
      const res = await request(app.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    },
  );

  it('refuses a signed-only token when encryption is required, and no token at all', async () => {
    const signed = await testIssuer.issueSigned();
    const server = app.getHttpServer();
    await request(server).get('/me').set('Authorization', `Bearer ${signed}`).expect(401);
    const res = await request(server).get('/me').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    await request(server).get('/health').expect(200, { ok: true });
  });

  it('injects the verified token', async () => {
    const token = await testIssuer.issueNested({ sub: 'bob' });
    await request(app.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(200, { subject: 'bob', encrypted: true });
  });
});
