/**
 * Audit events through the Nest guard, on Express and on Fastify: the route template Nest
 * registered, one authentication and one authorization event per request, and queued events
 * written when the application closes (TokenwardModule.onApplicationShutdown).
 */
import { Controller, Get, Module, Req, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AuditDecisionEvent, AuditEvent, AuditSink } from '@tokenward/core';
import { Public, Scopes, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from './helpers';

@Controller('items')
class ItemsController {
  @Scopes('items:read')
  @Get(':id')
  item() {
    return { ok: true };
  }

  @Get()
  list() {
    return { ok: true };
  }

  /** The address the platform computed, for the event's `ip` to be compared with. */
  @Scopes('items:read')
  @Get('ip/seen')
  ip(@Req() req: { ip?: string }) {
    return { ip: req.ip };
  }

  @Public()
  @Get('public/info')
  info() {
    return { ok: true };
  }
}

describe.each([
  ['Express', () => undefined],
  ['Fastify', () => new FastifyAdapter()],
])('audit through the Nest guard on %s', (_platform, adapter) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let events: AuditDecisionEvent[];
  let sinkClosed: boolean;

  beforeAll(async () => {
    issuer = await testIssuer();
  });
  beforeEach(async () => {
    events = [];
    sinkClosed = false;
    const sink: AuditSink = {
      // Slower than a request: a close() that did not flush would lose these.
      write: (batch) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            events.push(...(batch as AuditDecisionEvent[]));
            resolve();
          }, 10),
        ),
      close: async () => {
        sinkClosed = true;
      },
    };
    @Module({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions({ audit: { sink } }))],
      controllers: [ItemsController],
    })
    class AppModule {}
    const platform = adapter();
    app = platform
      ? await NestFactory.create(AppModule, platform, { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
  });
  afterEach(() => app.close());

  const flushed = async () => {
    await app.close();
    return events;
  };

  it('records both decisions with the route template, on a miss and on a cache hit', async () => {
    const token = await issuer.issueNested({ scope: 'items:read' });
    for (let i = 0; i < 3; i++) {
      await request(app.getHttpServer())
        .get(`/items/${i}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
    }
    const recorded = await flushed();
    expect(recorded.map((e) => `${e.event} ${e.route}`)).toEqual(
      Array(3).fill(['authn_token_valid /items/:id', 'authz_success /items/:id']).flat(),
    );
    expect(sinkClosed).toBe(true);
    expect(recorded[0]?.encryption).toEqual({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
  });

  it('a 403 is authz_fail, a route without requirements records authentication only, @Public nothing', async () => {
    const token = await issuer.issueNested({ scope: 'other' });
    const server = app.getHttpServer();
    await request(server).get('/items/1').set('Authorization', `Bearer ${token}`).expect(403);
    await request(server).get('/items').set('Authorization', `Bearer ${token}`).expect(200);
    await request(server).get('/items/public/info').expect(200);
    await request(server).get('/items').expect(401);
    const recorded = await flushed();
    expect(recorded.map((e) => [e.event, e.reason, e.route])).toEqual([
      ['authn_token_valid', 'ok', '/items/:id'],
      ['authz_fail', 'ERR_SCOPE_MISSING', '/items/:id'],
      ['authn_token_valid', 'ok', '/items'],
      ['authn_token_missing', 'ERR_TOKEN_MISSING', '/items'],
    ]);
  });

  it('writes every queued event on app.close()', async () => {
    const token = await issuer.issueNested({ scope: 'items:read' });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        request(app.getHttpServer())
          .get('/items/9')
          .set('Authorization', `Bearer ${token}`)
          .expect(200),
      ),
    );
    const before = events.length;
    const recorded: AuditEvent[] = await flushed();
    expect(before).toBeLessThan(40);
    expect(recorded).toHaveLength(40);
  });
});

describe.each([
  [undefined, '127.0.0.1'],
  [false, '127.0.0.1'],
  ['loopback', '203.0.113.9'],
  [true, '198.51.100.1'],
])('the event ip through the Nest guard on Express, trust proxy %p', (trust, expected) => {
  it("is the platform's req.ip, at both stages", async () => {
    const issuer = await testIssuer();
    const events: AuditDecisionEvent[] = [];
    @Module({
      imports: [
        TokenwardModule.forRoot(
          issuer.verifierOptions({
            audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
          }),
        ),
      ],
      controllers: [ItemsController],
    })
    class AppModule {}
    const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false });
    if (trust !== undefined) app.set('trust proxy', trust);
    await app.listen(0, '127.0.0.1');
    try {
      const token = await issuer.issueNested({ scope: 'items:read' });
      const response = await request(app.getHttpServer())
        .get('/items/ip/seen')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', '198.51.100.1, 203.0.113.9')
        .expect(200);
      const seen = (response.body as { ip: string }).ip;
      expect(seen.replace(/^::ffff:/, '')).toBe(expected);
      await app.close();
      expect(events.map((e) => [e.event, e.ip])).toEqual([
        ['authn_token_valid', seen],
        ['authz_success', seen],
      ]);
    } finally {
      await app.close();
    }
  });
});
