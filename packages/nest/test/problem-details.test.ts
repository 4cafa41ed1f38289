/**
 * `errorFormat: 'problem'` on real Nest apps, Express and Fastify platforms, served on 127.0.0.1
 * and asked with fetch: AccessTokenGuard (no token, expired, @Scopes, @RateLimit, an approved-
 * client list that cannot say), the passport TokenwardStrategy and TokenwardExceptionFilter answer
 * `application/problem+json` with the RFC 9457 body and the headers of the default format
 * (challenge with its `scope`, Retry-After, RateLimit), with no exception filter registered for
 * the guard and the strategy. The default format stays RFC 6750 JSON.
 */
import {
  Controller,
  Get,
  Module,
  UseGuards,
  type INestApplication,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InvalidTokenError, type VerifierOptions } from '@tokenward/core';
import {
  AccessTokenGuard,
  RateLimit,
  Scopes,
  TokenwardExceptionFilter,
  TokenwardHttpException,
  TokenwardModule,
  TokenwardStrategy,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import { testIssuer } from './helpers';

const PROBLEM = /^application\/problem\+json(;|$)/;
const BASE = 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-';
const SCOPE_DETAIL = 'the token lacks a required scope (needs all of: reports:write)';

/** A fresh controller per app: @RateLimit creates its counter when the class is defined. */
function guardedController(): Type {
  @UseGuards(AccessTokenGuard)
  @Controller('guarded')
  class GuardedController {
    @Scopes('reports:write')
    @Get('reports')
    reports() {
      return { ok: true };
    }

    @RateLimit({ key: 'client', limits: [{ name: 'burst', points: 1, duration: 60 }] })
    @Get('limited')
    limited() {
      return { ok: true };
    }
  }
  return GuardedController;
}

@Controller('passport')
class PassportController {
  @UseGuards(AuthGuard('tokenward'))
  @Get()
  me() {
    return { ok: true };
  }
}

@Controller('throw')
class ThrowingController {
  @Get()
  throws() {
    throw new TokenwardHttpException(
      new InvalidTokenError('ERR_TOKEN_REVOKED', 'the token was revoked').withErrorFormat(
        'problem',
      ),
    );
  }
}

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly text: string;
  readonly body: unknown;
  readonly headers: Headers;
}

async function get(url: string, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    text,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    headers: response.headers,
  };
}

