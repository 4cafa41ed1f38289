/**
 * The verifier's rejection presentation applies to the failures the Nest adapters find
 * themselves: a route requirement's 403 (AccessTokenGuard) and the strategy's own refusals (no
 * token from its extractor, a falsy validate()). Each is reported once to `onRejection`, without
 * the token or its claims, and `errorDescriptions: 'terse'` shapes its error_description, on the
 * Express and the Fastify platform, with no exception filter registered.
 */
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AccessToken, RejectionEvent, Verifier } from '@tokenward/core';
import {
  AccessTokenGuard,
  Scopes,
  TOKENWARD_VERIFIER,
  TokenwardModule,
  TokenwardStrategy,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { ExtractJwt, testIssuer } from './helpers';

// Refuses subject "blocked" with a falsy result; reads only the Authorization header.
@Injectable()
class PickyStrategy extends TokenwardStrategy {
  constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
    super(verifier, { name: 'picky', jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() });
  }

  override validate(token: AccessToken): unknown {
    return token.subject === 'blocked' ? null : { id: token.subject };
  }
}

@UseGuards(AccessTokenGuard)
@Controller('guarded')
class GuardedController {
  @Scopes('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

@Controller('passport')
class PassportController {
  @UseGuards(AuthGuard('picky'))
  @Get()
  me(@Req() req: { user: unknown }) {
    return req.user;
  }
}

const TERSE_INSUFFICIENT = 'The access token does not grant access to this resource';
const TERSE_INVALID = 'The access token is invalid';

describe.each(['express', 'fastify'] as const)('rejection presentation on %s', (platform) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;
  const events: RejectionEvent[] = [];

  beforeAll(async () => {
    issuer = await testIssuer();
    @Module({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({
          ...issuer.verifierOptions(),
          realm: 'reports',
          errorDescriptions: 'terse',
          onRejection: (event) => events.push(event),
          guard: 'manual',
        }),
      ],
      controllers: [GuardedController, PassportController],
      providers: [PickyStrategy],
    })
    class AppModule {}
    app =
      platform === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(() => app.close());
  beforeEach(() => {
    events.length = 0;
  });

  /** Asserts the events carry nothing of the token: neither its text nor a claim value. */
  const expectNoTokenIn = (token: string, subject: string) => {
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toContain(subject);
  };

  it('reports a @Scopes 403 once, with its code, and answers with the terse text', async () => {
    const token = await issuer.issueSigned({ sub: 'sam-the-reader', scope: 'read' });
    // The second request is a cache hit: the synchronous path presents it the same way.
    for (let i = 0; i < 2; i++) {
      events.length = 0;
      const res = await request(url)
        .get('/guarded/admin?page=2')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
      expect(res.body).toEqual({
        error: 'insufficient_scope',
        error_description: TERSE_INSUFFICIENT,
      });
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="reports", error="insufficient_scope", error_description="${TERSE_INSUFFICIENT}", scope="admin"`,
      );
      expect(events).toEqual([
        {
          code: 'ERR_SCOPE_MISSING',
          status: 403,
          error: 'insufficient_scope',
          request: { method: 'GET', path: '/guarded/admin' },
        },
      ]);
      expectNoTokenIn(token, 'sam-the-reader');
    }
  });

  it("reports a verifier's own failure once (not again in the guard)", async () => {
    const token = await issuer.issueInvalid('expired', { sub: 'ed-expired' });
    const res = await request(url)
      .get('/guarded/admin')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token expired',
    });
    expect(events.map((event) => event.code)).toEqual(['ERR_TOKEN_EXPIRED']);
  });

  it('reports a falsy validate() once as ERR_TOKEN_REJECTED, terse, with a challenge', async () => {
    const token = await issuer.issueSigned({ sub: 'blocked' });
    const res = await request(url)
      .get('/passport')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: TERSE_INVALID });
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="reports", error="invalid_token", error_description="${TERSE_INVALID}"`,
    );
    expect(events).toEqual([
      {
        code: 'ERR_TOKEN_REJECTED',
        status: 401,
        error: 'invalid_token',
        request: { method: 'GET', path: '/passport' },
      },
    ]);
    expectNoTokenIn(token, 'blocked');
  });

  it("reports the strategy's missing token once, with the bare challenge", async () => {
    const res = await request(url).get('/passport').expect(401);
    expect(res.body).toEqual({});
    expect(res.headers['www-authenticate']).toBe('Bearer realm="reports"');
    expect(events).toEqual([
      {
        code: 'ERR_TOKEN_MISSING',
        status: 401,
        error: undefined,
        request: { method: 'GET', path: '/passport' },
      },
    ]);
  });

  it("reports the verifier's failure of an extracted token once", async () => {
    const token = await issuer.issueInvalid('tampered-signature');
    const res = await request(url)
      .get('/passport')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: TERSE_INVALID });
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="reports", error="invalid_token"/,
    );
    expect(events.map((event) => event.code)).toEqual(['ERR_JWS_SIGNATURE_INVALID']);
  });

  it('lets a valid token through', async () => {
    const token = await issuer.issueSigned({ sub: 'val', scope: 'admin' });
    await request(url).get('/passport').set('Authorization', `Bearer ${token}`).expect(200, {
      id: 'val',
    });
    await request(url).get('/guarded/admin').set('Authorization', `Bearer ${token}`).expect(200);
    expect(events).toEqual([]);
  });
});
