/**
 * `@RateLimit` through the Nest guard, on Express and on Fastify over real HTTP: controller and
 * handler limits add up, allowed responses carry the RateLimit-Policy / RateLimit fields, the
 * request after the quota is 429 with Retry-After and the JSON body (no challenge), recorded as
 * excess_rate_limit_exceeded ERR_RATE_LIMITED; a request without a token is 401 and counts nothing.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AuditDecisionEvent } from '@tokenward/core';
import { RateLimit, Scopes, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from './helpers';

const E = 'excess_rate_limit_exceeded';

/** A fresh controller per app: decorators create the counters when the class is defined. */
function controller() {
  @RateLimit({ key: 'client', name: 'api', limits: [{ name: 'api', points: 3, duration: 60 }] })
  @Controller('reports')
  class ReportsController {
    @RateLimit({
      key: 'client',
      name: 'export',
      limits: [{ name: 'export', points: 1, duration: 30 }],
    })
    @Scopes('reports:read')
    @Get('export')
    export() {
      return { ok: true };
    }

    @Get()
    list() {
      return { ok: true };
    }
  }
  return ReportsController;
}

describe.each([
  ['Express', () => undefined],
  ['Fastify', () => new FastifyAdapter()],
])('@RateLimit on %s', (_platform, adapter) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let events: AuditDecisionEvent[];

  beforeAll(async () => {
    issuer = await testIssuer();
  });
  beforeEach(async () => {
    events = [];
    @Module({
      imports: [
        TokenwardModule.forRoot(
          issuer.verifierOptions({
            audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
          }),
        ),
      ],
      controllers: [controller()],
    })
    class AppModule {}
    const platform = adapter();
    app = platform
      ? await NestFactory.create(AppModule, platform, { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    if (platform) await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  });
  afterEach(() => app.close());

  it('controller and handler limits add up: both fields list both; the handler one refuses first', async () => {
    const token = await issuer.issueNested({ client_id: 'app-1', scope: 'reports:read' });
    const server = app.getHttpServer();
    const first = await request(server)
      .get('/reports/export')
      .set('Authorization', `Bearer ${token}`);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"api";q=3;w=60, "export";q=1;w=30');
    expect(first.headers['ratelimit']).toMatch(/^"api";r=2;t=(60|59), "export";r=0;t=(30|29)$/);

    const refused = await request(server)
      .get('/reports/export')
      .set('Authorization', `Bearer ${token}`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(refused.headers['ratelimit']).toMatch(/^"export";r=0;t=\d+$/);
    expect(refused.headers['ratelimit-policy']).toBe('"export";q=1;w=30');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    expect(refused.body).toEqual({ error_description: 'the rate limit export is used up' });

    // The controller's quota (3) counted both requests: one more, then 429 on the list route.
    await request(server).get('/reports').set('Authorization', `Bearer ${token}`).expect(200);
    const exhausted = await request(server).get('/reports').set('Authorization', `Bearer ${token}`);
    expect(exhausted.status).toBe(429);
    expect(exhausted.headers['ratelimit']).toMatch(/^"api";r=0;t=\d+$/);

    await new Promise((r) => setImmediate(r));
    expect(
      events
        .filter((e) => e.outcome === 'deny')
        .map((e) => [e.event, e.stage, e.reason, e.status, e.route]),
    ).toEqual([
      [E, 'authorization', 'ERR_RATE_LIMITED', 429, '/reports/export'],
      [E, 'authorization', 'ERR_RATE_LIMITED', 429, '/reports'],
    ]);
  });

  it('runs after authentication: requests without a token are 401 and count nothing', async () => {
    const server = app.getHttpServer();
    for (let i = 0; i < 4; i++) await request(server).get('/reports').expect(401);
    const token = await issuer.issueNested({ client_id: 'app-2' });
    for (let i = 0; i < 3; i++) {
      await request(server).get('/reports').set('Authorization', `Bearer ${token}`).expect(200);
    }
    await request(server).get('/reports').set('Authorization', `Bearer ${token}`).expect(429);
  });
});
