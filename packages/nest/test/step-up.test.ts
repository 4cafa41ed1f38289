/**
 * `@StepUp` (core `requireStepUp`, RFC 9470) through the Nest guard on Express and on Fastify
 * over real HTTP from 127.0.0.1: a strong, recent sign-in is served; a weak, stale or undated one
 * is 401 `insufficient_user_authentication` with the exact `WWW-Authenticate` challenge
 * (`acr_values`, `max_age`), recorded as `authz_fail`; bad options fail when the class is
 * defined.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AuditDecisionEvent } from '@tokenward/core';
import { StepUp, TokenwardModule } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { testIssuer } from './helpers';

const MFA = 'urn:example:mfa';
const PREFIX = 'Bearer realm="api", error="insufficient_user_authentication", error_description=';
// Ages of seconds against a 300 s bound, and of an hour past it: no boundary a slow run crosses.
const secondsAgo = (seconds: number) => Math.floor(Date.now() / 1000) - seconds;

@StepUp({ maxAge: 300 })
@Controller('account')
class AccountController {
  @Get('profile')
  profile() {
    return { ok: true };
  }

  @StepUp({ acr: [MFA, 'phr'] })
  @Get('transfer')
  transfer() {
    return { ok: true };
  }
}

describe.each([
  ['Express', false],
  ['Fastify', true],
])('@StepUp on %s', (_platform, fastify) => {
  let issuer: TestIssuer;
  let events: AuditDecisionEvent[];
  let app: INestApplication;
  beforeAll(async () => {
    issuer = await testIssuer();
    @Module({
      imports: [
        TokenwardModule.forRoot(
          issuer.verifierOptions({
            audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
          }),
        ),
      ],
      controllers: [AccountController],
    })
    class AppModule {}
    app = fastify
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    if (fastify) await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => {
    events = [];
  });

  const call = async (path: string, claims: Record<string, unknown>) =>
    request(app.getHttpServer())
      .get(path)
      .set('Authorization', `Bearer ${await issuer.issueSigned(claims)}`);

  it('serves a strong, recent authentication on both levels', async () => {
    const claims = { acr: 'phr', auth_time: secondsAgo(5) };
    expect((await call('/account/profile', claims)).status).toBe(200);
    expect((await call('/account/transfer', claims)).status).toBe(200);
  });

  it("refuses a weak acr with the handler's challenge, audited as authz_fail", async () => {
    const refused = await call('/account/transfer', {
      acr: 'urn:example:pwd',
      auth_time: secondsAgo(5),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(
      `${PREFIX}"the user's authentication context class (acr) is not one this route accepts (needs one of: ${MFA} phr)", ` +
        `acr_values="${MFA} phr"`,
    );
    expect(refused.body).toEqual({
      error: 'insufficient_user_authentication',
      error_description: expect.stringContaining('(acr)'),
    });
    await new Promise((r) => setImmediate(r));
    expect(
      events.filter((e) => e.outcome === 'deny').map((e) => [e.event, e.stage, e.reason, e.route]),
    ).toEqual([['authz_fail', 'authorization', 'ERR_ACR_INSUFFICIENT', '/account/transfer']]);
  });

  it("refuses a stale or undated authentication with the controller's max_age", async () => {
    const stale = await call('/account/transfer', { acr: MFA, auth_time: secondsAgo(3600) });
    expect(stale.status).toBe(401);
    expect(stale.headers['www-authenticate']).toBe(
      `${PREFIX}"the user's authentication is older than this route accepts (at most 300 s)", max_age="300"`,
    );
    const undated = await call('/account/profile', { acr: MFA });
    expect(undated.status).toBe(401);
    expect(undated.headers['www-authenticate']).toBe(
      `${PREFIX}"the token does not say when the user authenticated (auth_time); this route needs an authentication at most 300 s old", max_age="300"`,
    );
  });

  it('refuses bad options when the class is defined', () => {
    expect(() => StepUp({})).toThrow(/^requireStepUp: expected acr, maxAge or both/);
    expect(() => StepUp({ acr: ['two words'] })).toThrow(TypeError);
    expect(() => StepUp({ maxAge: -5 })).toThrow(TypeError);
  });
});