describe.each(['express', 'fastify'] as const)('errorFormat on Nest with %s', (platform) => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer();
  });

  /** Starts an app on 127.0.0.1 with the given verifier options, controllers and providers. */
  async function start(
    extra: Partial<VerifierOptions>,
    controllers: Type[],
    providers: Provider[] = [],
  ): Promise<{ app: INestApplication; url: string }> {
    @Module({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({ ...issuer.verifierOptions(extra), guard: 'manual' }),
      ],
      controllers,
      providers,
    })
    class AppModule {}
    const app =
      platform === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), {
            logger: false,
            abortOnError: false,
          })
        : await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    return { app, url: await app.getUrl() };
  }

  describe("errorFormat: 'problem'", () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start(
        { errorFormat: 'problem' },
        [guardedController(), PassportController],
        [TokenwardStrategy],
      ));
    });
    afterAll(() => app.close());

    it('answers a missing token 401 without an `error` member, with the bare challenge', async () => {
      for (const path of ['/guarded/reports', '/passport']) {
        const res = await get(`${url}${path}`);
        expect(res.status).toBe(401);
        expect(res.type).toMatch(PROBLEM);
        expect(res.body).toEqual({
          type: `${BASE}token-missing`,
          title: 'Access token required',
          status: 401,
          code: 'ERR_TOKEN_MISSING',
        });
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      }
    });

    it('answers an expired token 401 (guard and strategy) with the same challenge', async () => {
      const token = await issuer.issueInvalid('expired', { sub: 'expired-subject' });
      for (const path of ['/guarded/reports', '/passport']) {
        const res = await get(`${url}${path}`, token);
        expect(res.status).toBe(401);
        expect(res.type).toMatch(PROBLEM);
        expect(res.body).toEqual({
          type: `${BASE}token-expired`,
          title: 'Invalid access token',
          status: 401,
          detail: 'the token has expired',
          code: 'ERR_TOKEN_EXPIRED',
          error: 'invalid_token',
        });
        expect(res.headers.get('www-authenticate')).toBe(
          'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
        );
        expect(res.text).not.toContain(token);
        expect(res.text).not.toContain('expired-subject');
      }
    });

    it('answers a @Scopes 403 and keeps the challenge scope', async () => {
      const token = await issuer.issueSigned({ scope: 'reports:read' });
      const res = await get(`${url}/guarded/reports`, token);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}scope-missing`,
        title: 'Insufficient scope',
        status: 403,
        detail: SCOPE_DETAIL,
        code: 'ERR_SCOPE_MISSING',
        error: 'insufficient_scope',
      });
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="api", error="insufficient_scope", error_description="${SCOPE_DETAIL}", scope="reports:write"`,
      );
    });

    it('answers a used-up @RateLimit 429 with Retry-After and the RateLimit fields', async () => {
      const token = await issuer.issueSigned({ client_id: 'limited-app' });
      expect((await get(`${url}/guarded/limited`, token)).status).toBe(200);
      const res = await get(`${url}/guarded/limited`, token);
      expect(res.status).toBe(429);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}rate-limited`,
        title: 'Too many requests',
        status: 429,
        detail: expect.stringMatching(/^the rate limit .+ is used up$/) as unknown,
        code: 'ERR_RATE_LIMITED',
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('ratelimit-policy')).toMatch(/^"burst";q=1;w=60$/);
      expect(res.headers.get('ratelimit')).toMatch(/^"burst";r=0;t=\d+$/);
      expect(res.headers.get('www-authenticate')).toBeNull();
    });
  });

  describe("errorFormat: 'problem' when a dependency cannot answer", () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start(
        { errorFormat: 'problem', approvedClients: { isApproved: () => 'unknown' } },
        [guardedController()],
      ));
    });
    afterAll(() => app.close());

    it('answers 503 with Retry-After and no challenge', async () => {
      const token = await issuer.issueSigned({ client_id: 'some-app', scope: 'reports:write' });
      const res = await get(`${url}/guarded/reports`, token);
      expect(res.status).toBe(503);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}client-approval-unavailable`,
        title: 'Service unavailable',
        status: 503,
        detail: "whether the token's client is approved cannot be checked right now; retry later",
        code: 'ERR_CLIENT_APPROVAL_UNAVAILABLE',
      });
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('www-authenticate')).toBeNull();
    });
  });

  describe("errorFormat: 'problem' with errorDescriptions: 'terse'", () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start({ errorFormat: 'problem', errorDescriptions: 'terse' }, [
        guardedController(),
      ]));
    });
    afterAll(() => app.close());

    it('gives the terse text as detail, as in the challenge', async () => {
      const forged = await issuer.issueInvalid('tampered-signature');
      const invalid = await get(`${url}/guarded/reports`, forged);
      expect(invalid.type).toMatch(PROBLEM);
      expect(invalid.body).toEqual({
        type: `${BASE}jws-signature-invalid`,
        title: 'Invalid access token',
        status: 401,
        detail: 'The access token is invalid',
        code: 'ERR_JWS_SIGNATURE_INVALID',
        error: 'invalid_token',
      });
      expect(invalid.headers.get('www-authenticate')).toContain(
        'error_description="The access token is invalid"',
      );
      const scoped = await issuer.issueSigned({ scope: 'reports:read' });
      const insufficient = await get(`${url}/guarded/reports`, scoped);
      expect(insufficient.body).toMatchObject({
        detail: 'The access token does not grant access to this resource',
        error: 'insufficient_scope',
      });
    });
  });

  describe('the default format', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start({}, [guardedController()]));
    });
    afterAll(() => app.close());

    it('stays RFC 6750 JSON', async () => {
      const missing = await get(`${url}/guarded/reports`);
      expect(missing.status).toBe(401);
      expect(missing.type).toMatch(/^application\/json(;|$)/);
      expect(missing.body).toEqual({});
      const token = await issuer.issueSigned({ scope: 'reports:read' });
      const insufficient = await get(`${url}/guarded/reports`, token);
      expect(insufficient.type).toMatch(/^application\/json(;|$)/);
      expect(insufficient.body).toEqual({
        error: 'insufficient_scope',
        error_description: SCOPE_DETAIL,
      });
      expect(insufficient.headers.get('www-authenticate')).toContain('scope="reports:write"');
    });
  });

  describe('TokenwardExceptionFilter', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start(
        {},
        [ThrowingController],
        [{ provide: APP_FILTER, useClass: TokenwardExceptionFilter }],
      ));
    });
    afterAll(() => app.close());

    it('answers a problem-format exception with its Content-Type, body and challenge', async () => {
      const res = await get(`${url}/throw`);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(PROBLEM);
      expect(res.body).toEqual({
        type: `${BASE}token-revoked`,
        title: 'Invalid access token',
        status: 401,
        detail: 'the token was revoked',
        code: 'ERR_TOKEN_REVOKED',
        error: 'invalid_token',
      });
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token", error_description="the token was revoked"',
      );
    });
  });

  it('refuses an unknown errorFormat when the module starts, with a TypeError naming it', async () => {
    await expect(start({ errorFormat: 'problem+json' as never }, [])).rejects.toThrow(
      new TypeError(`errorFormat: expected 'oauth' or 'problem'`),
    );
  });
});
