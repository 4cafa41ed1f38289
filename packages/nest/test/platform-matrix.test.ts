/**
 * Every @tokenward/nest decorator through AccessTokenGuard, on Nest's Express platform and on
 * its Fastify platform, over real HTTP on 127.0.0.1: the same controllers, the same requests and
 * the same expected answers on both. For each decorator, at handler level and at controller
 * level (where the two levels add up), the allowed request (200 and the body the handler built
 * from `@Auth()`), and the refused one: exact status, JSON body, `WWW-Authenticate` where the
 * refusal has a challenge and none where it has not, `Retry-After` and the `RateLimit` fields of
 * `@RateLimit`. Both guard modes: `guard: 'global'` (the default) and `guard: 'manual'` with
 * `@UseGuards(AccessTokenGuard)` on a controller or a handler.
 */
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  anyOf,
  requireClaim,
  requireRoles,
  requireScopes,
  type AccessToken,
} from '@tokenward/core';
import {
  AccessTokenGuard,
  AllowFrom,
  AnyRole,
  AnyScope,
  Auth,
  OptionalAuth,
  Public,
  RateLimit,
  RequireBinding,
  RequireClaim,
  RiskBelow,
  Roles,
  Scopes,
  TokenwardModule,
  UsePolicies,
  type TokenwardModuleForRootOptions,
} from '@tokenward/nest';
import { createDPoPKey, dpopHeaders, type DPoPTestKey, type TestIssuer } from '@tokenward/testing';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { BARE_CHALLENGE, testIssuer } from './helpers';

/**
 * The controllers of the global-mode app, defined afresh per app: `@RateLimit` creates its
 * counters when the class is defined, so each platform's app gets quotas of its own.
 */
function globalControllers() {
  @Public()
  @Controller('public')
  class PublicController {
    @Get()
    status() {
      return { status: 'ok' };
    }
  }

  @OptionalAuth()
  @Controller('maybe')
  class MaybeController {
    @Get()
    who(@Auth() auth: AccessToken | undefined) {
      return { subject: auth?.subject ?? null };
    }
  }

  @Controller('open')
  class OpenController {
    @Public()
    @Get('health')
    health() {
      return { status: 'ok' };
    }

    @OptionalAuth()
    @Get('greeting')
    greeting(@Auth('subject') subject: string | undefined) {
      return { hello: subject ?? 'stranger' };
    }

    // No decorator: the global guard alone requires a valid token.
    @Get('me')
    me(@Auth() auth: AccessToken, @Auth('subject') subject: string) {
      return {
        subject,
        clientId: auth.clientId,
        scopes: [...auth.scopes],
        roles: [...auth.roles],
        encrypted: auth.encryption !== undefined,
      };
    }
  }

  // Class-level @Roles('staff') applies to every handler, beside the handler's own requirement.
  @Roles('staff')
  @Controller('staff')
  class StaffController {
    @Get()
    home(@Auth('subject') subject: string) {
      return { subject };
    }

    @Scopes('reports:read')
    @Get('reports')
    reports(@Auth('subject') subject: string) {
      return { reports: [], subject };
    }

    @AnyScope('tickets:read', 'tickets:all')
    @Get('tickets')
    tickets() {
      return { tickets: [] };
    }

    @Roles('auditor')
    @Get('audit')
    audit() {
      return { audit: true };
    }

    @AnyRole('editor', 'admin')
    @Get('editing')
    editing() {
      return { editing: true };
    }

    @RequireClaim('email_verified', (value: unknown) => value === true)
    @Get('verified')
    verified(@Auth('claims') claims: Record<string, unknown>) {
      return { email: claims.email };
    }

    @RequireClaim('tenant', 'acme')
    @Get('tenant')
    tenant() {
      return { tenant: 'acme' };
    }

    @UsePolicies(anyOf(requireScopes('reports:admin'), requireRoles('admin')))
    @Get('admin')
    admin() {
      return { admin: true };
    }

    @RequireBinding('dpop')
    @Get('payments')
    payments(@Auth() auth: AccessToken) {
      return { binding: auth.binding.scheme };
    }

    @AllowFrom('127.0.0.0/8', '::1')
    @Get('loopback')
    loopback() {
      return { network: 'loopback' };
    }

    @AllowFrom('10.0.0.0/8')
    @Get('internal')
    internal() {
      return { network: 'internal' };
    }

    @RiskBelow(25)
    @Get('transfers')
    transfers() {
      return { transfers: [] };
    }

    @RateLimit({
      key: 'client',
      name: 'export',
      limits: [{ name: 'export', points: 2, duration: 60 }],
    })
    @Get('export')
    export() {
      return { exported: true };
    }
  }

  // Every requirement decorator that can sit on a controller, on one: each must hold.
  @Scopes('ledger:read')
  @AnyScope('ledger:read', 'ledger:all')
  @AnyRole('auditor', 'admin')
  @RequireClaim('tenant', (value: unknown) => value === 'acme')
  @UsePolicies(anyOf(requireClaim('tier', 'gold'), requireRoles('admin')))
  @AllowFrom('127.0.0.0/8', '::1')
  @RiskBelow(25)
  @Controller('ledger')
  class LedgerController {
    @Get()
    list(@Auth('clientId') clientId: string) {
      return { entries: [], clientId };
    }

    @AnyScope('ledger:write', 'ledger:all')
    @Get('entries')
    entries() {
      return { writable: true };
    }
  }

  @AllowFrom('10.0.0.0/8')
  @Controller('intranet')
  class IntranetController {
    @Get()
    home() {
      return { intranet: true };
    }
  }

  @RequireBinding('dpop')
  @Controller('bound')
  class BoundController {
    @Scopes('pay')
    @Get()
    pay(@Auth('binding') binding: AccessToken['binding']) {
      return { scheme: binding.scheme };
    }
  }

  // One quota for the controller's routes, counted by both.
  @RateLimit({ key: 'client', name: 'quota', limits: [{ name: 'quota', points: 2, duration: 60 }] })
  @Controller('quota')
  class QuotaController {
    @Get('a')
    a() {
      return { route: 'a' };
    }

    @Get('b')
    b() {
      return { route: 'b' };
    }
  }

  return [
    PublicController,
    MaybeController,
    OpenController,
    StaffController,
    LedgerController,
    IntranetController,
    BoundController,
    QuotaController,
  ];
}

