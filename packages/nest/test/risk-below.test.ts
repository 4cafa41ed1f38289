/**
 * `@RiskBelow` through the Nest guard on Express and on Fastify over real HTTP: a token seen from
 * more addresses than the `tokenSpread` detector allows (addresses from X-Forwarded-For through
 * a trusted loopback proxy) is refused with 403 ERR_RISK_TOO_HIGH on the guarded route and still
 * served on an unguarded one; another token is served; without `anomalies` the route is 503.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { VerifierOptions } from '@tokenward/core';
import { RiskBelow, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from './helpers';

@Controller('risk')
class RiskController {
  @RiskBelow(50)
  @Get('guarded')
  guarded() {
    return { ok: true };
  }

  @Get('open')
  open() {
    return { ok: true };
  }
}

describe.each([
  ['Express', false],
  ['Fastify', true],
])('@RiskBelow on %s', (_platform, fastify) => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer();
  });

  async function start(extra: Partial<VerifierOptions>): Promise<INestApplication> {
    @Module({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions(extra))],
      controllers: [RiskController],
    })
    class AppModule {}
    let app: INestApplication;
    if (fastify) {
      app = await NestFactory.create(AppModule, new FastifyAdapter({ trustProxy: 'loopback' }), {
        logger: false,
      });
    } else {
      const express = await NestFactory.create<NestExpressApplication>(AppModule, {
        logger: false,
      });
      express.set('trust proxy', 'loopback');
      app = express;
    }
    await app.listen(0, '127.0.0.1');
    if (fastify) await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
    return app;
  }

  it('refuses a token spread over too many addresses with 403 ERR_RISK_TOO_HIGH', async () => {
    const app = await start({ anomalies: { tokenSpread: { addresses: 1 } } });
    try {
      const server = app.getHttpServer();
      const token = await issuer.issueSigned({ jti: `spread-${String(fastify)}` });
      const other = await issuer.issueSigned({ jti: `calm-${String(fastify)}` });
      const get = (path: string, t: string, ip: string) =>
        request(server).get(path).set('Authorization', `Bearer ${t}`).set('X-Forwarded-For', ip);
      await get('/risk/guarded', token, '192.0.2.1').expect(200);
      await get('/risk/open', token, '192.0.2.2').expect(200);
      const refused = await get('/risk/guarded', token, '192.0.2.1');
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        error_description: "the request's risk score is too high for this route",
      });
      expect(refused.headers['www-authenticate']).toBeUndefined();
      await get('/risk/open', token, '192.0.2.1').expect(200);
      await get('/risk/guarded', other, '192.0.2.1').expect(200);
    } finally {
      await app.close();
    }
  });

  it('answers 503 ERR_RISK_UNAVAILABLE with Retry-After when the verifier assesses no risk', async () => {
    const app = await start({});
    try {
      const token = await issuer.issueSigned();
      const refused = await request(app.getHttpServer())
        .get('/risk/guarded')
        .set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
    } finally {
      await app.close();
    }
  });
});
