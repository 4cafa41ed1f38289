/**
 * `@AllowFrom` through the Nest guard on Express and on Fastify over real HTTP from 127.0.0.1:
 * a route listing the loopback network serves, one listing another network is 403
 * ERR_IP_NOT_ALLOWED without a challenge (recorded as authz_fail); a spoofed X-Forwarded-For is
 * ignored unless the platform trusts the proxy, and honoured when it does.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AuditDecisionEvent } from '@tokenward/core';
import { AllowFrom, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from './helpers';

@Controller('net')
class NetworkController {
  @AllowFrom('127.0.0.0/8', '::1')
  @Get('loopback')
  loopback() {
    return { ok: true };
  }

  @AllowFrom('10.0.0.0/8')
  @Get('internal')
  internal() {
    return { ok: true };
  }
}

describe.each([
  ['Express', false],
  ['Fastify', true],
])('@AllowFrom on %s', (_platform, fastify) => {
  let issuer: TestIssuer;
  let events: AuditDecisionEvent[];
  beforeAll(async () => {
    issuer = await testIssuer();
  });

  async function start(trustProxy: boolean): Promise<INestApplication> {
    events = [];
    @Module({
      imports: [
        TokenwardModule.forRoot(
          issuer.verifierOptions({
            audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
          }),
        ),
      ],
      controllers: [NetworkController],
    })
    class AppModule {}
    let app: INestApplication;
    if (fastify) {
      app = await NestFactory.create(AppModule, new FastifyAdapter({ trustProxy }), {
        logger: false,
      });
    } else {
      const express = await NestFactory.create<NestExpressApplication>(AppModule, {
        logger: false,
      });
      express.set('trust proxy', trustProxy ? 'loopback' : false);
      app = express;
    }
    await app.listen(0, '127.0.0.1');
    if (fastify) await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
    return app;
  }

  it('serves the listed network and refuses another with 403, no challenge, audited', async () => {
    const app = await start(false);
    try {
      const token = await issuer.issueSigned();
      const server = app.getHttpServer();
      await request(server)
        .get('/net/loopback')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      const refused = await request(server)
        .get('/net/internal')
        .set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBeUndefined();
      await new Promise((r) => setImmediate(r));
      expect(
        events.filter((e) => e.outcome === 'deny').map((e) => [e.event, e.reason, e.route]),
      ).toEqual([['authz_fail', 'ERR_IP_NOT_ALLOWED', '/net/internal']]);
    } finally {
      await app.close();
    }
  });

  it('a spoofed X-Forwarded-For is ignored without a trusted proxy, honoured with one', async () => {
    const token = await issuer.issueSigned();
    const untrusting = await start(false);
    try {
      await request(untrusting.getHttpServer())
        .get('/net/internal')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', '10.1.2.3')
        .expect(403);
    } finally {
      await untrusting.close();
    }
    const trusting = await start(true);
    try {
      await request(trusting.getHttpServer())
        .get('/net/internal')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', '10.1.2.3')
        .expect(200);
      // The proxy now stands for the client: its own loopback address is no longer the caller's.
      await request(trusting.getHttpServer())
        .get('/net/loopback')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', '10.1.2.3')
        .expect(403);
    } finally {
      await trusting.close();
    }
  });

  it('refuses a bad network when the class is defined', () => {
    expect(() => AllowFrom('10.0.0.1/8')).toThrow(/requireNetwork/);
    expect(() => AllowFrom('not-an-address')).toThrow(TypeError);
  });
});