/** The controllers of the manual-mode app: the guard where `@UseGuards` puts it, nowhere else. */
function manualControllers() {
  @UseGuards(AccessTokenGuard)
  @Roles('staff')
  @Controller('guarded')
  class GuardedController {
    @Scopes('reports:read')
    @Get()
    reports(@Auth('subject') subject: string) {
      return { subject };
    }

    @OptionalAuth()
    @Get('maybe')
    maybe(@Auth('subject') subject: string | undefined) {
      return { subject: subject ?? null };
    }
  }

  @Controller('mixed')
  class MixedController {
    @UseGuards(AccessTokenGuard)
    @Scopes('reports:read')
    @Get('guarded')
    guarded(@Auth('subject') subject: string) {
      return { subject };
    }

    // Neither guard nor requirement: manual mode leaves the route to the application.
    @Get('free')
    free() {
      return { free: true };
    }
  }

  return [GuardedController, MixedController];
}

/** A controller whose requirement nothing enforces in manual mode. */
@Controller('unguarded')
class UnguardedController {
  @Scopes('reports:read')
  @Get()
  reports() {
    return { reports: [] };
  }
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The DPoP challenge the global-mode app (which accepts DPoP) adds after its Bearer one. */
const DPOP_CHALLENGE = 'DPoP realm="api", algs="ES256 ES384 PS256 RS256 EdDSA Ed25519"';

/** What a refusal that blames the token answers: its JSON body and its exact challenge. */
interface Refusal {
  readonly body: { error: string; error_description: string };
  readonly challenge: string;
}

/**
 * The refusal `error` with `description`: the Bearer challenge names `scope` when given, and the
 * DPoP challenge follows it when the app accepts DPoP (`dpop`, the global-mode app).
 */
function refusal(error: string, description: string, scope?: string, dpop = true): Refusal {
  const bearerChallenge =
    `Bearer realm="api", error="${error}", error_description="${description}"` +
    (scope === undefined ? '' : `, scope="${scope}"`);
  return {
    body: { error, error_description: description },
    challenge: dpop ? `${bearerChallenge}, ${DPOP_CHALLENGE}` : bearerChallenge,
  };
}

/** 403 for scopes missing: the challenge names them (RFC 6750 §3.1). */
const missingScopes = (scopes: string, which: 'all' | 'one', dpop = true) =>
  refusal(
    'insufficient_scope',
    `the token lacks a required scope (needs ${which} of: ${scopes})`,
    scopes,
    dpop,
  );

/** 403 for roles missing: a role is not an OAuth scope, so the challenge names no scope. */
const missingRoles = (roles: string, which: 'all' | 'one', dpop = true) =>
  refusal(
    'insufficient_scope',
    `the token lacks a required role (needs ${which} of: ${roles})`,
    undefined,
    dpop,
  );

/** 403 for a claim failing `@RequireClaim`. */
const claimMismatch = (claim: string) =>
  refusal(
    'insufficient_scope',
    `the token's ${claim} claim does not satisfy this route's requirement`,
  );

/** 401 for an unbound token on a `@RequireBinding('dpop')` route. */
const BINDING_REQUIRED = refusal(
  'invalid_token',
  'this route accepts only tokens bound to a DPoP key',
);

/** 401 for a DPoP-bound token sent as a bearer token, without its proof. */
const BOUND_AS_BEARER = refusal(
  'invalid_token',
  'the token is DPoP-bound (cnf.jkt): present it under the DPoP scheme with a DPoP proof',
);

/** Asserts the status, the JSON body and the `WWW-Authenticate` header of a refusal. */
function expectRefused(res: request.Response, status: number, expected: Refusal): void {
  expect({
    status: res.status,
    body: res.body as unknown,
    challenge: res.headers['www-authenticate'],
  }).toEqual({
    status,
    body: expected.body,
    challenge: expected.challenge,
  });
}

describe.each([
  ['Express', () => undefined],
  ['Fastify', () => new FastifyAdapter()],
])('the guard and every decorator on %s', (platform, adapter) => {
  let issuer: TestIssuer;
  let key: DPoPTestKey;

  beforeAll(async () => {
    issuer = await testIssuer();
    key = await createDPoPKey('ES256');
  });

  /** Starts an app of `controllers` on 127.0.0.1:0 on this platform; closed again if it fails. */
  async function start(
    options: TokenwardModuleForRootOptions,
    controllers: Array<new () => unknown>,
  ): Promise<{ app: INestApplication; url: string }> {
    @Module({ imports: [TokenwardModule.forRoot(options)], controllers })
    class AppModule {}
    const platformAdapter = adapter();
    const app =
      platformAdapter === undefined
        ? await NestFactory.create(AppModule, { logger: false })
        : await NestFactory.create(AppModule, platformAdapter, { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
    } catch (error) {
      await app.close();
      throw error;
    }
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    return { app, url: `http://127.0.0.1:${String(port)}` };
  }

  describe("guard: 'global' (the default)", () => {
    let app: INestApplication;
    let url: string;
    /** A client id of its own per call: quotas and the risk score count per client. */
    let clients = 0;
    const client = (name: string) => `${platform}-${name}-${String(++clients)}`;
    const staff = (claims: Record<string, unknown> = {}) =>
      issuer.issueSigned({ sub: 'sam', roles: ['staff'], ...claims });

    beforeAll(async () => {
      ({ app, url } = await start(
        issuer.verifierOptions({
          // One denial of a client's verified token lifts its risk score to 30.
          anomalies: { denialBurst: { denials: 1 } },
          dpop: {},
        }),
        globalControllers(),
      ));
    });
    afterAll(() => app.close());

    describe('@Public', () => {
      it('serves a public controller and a public handler without a token, and ignores a bad one', async () => {
        await request(url).get('/public').expect(200, { status: 'ok' });
        await request(url).get('/open/health').expect(200, { status: 'ok' });
        // Not verified at all: a public route is public whatever the request carries.
        await request(url).get('/open/health').set(bearer('not-a-jwt')).expect(200);
      });
    });

    describe('@OptionalAuth', () => {
      it('passes without a token, with @Auth() undefined (handler and controller level)', async () => {
        const res = await request(url).get('/open/greeting').expect(200);
        expect(res.body).toEqual({ hello: 'stranger' });
        expect(res.headers['www-authenticate']).toBeUndefined();
        await request(url).get('/maybe').expect(200, { subject: null });
      });

      it('verifies a token when there is one and injects it', async () => {
        const token = await issuer.issueSigned({ sub: 'olive' });
        await request(url).get('/open/greeting').set(bearer(token)).expect(200, { hello: 'olive' });
        await request(url).get('/maybe').set(bearer(token)).expect(200, { subject: 'olive' });
      });

      it('answers 401 invalid_token with its challenge to a bad token', async () => {
        const expired = await issuer.issueInvalid('expired');
        for (const path of ['/open/greeting', '/maybe']) {
          const res = await request(url).get(path).set(bearer(expired));
          expectRefused(res, 401, refusal('invalid_token', 'the token has expired'));
        }
      });
    });

    describe('the global guard, @Auth() and @Auth(property)', () => {
      it('injects the verified token and its properties', async () => {
        const token = await issuer.issueNested({
          sub: 'alice',
          client_id: 'portal',
          scope: 'a b',
          roles: ['staff'],
        });
        await request(url)
          .get('/open/me')
          .set(bearer(token))
          .expect(200, {
            subject: 'alice',
            clientId: 'portal',
            scopes: ['a', 'b'],
            roles: ['staff'],
            encrypted: true,
          });
      });

      it('answers 401 with the bare challenge and an empty body without a token', async () => {
        const res = await request(url).get('/open/me').expect(401);
        expect(res.body).toEqual({});
        expect(res.headers['www-authenticate']).toBe(`${BARE_CHALLENGE}, ${DPOP_CHALLENGE}`);
      });

      it('answers 401 invalid_token to a forged token', async () => {
        const forged = await issuer.issueInvalid('tampered-signature');
        const res = await request(url).get('/open/me').set(bearer(forged));
        expectRefused(res, 401, refusal('invalid_token', 'the token signature is invalid'));
      });
    });

    describe('class-level @Roles with handler-level requirements: both apply', () => {
      it('serves the class requirement alone, and with the handler one', async () => {
        await request(url)
          .get('/staff')
          .set(bearer(await staff()))
          .expect(200, { subject: 'sam' });
        await request(url)
          .get('/staff/reports')
          .set(bearer(await staff({ scope: 'reports:read' })))
          .expect(200, { reports: [], subject: 'sam' });
      });

      it('refuses the handler scope without the class role, and the class role without the scope', async () => {
        const noRole = await issuer.issueSigned({ scope: 'reports:read', roles: ['user'] });
        const roleless = await request(url).get('/staff/reports').set(bearer(noRole));
        expectRefused(roleless, 403, missingRoles('staff', 'all'));
        const scopeless = await request(url)
          .get('/staff/reports')
          .set(bearer(await staff()));
        expectRefused(scopeless, 403, missingScopes('reports:read', 'all'));
      });

      it('@Roles on the handler adds to @Roles on the controller', async () => {
        await request(url)
          .get('/staff/audit')
          .set(bearer(await staff({ roles: ['staff', 'auditor'] })))
          .expect(200, { audit: true });
        const res = await request(url)
          .get('/staff/audit')
          .set(bearer(await issuer.issueSigned({ roles: ['auditor'] })));
        expectRefused(res, 403, missingRoles('staff', 'all'));
        const staffOnly = await request(url)
          .get('/staff/audit')
          .set(bearer(await staff()));
        expectRefused(staffOnly, 403, missingRoles('auditor', 'all'));
      });
    });

    describe('handler-level requirements', () => {
      it('@AnyScope: one listed scope is enough; none is 403 naming them all', async () => {
        await request(url)
          .get('/staff/tickets')
          .set(bearer(await staff({ scope: 'tickets:all' })))
          .expect(200, { tickets: [] });
        const res = await request(url)
          .get('/staff/tickets')
          .set(bearer(await staff({ scope: 'other' })));
        expectRefused(res, 403, missingScopes('tickets:read tickets:all', 'one'));
      });

      it('@AnyRole: one listed role is enough; none is 403 without a scope in the challenge', async () => {
        await request(url)
          .get('/staff/editing')
          .set(bearer(await staff({ roles: ['staff', 'admin'] })))
          .expect(200, { editing: true });
        const res = await request(url)
          .get('/staff/editing')
          .set(bearer(await staff()));
        expectRefused(res, 403, missingRoles('editor admin', 'one'));
      });

      it('@RequireClaim with a predicate: true passes; anything else (absent included) is 403', async () => {
        await request(url)
          .get('/staff/verified')
          .set(bearer(await staff({ email: 'sam@example.com', email_verified: true })))
          .expect(200, { email: 'sam@example.com' });
        for (const claims of [{ email_verified: 'true' }, { email_verified: false }, {}]) {
          const res = await request(url)
            .get('/staff/verified')
            .set(bearer(await staff(claims)));
          expectRefused(res, 403, claimMismatch('email_verified'));
        }
      });

      it('@RequireClaim with a value: equal or contained passes; another is 403', async () => {
        await request(url)
          .get('/staff/tenant')
          .set(bearer(await staff({ tenant: 'acme' })))
          .expect(200, { tenant: 'acme' });
        await request(url)
          .get('/staff/tenant')
          .set(bearer(await staff({ tenant: ['globex', 'acme'] })))
          .expect(200);
        const res = await request(url)
          .get('/staff/tenant')
          .set(bearer(await staff({ tenant: 'globex' })));
        expectRefused(res, 403, claimMismatch('tenant'));
      });

      it('@UsePolicies(anyOf(...)): either policy passes; neither is the first one’s 403', async () => {
        await request(url)
          .get('/staff/admin')
          .set(bearer(await staff({ scope: 'reports:admin' })))
          .expect(200, { admin: true });
        await request(url)
          .get('/staff/admin')
          .set(bearer(await staff({ roles: ['staff', 'admin'] })))
          .expect(200, { admin: true });
        const res = await request(url)
          .get('/staff/admin')
          .set(bearer(await staff({ scope: 'reports:read' })));
        expectRefused(res, 403, missingScopes('reports:admin', 'all'));
      });

      it('@RequireBinding: a DPoP-bound token with its proof passes', async () => {
        const token = await staff({ cnf: { jkt: key.jkt } });
        await request(url)
          .get('/staff/payments')
          .set(await dpopHeaders(key, token, { method: 'GET', url: `${url}/staff/payments` }))
          .expect(200, { binding: 'dpop' });
      });

      it('@RequireBinding: the bound token without a proof, and an unbound token, are 401', async () => {
        const bound = await staff({ cnf: { jkt: key.jkt } });
        // Sent as a bearer token, without the DPoP proof.
        const unproven = await request(url).get('/staff/payments').set(bearer(bound));
        expectRefused(unproven, 401, BOUND_AS_BEARER);
        // Under the DPoP scheme, still without a proof.
        const proofless = await request(url)
          .get('/staff/payments')
          .set('Authorization', `DPoP ${bound}`);
        expectRefused(proofless, 401, {
          body: {
            error: 'invalid_dpop_proof',
            error_description: 'the request has no DPoP proof header',
          },
          // Under the DPoP scheme, the error is the DPoP challenge's.
          challenge: `Bearer realm="api", ${DPOP_CHALLENGE}, error="invalid_dpop_proof", error_description="the request has no DPoP proof header"`,
        });

        const unbound = await request(url)
          .get('/staff/payments')
          .set(bearer(await staff()));
        expectRefused(unbound, 401, BINDING_REQUIRED);
      });

      it('@AllowFrom: the loopback network passes; another is 403 without a challenge', async () => {
        const token = await staff();
        await request(url)
          .get('/staff/loopback')
          .set(bearer(token))
          .expect(200, { network: 'loopback' });
        const res = await request(url).get('/staff/internal').set(bearer(token)).expect(403);
        expect(res.body).toEqual({
          error_description: 'requests from this network are not allowed',
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
      });

      it('@RiskBelow with anomalies: passes at score 0, 403 without a challenge once the client was denied', async () => {
        const risky = client('risky');
        const token = await staff({ client_id: risky });
        await request(url)
          .get('/staff/transfers')
          .set(bearer(token))
          .expect(200, { transfers: [] });
        // One denial of this client (a missing scope) lifts its risk score to 30.
        await request(url).get('/staff/reports').set(bearer(token)).expect(403);
        const res = await request(url).get('/staff/transfers').set(bearer(token)).expect(403);
        expect(res.body).toEqual({
          error_description: "the request's risk score is too high for this route",
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
        // Another client is not affected.
        await request(url)
          .get('/staff/transfers')
          .set(bearer(await staff({ client_id: client('calm') })))
          .expect(200);
      });

      it('@RateLimit: the fields on each allowed answer, then 429 with Retry-After and no challenge', async () => {
        const token = await staff({ client_id: client('exporter') });
        const first = await request(url).get('/staff/export').set(bearer(token)).expect(200);
        expect(first.body).toEqual({ exported: true });
        expect(first.headers['ratelimit-policy']).toBe('"export";q=2;w=60');
        expect(first.headers['ratelimit']).toMatch(/^"export";r=1;t=(60|59)$/);
        const second = await request(url).get('/staff/export').set(bearer(token)).expect(200);
        expect(second.headers['ratelimit']).toMatch(/^"export";r=0;t=\d+$/);

        const refused = await request(url).get('/staff/export').set(bearer(token)).expect(429);
        expect(refused.body).toEqual({ error_description: 'the rate limit export is used up' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(refused.headers['ratelimit-policy']).toBe('"export";q=2;w=60');
        expect(refused.headers['ratelimit']).toMatch(/^"export";r=0;t=\d+$/);
        expect(refused.headers['www-authenticate']).toBeUndefined();

        // Another client has its own quota.
        await request(url)
          .get('/staff/export')
          .set(bearer(await staff({ client_id: client('exporter') })))
          .expect(200);
      });
    });

    describe('controller-level requirements', () => {
      const ledger = (claims: Record<string, unknown> = {}) =>
        issuer.issueSigned({
          client_id: client('ledger'),
          scope: 'ledger:read',
          roles: ['auditor'],
          tenant: 'acme',
          tier: 'gold',
          ...claims,
        });

      it('serves a token meeting every class requirement, and the handler one added', async () => {
        const token = await ledger({ client_id: 'ledger-reader' });
        await request(url)
          .get('/ledger')
          .set(bearer(token))
          .expect(200, { entries: [], clientId: 'ledger-reader' });
        await request(url)
          .get('/ledger/entries')
          .set(bearer(await ledger({ scope: 'ledger:read ledger:write' })))
          .expect(200, { writable: true });
        // anyOf's second policy stands in for the first.
        await request(url)
          .get('/ledger')
          .set(bearer(await ledger({ tier: 'silver', roles: ['admin'] })))
          .expect(200);
      });

      it.each([
        ['@Scopes', { scope: 'ledger:all' }, '/ledger', missingScopes('ledger:read', 'all')],
        ['@AnyRole', { roles: ['staff'] }, '/ledger', missingRoles('auditor admin', 'one')],
        ['@RequireClaim (predicate)', { tenant: 'globex' }, '/ledger', claimMismatch('tenant')],
        // Neither policy of anyOf holds: the first one's failure is the answer.
        ['@UsePolicies(anyOf)', { tier: 'silver' }, '/ledger', claimMismatch('tier')],
        [
          'the handler @AnyScope',
          {},
          '/ledger/entries',
          missingScopes('ledger:write ledger:all', 'one'),
        ],
      ])(
        'refuses a token failing %s with 403 insufficient_scope',
        async (_name, claims, path, expected) => {
          const res = await request(url)
            .get(path)
            .set(bearer(await ledger(claims)));
          expectRefused(res, 403, expected);
        },
      );

      it('@RiskBelow on the controller refuses a client denied before', async () => {
        const token = await ledger();
        await request(url).get('/ledger/entries').set(bearer(token)).expect(403);
        const res = await request(url).get('/ledger').set(bearer(token)).expect(403);
        expect(res.body).toEqual({
          error_description: "the request's risk score is too high for this route",
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
      });

      it('@AllowFrom on the controller refuses every route from another network', async () => {
        const res = await request(url)
          .get('/intranet')
          .set(bearer(await issuer.issueSigned()))
          .expect(403);
        expect(res.body).toEqual({
          error_description: 'requests from this network are not allowed',
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
        // Authentication still comes first: no token is 401 with the challenge.
        const anonymous = await request(url).get('/intranet').expect(401);
        expect(anonymous.headers['www-authenticate']).toBe(`${BARE_CHALLENGE}, ${DPOP_CHALLENGE}`);
      });

      it('@RequireBinding on the controller, with @Scopes on the handler', async () => {
        const token = await issuer.issueSigned({ scope: 'pay', cnf: { jkt: key.jkt } });
        await request(url)
          .get('/bound')
          .set(await dpopHeaders(key, token, { method: 'GET', url: `${url}/bound` }))
          .expect(200, { scheme: 'dpop' });
        const unproven = await request(url).get('/bound').set(bearer(token));
        expectRefused(unproven, 401, BOUND_AS_BEARER);
        const unbound = await request(url)
          .get('/bound')
          .set(bearer(await issuer.issueSigned({ scope: 'pay' })));
        expectRefused(unbound, 401, BINDING_REQUIRED);
        // Bound, but without the handler's scope.
        const scopeless = await issuer.issueSigned({ cnf: { jkt: key.jkt } });
        const res = await request(url)
          .get('/bound')
          .set(await dpopHeaders(key, scopeless, { method: 'GET', url: `${url}/bound` }));
        expectRefused(res, 403, {
          body: missingScopes('pay', 'all').body,
          challenge: `Bearer realm="api", ${DPOP_CHALLENGE}, error="insufficient_scope", error_description="the token lacks a required scope (needs all of: pay)", scope="pay"`,
        });
      });

      it('@RateLimit on the controller: one quota for all its routes', async () => {
        const token = await issuer.issueSigned({ client_id: client('quota') });
        const a = await request(url).get('/quota/a').set(bearer(token)).expect(200, { route: 'a' });
        expect(a.headers['ratelimit-policy']).toBe('"quota";q=2;w=60');
        expect(a.headers['ratelimit']).toMatch(/^"quota";r=1;t=\d+$/);
        await request(url).get('/quota/b').set(bearer(token)).expect(200, { route: 'b' });
        const refused = await request(url).get('/quota/a').set(bearer(token)).expect(429);
        expect(refused.body).toEqual({ error_description: 'the rate limit quota is used up' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(refused.headers['www-authenticate']).toBeUndefined();
      });
    });
  });

  describe("guard: 'manual' with @UseGuards(AccessTokenGuard)", () => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await start(
        { ...issuer.verifierOptions(), guard: 'manual' },
        manualControllers(),
      ));
    });
    afterAll(() => app.close());

    it('a guarded controller: class @Roles and handler @Scopes both apply', async () => {
      const token = await issuer.issueSigned({
        sub: 'mia',
        roles: ['staff'],
        scope: 'reports:read',
      });
      await request(url).get('/guarded').set(bearer(token)).expect(200, { subject: 'mia' });
      const noScope = await issuer.issueSigned({ roles: ['staff'] });
      const res = await request(url).get('/guarded').set(bearer(noScope));
      expectRefused(res, 403, missingScopes('reports:read', 'all', false));
      const noRole = await issuer.issueSigned({ scope: 'reports:read' });
      const roleless = await request(url).get('/guarded').set(bearer(noRole));
      expectRefused(roleless, 403, missingRoles('staff', 'all', false));
      const anonymous = await request(url).get('/guarded').expect(401);
      expect(anonymous.headers['www-authenticate']).toBe(BARE_CHALLENGE);
      expect(anonymous.body).toEqual({});
    });

    it('@OptionalAuth under a guarded controller with requirements: the requirements win', async () => {
      const anonymous = await request(url).get('/guarded/maybe').expect(401);
      expect(anonymous.headers['www-authenticate']).toBe(BARE_CHALLENGE);
      const token = await issuer.issueSigned({ sub: 'mia', roles: ['staff'] });
      await request(url).get('/guarded/maybe').set(bearer(token)).expect(200, { subject: 'mia' });
    });

    it('a guarded handler is enforced; its unguarded neighbour is left to the application', async () => {
      const token = await issuer.issueSigned({ sub: 'ned', scope: 'reports:read' });
      await request(url).get('/mixed/guarded').set(bearer(token)).expect(200, { subject: 'ned' });
      const denied = await request(url)
        .get('/mixed/guarded')
        .set(bearer(await issuer.issueSigned()));
      expectRefused(denied, 403, missingScopes('reports:read', 'all', false));
      await request(url).get('/mixed/free').expect(200, { free: true });
    });

    it('refuses to start when a requirement has no guard to enforce it', async () => {
      await expect(
        start({ ...issuer.verifierOptions(), guard: 'manual' }, [UnguardedController]),
      ).rejects.toThrow(/^TokenwardModule: .*carries @Scopes but no AccessTokenGuard covers it/);
    });
  });
});
