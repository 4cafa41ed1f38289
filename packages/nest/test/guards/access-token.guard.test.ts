import {
  Controller,
  ForbiddenException,
  Get,
  UseGuards,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  anyOf,
  createVerifier,
  requireRoles,
  requireScopes,
  type AccessToken,
  type Verifier,
} from '@tokenward/core';
import {
  AccessTokenGuard,
  AnyRole,
  AnyScope,
  Auth,
  OptionalAuth,
  Public,
  RequireClaim,
  Roles,
  Scopes,
  TokenwardModule,
  UsePolicies,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { BARE_CHALLENGE, startApp, testIssuer } from '../helpers';

const summary = (auth: AccessToken | undefined) =>
  auth && {
    subject: auth.subject,
    scopes: [...auth.scopes],
    encrypted: auth.encryption !== undefined,
  };

@UseGuards(AccessTokenGuard)
@Controller('plain')
class PlainController {
  @Get()
  me(@Auth() auth: AccessToken) {
    return summary(auth);
  }

  @Get('subject')
  subject(@Auth('subject') subject: string) {
    return { subject };
  }

  @Public()
  @Get('public')
  open(@Auth() auth: AccessToken | undefined) {
    return { public: true, auth: auth === undefined ? null : 'set' };
  }

  @OptionalAuth()
  @Get('optional')
  optional(@Auth() auth: AccessToken | undefined) {
    return { subject: auth?.subject ?? null };
  }

  @OptionalAuth()
  @Scopes('read')
  @Get('optional-with-scope')
  optionalWithScope() {
    return { ok: true };
  }

  @Scopes('read', 'write')
  @Get('all-scopes')
  allScopes() {
    return { ok: true };
  }

  @AnyScope('read', 'write')
  @Get('any-scope')
  anyScope() {
    return { ok: true };
  }

  @AnyRole('admin', 'moderator')
  @Get('any-role')
  anyRole() {
    return { ok: true };
  }

  @RequireClaim('tenant', 'acme')
  @Get('tenant')
  tenant() {
    return { ok: true };
  }

  @RequireClaim(['org', 'tier'], (value: unknown) => value === 'gold')
  @Get('tier')
  tier() {
    return { ok: true };
  }

  @UsePolicies(anyOf(requireScopes('superuser'), requireRoles('admin')))
  @Get('policy')
  policy() {
    return { ok: true };
  }

  @UsePolicies(() => {
    throw new ForbiddenException('closed for maintenance');
  })
  @Get('custom-error')
  customError() {
    return { ok: true };
  }

  // Repeating a decorator adds a requirement; it does not replace the first.
  @Roles('admin')
  @Roles('auditor')
  @Get('two-roles')
  twoRoles() {
    return { ok: true };
  }
}

// Class and handler requirements combine: both must hold.
@UseGuards(AccessTokenGuard)
@Roles('admin')
@Controller('admin')
class AdminController {
  @Get()
  index() {
    return { ok: true };
  }

  @Scopes('reports:read')
  @Get('reports')
  reports() {
    return { ok: true };
  }
}

@UseGuards(AccessTokenGuard)
@Public()
@Controller('open')
class OpenController {
  @Get()
  index() {
    return { ok: true };
  }
}

describe('AccessTokenGuard', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await testIssuer();
    ({ app, url } = await startApp({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
      controllers: [PlainController, AdminController, OpenController],
    }));
  });
  afterAll(() => app.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  describe('authentication', () => {
    it('accepts a signed token and exposes it through @Auth()', async () => {
      const token = await issuer.issueSigned({ sub: 'alice', scope: 'read' });
      const res = await request(url).get('/plain').set(bearer(token)).expect(200);
      expect(res.body).toEqual({ subject: 'alice', scopes: ['read'], encrypted: false });
    });

    it('accepts a nested (signed, then encrypted) token and marks it encrypted', async () => {
      const token = await issuer.issueNested({ sub: 'bob' });
      const res = await request(url).get('/plain').set(bearer(token)).expect(200);
      expect(res.body).toEqual({ subject: 'bob', scopes: [], encrypted: true });
    });

    it('passes a property of the token with @Auth(property)', async () => {
      const token = await issuer.issueSigned({ sub: 'carol' });
      const res = await request(url).get('/plain/subject').set(bearer(token)).expect(200);
      expect(res.body).toEqual({ subject: 'carol' });
    });

    it('answers 401 with a bare challenge and an empty body when there is no token', async () => {
      const res = await request(url).get('/plain').expect(401);
      expect(res.headers['www-authenticate']).toBe(BARE_CHALLENGE);
      expect(res.body).toEqual({});
    });

    it('treats another auth scheme as no token', async () => {
      const res = await request(url).get('/plain').set('Authorization', 'Basic dXNlcjpwdw==');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(BARE_CHALLENGE);
    });

    it.each([
      ['expired', 'ERR_TOKEN_EXPIRED'],
      ['wrong-audience', 'ERR_AUDIENCE_INVALID'],
      ['tampered-signature', 'ERR_JWS_SIGNATURE_INVALID'],
      ['id-token', 'ERR_TOKEN_TYPE_INVALID'],
      ['unsigned-jwe', 'ERR_JWE_NOT_NESTED'],
    ] as const)('answers 401 invalid_token for a %s token', async (kind, code) => {
      const token = await issuer.issueInvalid(kind);
      const res = await request(url).get('/plain').set(bearer(token)).expect(401);
      expect(res.body.error).toBe('invalid_token');
      expect(typeof res.body.error_description).toBe('string');
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="(?:[^"\\]|\\.)+"$/,
      );
      // The code is not sent to clients; it is checked through the verifier directly.
      await expect(createVerifier(issuer.verifierOptions()).verify(token)).rejects.toMatchObject({
        code,
      });
    });

    it('never echoes the token in the response', async () => {
      const token = await issuer.issueInvalid('tampered-signature');
      const res = await request(url).get('/plain').set(bearer(token)).expect(401);
      expect(res.text).not.toContain(token.split('.')[1]);
      expect(res.headers['www-authenticate']).not.toContain(token.split('.')[1]);
    });

    it('answers 400 invalid_request for a malformed Authorization header', async () => {
      const res = await request(url).get('/plain').set('Authorization', 'Bearer a b').expect(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_request"/,
      );
    });

    it('answers 400 when the token is sent in a place that is not enabled', async () => {
      const token = await issuer.issueSigned();
      const res = await request(url).get(`/plain?access_token=${token}`).expect(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: expect.stringContaining('query string'),
      });
    });
  });

  describe('@Public and @OptionalAuth', () => {
    it('lets a public route through without a token, and without verifying one', async () => {
      await request(url).get('/plain/public').expect(200, { public: true, auth: null });
      await request(url)
        .get('/plain/public')
        .set('Authorization', 'Bearer not-a-jwt')
        .expect(200, { public: true, auth: null });
    });

    it('lets an optional route through without a token', async () => {
      await request(url).get('/plain/optional').expect(200, { subject: null });
    });

    it('verifies a token sent to an optional route', async () => {
      const token = await issuer.issueSigned({ sub: 'dave' });
      await request(url).get('/plain/optional').set(bearer(token)).expect(200, { subject: 'dave' });
      const bad = await issuer.issueInvalid('expired');
      const res = await request(url).get('/plain/optional').set(bearer(bad)).expect(401);
      expect(res.body.error).toBe('invalid_token');
    });

    it('requires a token on an optional route that has requirements', async () => {
      const res = await request(url).get('/plain/optional-with-scope').expect(401);
      expect(res.headers['www-authenticate']).toBe(BARE_CHALLENGE);
    });
  });

  describe('requirements', () => {
    it('requires every scope of @Scopes and names them in the challenge', async () => {
      const ok = await issuer.issueSigned({ scope: 'read write' });
      await request(url).get('/plain/all-scopes').set(bearer(ok)).expect(200);
      const partial = await issuer.issueSigned({ scope: 'read' });
      const res = await request(url).get('/plain/all-scopes').set(bearer(partial)).expect(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="read write"$/,
      );
    });

    it('requires one scope of @AnyScope', async () => {
      const write = await issuer.issueSigned({ scope: 'write' });
      await request(url).get('/plain/any-scope').set(bearer(write)).expect(200);
      const none = await issuer.issueSigned({ scope: 'other' });
      await request(url).get('/plain/any-scope').set(bearer(none)).expect(403);
    });

    it('requires one role of @AnyRole', async () => {
      const mod = await issuer.issueSigned({ roles: ['moderator'] });
      await request(url).get('/plain/any-role').set(bearer(mod)).expect(200);
      const user = await issuer.issueSigned({ roles: ['user'] });
      const res = await request(url).get('/plain/any-role').set(bearer(user)).expect(403);
      expect(res.body.error).toBe('insufficient_scope');
      // A role is not an OAuth scope: the challenge names none.
      expect(res.headers['www-authenticate']).not.toContain('scope="');
    });

    it('checks a claim value with @RequireClaim', async () => {
      const acme = await issuer.issueSigned({ tenant: 'acme' });
      await request(url).get('/plain/tenant').set(bearer(acme)).expect(200);
      const other = await issuer.issueSigned({ tenant: 'globex' });
      await request(url).get('/plain/tenant').set(bearer(other)).expect(403);
    });

    it('checks a nested claim with a predicate', async () => {
      const gold = await issuer.issueSigned({ org: { tier: 'gold' } });
      await request(url).get('/plain/tier').set(bearer(gold)).expect(200);
      const silver = await issuer.issueSigned({ org: { tier: 'silver' } });
      await request(url).get('/plain/tier').set(bearer(silver)).expect(403);
    });

    it('runs arbitrary policies with @UsePolicies', async () => {
      const admin = await issuer.issueSigned({ roles: ['admin'] });
      await request(url).get('/plain/policy').set(bearer(admin)).expect(200);
      const su = await issuer.issueSigned({ scope: 'superuser' });
      await request(url).get('/plain/policy').set(bearer(su)).expect(200);
      const neither = await issuer.issueSigned({ scope: 'read' });
      await request(url).get('/plain/policy').set(bearer(neither)).expect(403);
    });

    it('lets an application error thrown by a policy through unchanged', async () => {
      const token = await issuer.issueSigned();
      const res = await request(url).get('/plain/custom-error').set(bearer(token)).expect(403);
      expect(res.body.message).toBe('closed for maintenance');
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('keeps both requirements when a decorator is repeated', async () => {
      const both = await issuer.issueSigned({ roles: ['admin', 'auditor'] });
      await request(url).get('/plain/two-roles').set(bearer(both)).expect(200);
      for (const roles of [['admin'], ['auditor']]) {
        const one = await issuer.issueSigned({ roles });
        await request(url).get('/plain/two-roles').set(bearer(one)).expect(403);
      }
    });
  });

  describe('class and handler requirements combine (both must hold)', () => {
    it('applies the controller requirement to a handler without its own', async () => {
      const admin = await issuer.issueSigned({ roles: ['admin'] });
      await request(url).get('/admin').set(bearer(admin)).expect(200);
      const user = await issuer.issueSigned({ roles: ['user'] });
      await request(url).get('/admin').set(bearer(user)).expect(403);
    });

    it('requires the controller role and the handler scope together', async () => {
      const both = await issuer.issueSigned({ roles: ['admin'], scope: 'reports:read' });
      await request(url).get('/admin/reports').set(bearer(both)).expect(200);
      const scopeOnly = await issuer.issueSigned({ scope: 'reports:read' });
      await request(url).get('/admin/reports').set(bearer(scopeOnly)).expect(403);
      const roleOnly = await issuer.issueSigned({ roles: ['admin'] });
      const res = await request(url).get('/admin/reports').set(bearer(roleOnly)).expect(403);
      expect(res.headers['www-authenticate']).toContain('scope="reports:read"');
    });
  });

  it('lets requirements win over @Public when the start-up check is bypassed', async () => {
    // Contradictory routes never start under TokenwardModule (see startup/route-check.test.ts);
    // a guard used on its own still refuses them rather than serving them anonymously.
    @Public()
    @Roles('admin')
    class ContradictoryController {
      @Get()
      index() {
        return { ok: true };
      }
      @Public()
      @Scopes('read')
      @Get('handler')
      handler() {
        return { ok: true };
      }
    }
    const guard = new AccessTokenGuard(createVerifier(issuer.verifierOptions()), new Reflector());
    const contextFor = (handler: () => unknown) =>
      ({
        getHandler: () => handler,
        getClass: () => ContradictoryController,
        getType: () => 'http',
        switchToHttp: () => ({
          getRequest: () => ({ method: 'GET', url: '/', headers: {} }),
          getResponse: () => ({}),
        }),
      }) as unknown as ExecutionContext;
    for (const handler of [
      ContradictoryController.prototype.index,
      ContradictoryController.prototype.handler,
    ]) {
      await expect(guard.canActivate(contextFor(handler))).rejects.toMatchObject({
        status: 401,
        code: 'ERR_TOKEN_MISSING',
      });
    }
  });

  it('still throws the RFC 6750 exception when built without an HTTP adapter', async () => {
    const guard = new AccessTokenGuard(createVerifier(issuer.verifierOptions()), new Reflector());
    const context = {
      getHandler: () => PlainController.prototype.me,
      getClass: () => PlainController,
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => ({ method: 'GET', url: '/', headers: {} }) }),
    } as unknown as ExecutionContext;
    await expect(guard.canActivate(context)).rejects.toMatchObject({
      status: 401,
      cause: expect.objectContaining({ code: 'ERR_TOKEN_MISSING' }),
    });
  });

  describe('a repeated token (verified-token cache)', () => {
    /** A guard on a real verifier that counts the full, asynchronous verifications. */
    function guardFor(handler: Target) {
      const real = createVerifier(issuer.verifierOptions());
      let slow = 0;
      const verifier: Verifier = {
        ...real,
        verifyRequest: (req, context) => {
          slow++;
          return real.verifyRequest(req, context);
        },
      };
      const guard = new AccessTokenGuard(verifier, new Reflector());
      const contextFor = (token: string) => {
        const req = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } };
        const context = {
          getHandler: () => handler,
          getClass: () => PlainController,
          getType: () => 'http',
          switchToHttp: () => ({ getRequest: () => req }),
        } as unknown as ExecutionContext;
        return { context, req: req as typeof req & { auth?: AccessToken } };
      };
      return { guard, contextFor, slowCalls: () => slow };
    }
    type Target = ReturnType<ExecutionContext['getHandler']>;

    it('answers a hit synchronously, sets request.auth and still checks the route', async () => {
      const { guard, contextFor, slowCalls } = guardFor(PlainController.prototype.allScopes);
      const token = await issuer.issueSigned({ sub: 'fay', scope: 'read write' });
      // Stored at its second verification (admission: 'repeat'), answered from the cache after.
      for (let i = 0; i < 2; i++) {
        await expect(guard.canActivate(contextFor(token).context)).resolves.toBe(true);
      }
      const { context, req } = contextFor(token);
      expect(guard.canActivate(context)).toBe(true);
      expect(req.auth?.subject).toBe('fay');
      expect(slowCalls()).toBe(2);

      const readOnly = await issuer.issueSigned({ scope: 'read' });
      for (let i = 0; i < 3; i++) {
        await expect(guard.canActivate(contextFor(readOnly).context)).rejects.toMatchObject({
          status: 403,
        });
      }
      // The cached token is refused again by the policy, without another verification.
      expect(slowCalls()).toBe(4);
    });

    it('awaits an asynchronous policy after a hit', async () => {
      let calls = 0;
      class AsyncController {
        @UsePolicies(
          requireScopes('read'),
          async (token: AccessToken) => {
            calls++;
            await new Promise((resolve) => setImmediate(resolve));
            if (token.subject === 'blocked') throw new ForbiddenException('blocked');
          },
          requireRoles('member'),
        )
        handler() {
          return { ok: true };
        }
      }
      const { guard, contextFor, slowCalls } = guardFor(AsyncController.prototype.handler);
      const ok = await issuer.issueSigned({ sub: 'gil', scope: 'read', roles: ['member'] });
      for (let i = 0; i < 2; i++) {
        await expect(guard.canActivate(contextFor(ok).context)).resolves.toBe(true);
      }
      const second = guard.canActivate(contextFor(ok).context);
      expect(second).toBeInstanceOf(Promise);
      await expect(second).resolves.toBe(true);
      const blocked = await issuer.issueSigned({
        sub: 'blocked',
        scope: 'read',
        roles: ['member'],
      });
      for (let i = 0; i < 3; i++) {
        await expect(guard.canActivate(contextFor(blocked).context)).rejects.toBeInstanceOf(
          ForbiddenException,
        );
      }
      // The policy after the asynchronous one still runs on a hit.
      const notMember = await issuer.issueSigned({ sub: 'hal', scope: 'read' });
      for (let i = 0; i < 3; i++) {
        await expect(guard.canActivate(contextFor(notMember).context)).rejects.toMatchObject({
          status: 403,
        });
      }
      expect(calls).toBe(9);
      expect(slowCalls()).toBe(6);
    });
  });

  it('refuses to guard a non-HTTP context instead of letting it through', async () => {
    const guard = new AccessTokenGuard(createVerifier(issuer.verifierOptions()), new Reflector());
    const context = {
      getHandler: () => PlainController.prototype.me,
      getClass: () => PlainController,
      getType: () => 'rpc',
    } as unknown as ExecutionContext;
    await expect(guard.canActivate(context)).rejects.toThrow(/rpc contexts are not supported/);
  });
});
