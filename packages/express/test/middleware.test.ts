import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import {
  allOf,
  anyOf,
  createVerifier,
  InsufficientScopeError,
  requireRoles as rolesPolicy,
  requireScopes as scopesPolicy,
  TokenwardError,
  type AccessToken,
  type Verifier,
} from '@tokenward/core';
import {
  authenticate,
  authorize,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireRoles,
  requireScopes,
  tokenwardErrorHandler,
  type AuthenticateOptions,
} from '@tokenward/express';
import { createTestIssuer, INVALID_TOKEN_KINDS, type TestIssuer } from '@tokenward/testing';
import { EXPRESS_VERSIONS } from './express-versions';

// Every test below runs on Express 5 and on Express 4, each on real apps of that version.
describe.each(EXPRESS_VERSIONS)('on $label', ({ express, packageName, major }) => {
  it('builds its apps with the Express major it names', () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    expect(require(packageName)).toBe(express);
    const { version } = require(`${packageName}/package.json`) as { version: string };
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect(Number(version.split('.')[0])).toBe(major);
  });

  let testIssuer: TestIssuer;
  let verifier: Verifier;

  beforeAll(async () => {
    testIssuer = await createTestIssuer();
    verifier = createVerifier(testIssuer.verifierOptions());
  });

  /** What a route saw of `req.auth`. */
  function describeAuth(auth: AccessToken | undefined) {
    return auth === undefined
      ? { authenticated: false }
      : {
          authenticated: true,
          subject: auth.subject,
          clientId: auth.clientId,
          scopes: [...auth.scopes],
          roles: [...auth.roles],
          encrypted: auth.encryption !== undefined,
        };
  }

  const echo: RequestHandler = (req, res) => {
    res.json(describeAuth(req.auth));
  };

  /** A real Express 5 app: authenticate on /api, then one route per policy. */
  function createApp(options: AuthenticateOptions = {}, using: Verifier = verifier): Express {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use('/api', authenticate(using, options));
    app.get('/api/me', echo);
    app.get('/api/read', requireScopes('messages:read'), echo);
    app.get('/api/read-write', requireScopes('messages:read', 'messages:write'), echo);
    app.get('/api/any-scope', requireAnyScope('messages:read', 'messages:write'), echo);
    app.get('/api/admin', requireRoles('admin'), echo);
    app.get('/api/admin-auditor', requireRoles('admin', 'auditor'), echo);
    app.get('/api/staff', requireAnyRole('admin', 'support'), echo);
    app.get('/api/acme', requireClaim('tenant', 'acme'), echo);
    app.get(
      '/api/mfa',
      requireClaim('amr', (amr) => Array.isArray(amr) && amr.includes('mfa')),
      echo,
    );
    app.get(
      '/api/read-or-admin',
      authorize(anyOf(scopesPolicy('messages:read'), rolesPolicy('admin'))),
      echo,
    );
    app.get('/api/chain', requireScopes('messages:read'), requireRoles('admin'), echo);
    return app;
  }

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  /** Parses a `Bearer` challenge's auth-params (RFC 7235 §2.1, quoted-string with quoted-pairs). */
  function parseChallenge(header: string): Record<string, string> {
    expect(header).toMatch(/^Bearer /);
    const params: Record<string, string> = {};
    const pattern = /\s*([a-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/gy;
    pattern.lastIndex = 'Bearer '.length;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(header)) !== null) {
      params[match[1] as string] = (match[2] as string).replace(/\\(.)/g, '$1');
      if (pattern.lastIndex === header.length) break;
    }
    expect(pattern.lastIndex).toBe(header.length);
    return params;
  }

  function expectRfc6750Error(
    res: request.Response,
    status: number,
    error: string,
    scope?: string,
  ): void {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error, error_description: expect.any(String) });
    // The challenge carries the same error and description as the body, in this order.
    expect(parseChallenge(res.headers['www-authenticate'] as string)).toEqual({
      realm: 'api',
      error,
      error_description: res.body.error_description,
      ...(scope !== undefined && { scope }),
    });
    expect(Object.keys(parseChallenge(res.headers['www-authenticate'] as string))).toEqual([
      'realm',
      'error',
      'error_description',
      ...(scope !== undefined ? ['scope'] : []),
    ]);
  }

  describe('authenticate()', () => {
    const app = () => createApp();

    it('sets req.auth from a valid signed token', async () => {
      const token = await testIssuer.issueSigned({
        sub: 'alice',
        scope: 'messages:read',
        roles: ['admin'],
      });
      const res = await request(app()).get('/api/me').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        authenticated: true,
        subject: 'alice',
        clientId: 'test-client',
        scopes: ['messages:read'],
        roles: ['admin'],
        encrypted: false,
      });
    });

    it('sets req.auth from a nested (signed, then encrypted) token', async () => {
      const token = await testIssuer.issueNested({ sub: 'bob', scope: 'messages:read' });
      const res = await request(app()).get('/api/read').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ subject: 'bob', encrypted: true });
    });

    it('accepts VerifierOptions and creates the verifier itself', async () => {
      const viaOptions = express();
      viaOptions.get('/me', authenticate(testIssuer.verifierOptions({ realm: 'messages' })), echo);
      const token = await testIssuer.issueNested({ sub: 'carol' });
      const ok = await request(viaOptions).get('/me').set(bearer(token));
      expect(ok.status).toBe(200);
      expect(ok.body.subject).toBe('carol');
      const missing = await request(viaOptions).get('/me');
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="messages"');
    });

    it('answers a request without a token with 401, a bare challenge and an empty JSON object', async () => {
      const res = await request(app()).get('/api/me');
      expect(res.status).toBe(401);
      // RFC 6750 §3.1: no error code when the request carried no credentials.
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({});
    });

    it('treats another auth scheme as no bearer token (401, bare challenge)', async () => {
      const res = await request(app()).get('/api/me').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('answers a malformed Authorization header with 400 invalid_request', async () => {
      const res = await request(app()).get('/api/me').set('Authorization', 'Bearer a b');
      expectRfc6750Error(res, 400, 'invalid_request');
    });

    it('refuses a token in the query string unless enabled (400), and two tokens at once (400)', async () => {
      const token = await testIssuer.issueSigned();
      const disabled = await request(app()).get('/api/me').query({ access_token: token });
      expectRfc6750Error(disabled, 400, 'invalid_request');
      expect(JSON.stringify(disabled.body)).not.toContain(token);
      const twice = await request(app())
        .get('/api/me')
        .query({ access_token: token })
        .set(bearer(token));
      expectRfc6750Error(twice, 400, 'invalid_request');
    });

    it('reads the query and form body through Express when the verifier enables them', async () => {
      const open = createVerifier(
        testIssuer.verifierOptions({ tokenSources: { query: true, body: true } }),
      );
      const token = await testIssuer.issueSigned({ sub: 'q' });
      const viaQuery = await request(createApp({}, open))
        .get('/api/me')
        .query({ access_token: token });
      expect(viaQuery.status).toBe(200);
      expect(viaQuery.body.subject).toBe('q');
      const viaBody = await request(createApp({}, open))
        .post('/api/me-post')
        .type('form')
        .send({ access_token: token });
      // Only GET routes exist; authenticate ran first (on /api), so the 404 proves the token passed.
      expect(viaBody.status).toBe(404);
      const doubled = await request(createApp({}, open)).get(
        `/api/me?access_token=${token}&access_token=${token}`,
      );
      expectRfc6750Error(doubled, 400, 'invalid_request');
    });

    it.each(INVALID_TOKEN_KINDS)('answers a %s token with 401 invalid_token', async (kind) => {
      const token = await testIssuer.issueInvalid(kind, { scope: 'messages:read' });
      const res = await request(app()).get('/api/read').set(bearer(token));
      expectRfc6750Error(res, 401, 'invalid_token');
      // Neither the body nor the challenge echoes the token.
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(res.headers['www-authenticate']).not.toContain(token.slice(0, 40));
    });

    it('answers a nested token with a tampered inner signature with 401 invalid_token', async () => {
      const token = await testIssuer.issueInvalid('tampered-signature', {}, { nested: true });
      const res = await request(app()).get('/api/me').set(bearer(token));
      expectRfc6750Error(res, 401, 'invalid_token');
      expect(res.body.error_description).toBe('the token signature is invalid');
    });

    it('requires encryption when the verifier does', async () => {
      const strict = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
      const res = await request(createApp({}, strict))
        .get('/api/me')
        .set(bearer(await testIssuer.issueSigned()));
      expectRfc6750Error(res, 401, 'invalid_token');
    });

    it('checks its own options when the app is set up', () => {
      expect(() => authenticate(null as never)).toThrow(TypeError);
      expect(() => authenticate(verifier, { errorHandling: 'throw' as never })).toThrow(
        /errorHandling/,
      );
      expect(() => authenticate(verifier, { credentialsRequired: 'no' as never })).toThrow(
        /credentialsRequired/,
      );
      expect(() => authenticate({ ...testIssuer.verifierOptions(), audience: [] })).toThrow(
        /audience/,
      );
    });
  });

  describe('policy middlewares', () => {
    let app: Express;
    beforeAll(() => {
      app = createApp();
    });
    const call = async (path: string, claims: Record<string, unknown>) =>
      request(app)
        .get(path)
        .set(bearer(await testIssuer.issueNested(claims)));

    it.each([
      ['/api/read', { scope: 'messages:read' }],
      ['/api/read-write', { scope: 'messages:write messages:read' }],
      ['/api/any-scope', { scope: 'messages:write' }],
      ['/api/admin', { roles: ['admin'] }],
      ['/api/admin-auditor', { roles: ['auditor', 'admin'] }],
      ['/api/staff', { roles: ['support'] }],
      ['/api/acme', { tenant: 'acme' }],
      ['/api/acme', { tenant: ['other', 'acme'] }],
      ['/api/mfa', { amr: ['pwd', 'mfa'] }],
      ['/api/read-or-admin', { roles: ['admin'] }],
      ['/api/read-or-admin', { scope: 'messages:read' }],
      ['/api/chain', { scope: 'messages:read', roles: ['admin'] }],
    ])('%s lets %j through', async (path, claims) => {
      const res = await call(path, claims);
      expect(res.status).toBe(200);
      expect(res.body.authenticated).toBe(true);
    });

    it.each([
      ['/api/read', { scope: 'messages:write' }, 'messages:read'],
      ['/api/read-write', { scope: 'messages:read' }, 'messages:read messages:write'],
      ['/api/any-scope', { scope: 'profile' }, 'messages:read messages:write'],
      ['/api/read-or-admin', { roles: ['user'] }, 'messages:read'],
      ['/api/chain', { roles: ['admin'] }, 'messages:read'],
    ])('%s answers %j with 403 insufficient_scope and scope="%s"', async (path, claims, scope) => {
      const res = await call(path, claims);
      expectRfc6750Error(res, 403, 'insufficient_scope', scope);
    });

    it.each([
      ['/api/admin', { roles: ['user'] }],
      ['/api/admin-auditor', { roles: ['admin'] }],
      ['/api/staff', {}],
      ['/api/acme', { tenant: 'other' }],
      ['/api/acme', {}],
      ['/api/mfa', { amr: ['pwd'] }],
      ['/api/chain', { scope: 'messages:read', roles: ['user'] }],
    ])('%s answers %j with 403 insufficient_scope (no scope attribute)', async (path, claims) => {
      const res = await call(path, claims);
      expectRfc6750Error(res, 403, 'insufficient_scope');
    });

    it('says which requirement failed without echoing claim values', async () => {
      const res = await call('/api/acme', { tenant: 'secret-tenant-name' });
      expect(res.status).toBe(403);
      expect(res.body.error_description).toContain('tenant');
      expect(JSON.stringify(res.body)).not.toContain('secret-tenant-name');
      expect(res.headers['www-authenticate']).not.toContain('secret-tenant-name');
    });

    it('uses the realm of the verifier that authenticated the request', async () => {
      const realmApp = express();
      const realmVerifier = createVerifier(testIssuer.verifierOptions({ realm: 'messages' }));
      realmApp.get('/x', authenticate(realmVerifier), requireScopes('a'), echo);
      const res = await request(realmApp)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned()));
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="messages", error="insufficient_scope"/,
      );
    });

    it('without authenticate() before them, fail closed with 401 and a bare challenge (never 500)', async () => {
      const misconfigured = express();
      misconfigured.get('/x', requireScopes('a'), echo);
      const res = await request(misconfigured)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned({ scope: 'a' })));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.body).toEqual({});
    });

    describe('what authenticate() decided, in res.locals', () => {
      const realmVerifier = () => createVerifier(testIssuer.verifierOptions({ realm: 'messages' }));

      it('reaches the policies past middlewares that add to res.locals, and stays off req', async () => {
        const app = express();
        let ownSymbols: symbol[] = [];
        app.get(
          '/x',
          authenticate(realmVerifier()),
          (req, res, next) => {
            res.locals.user = 'someone';
            ownSymbols = [
              ...Object.getOwnPropertySymbols(req),
              // What res.render hands a template engine: `{ ...app.locals, ...res.locals }`.
              ...Object.getOwnPropertySymbols({ ...res.locals }),
            ];
            next();
          },
          requireScopes('a'),
          echo,
        );
        const res = await request(app)
          .get('/x')
          .set(bearer(await testIssuer.issueSigned({ scope: 'b' })));
        expect(res.status).toBe(403);
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer realm="messages", error="insufficient_scope"/,
        );
        // Not one more property on Express's request object (see request-state.ts for why), and
        // nothing for a template engine.
        expect(ownSymbols.map(String)).not.toContain('Symbol(tokenward.state)');
      });

      it('replaced by the app after authenticate(): every requirement still holds (default realm)', async () => {
        const app = express();
        app.use(authenticate(realmVerifier()));
        app.use((_req, res, next) => {
          res.locals = { replaced: true };
          next();
        });
        app.get('/x', requireScopes('a'), echo);
        const denied = await request(app)
          .get('/x')
          .set(bearer(await testIssuer.issueSigned({ scope: 'b' })));
        expect(denied.status).toBe(403);
        // The state went with the old res.locals: the policy answers as for a req.auth that
        // something else set, under the default realm, and still refuses.
        expect(denied.headers['www-authenticate']).toMatch(
          /^Bearer realm="api", error="insufficient_scope"/,
        );
        const noToken = await request(app).get('/x');
        expect(noToken.status).toBe(401);
        const allowed = await request(app)
          .get('/x')
          .set(bearer(await testIssuer.issueSigned({ scope: 'a' })));
        expect(allowed.status).toBe(200);
      });

      it('without res.locals (a caller that is not Express), is kept on the request', async () => {
        const token = await testIssuer.issueSigned({ scope: 'b' });
        const req = {
          method: 'GET',
          url: '/x',
          headers: { authorization: `Bearer ${token}` },
        } as unknown as Parameters<RequestHandler>[0];
        const res = {} as unknown as Parameters<RequestHandler>[1];
        const run = (handler: RequestHandler) =>
          new Promise<unknown>((resolve) => void handler(req, res, resolve));
        expect(await run(authenticate(realmVerifier(), { errorHandling: 'next' }))).toBeUndefined();
        expect(req.auth?.scopes.has('b')).toBe(true);
        const refused = await run(requireScopes('a'));
        expect(refused).toBeInstanceOf(InsufficientScopeError);
        // The realm of the verifier that authenticated, so the state was found on req.
        expect((refused as InsufficientScopeError).realm).toBe('messages');
      });
    });

    it('check their arguments when the app is set up', () => {
      expect(() => requireScopes()).toThrow(TypeError);
      expect(() => requireAnyScope('')).toThrow(TypeError);
      expect(() => requireRoles()).toThrow(TypeError);
      expect(() => requireAnyRole()).toThrow(TypeError);
      expect(() => requireClaim('', 'x')).toThrow(TypeError);
      expect(() => authorize('admin' as never)).toThrow(TypeError);
    });

    it('authorize() runs composed policies (allOf)', async () => {
      const composed = express();
      composed.get(
        '/x',
        authenticate(verifier),
        authorize(allOf(scopesPolicy('a'), rolesPolicy('r'))),
        echo,
      );
      const ok = await request(composed)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned({ scope: 'a', roles: ['r'] })));
      expect(ok.status).toBe(200);
      const denied = await request(composed)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned({ scope: 'a' })));
      expectRfc6750Error(denied, 403, 'insufficient_scope');
    });
  });

  describe('credentialsRequired: false', () => {
    let app: Express;
    beforeAll(() => {
      app = createApp({ credentialsRequired: false });
    });

    it('lets a request without a token through without req.auth', async () => {
      const res = await request(app).get('/api/me');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: false });
    });

    it('treats another auth scheme as no token', async () => {
      const res = await request(app).get('/api/me').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ authenticated: false });
    });

    it('still sets req.auth for a valid token', async () => {
      const res = await request(app)
        .get('/api/me')
        .set(bearer(await testIssuer.issueNested({ sub: 'dave' })));
      expect(res.body).toMatchObject({ authenticated: true, subject: 'dave', encrypted: true });
    });

    it('still rejects a bad token (401) and a malformed header (400)', async () => {
      const expired = await testIssuer.issueInvalid('expired');
      expectRfc6750Error(
        await request(app).get('/api/me').set(bearer(expired)),
        401,
        'invalid_token',
      );
      expectRfc6750Error(
        await request(app).get('/api/me').set('Authorization', 'Bearer'),
        400,
        'invalid_request',
      );
    });

    it('a policy on a request without a token answers 401 with a bare challenge', async () => {
      const res = await request(app).get('/api/read');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.body).toEqual({});
    });
  });

  describe("errorHandling: 'next'", () => {
    /** An app whose own error handler reports what it received. */
    function createNextApp(handler?: ErrorRequestHandler): Express {
      const app = createApp({ errorHandling: 'next' });
      app.use(
        handler ??
          ((error, _req, res, _next) => {
            res.status(418).json({
              handledBy: 'app',
              isTokenwardError: error instanceof TokenwardError,
              code: error.code,
              status: error.status,
              challenge: error.headers?.['WWW-Authenticate'],
            });
          }),
      );
      return app;
    }

    it('passes a missing token to next(err)', async () => {
      const res = await request(createNextApp()).get('/api/me');
      expect(res.status).toBe(418);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.body).toEqual({
        handledBy: 'app',
        isTokenwardError: true,
        code: 'ERR_TOKEN_MISSING',
        status: 401,
        challenge: 'Bearer realm="api"',
      });
    });

    it('passes an invalid token to next(err) with its code', async () => {
      const token = await testIssuer.issueInvalid('wrong-audience', {}, { nested: true });
      const res = await request(createNextApp()).get('/api/me').set(bearer(token));
      expect(res.body).toMatchObject({ code: 'ERR_AUDIENCE_INVALID', status: 401 });
      expect(res.body.challenge).toMatch(/error="invalid_token"/);
    });

    it('policies follow the mode of the authenticate() before them', async () => {
      const res = await request(createNextApp())
        .get('/api/read-write')
        .set(bearer(await testIssuer.issueSigned({ scope: 'messages:read' })));
      expect(res.body).toMatchObject({ code: 'ERR_SCOPE_MISSING', status: 403 });
      expect(res.body.challenge).toMatch(/scope="messages:read messages:write"$/);
      const role = await request(createNextApp())
        .get('/api/admin')
        .set(bearer(await testIssuer.issueSigned()));
      expect(role.body).toMatchObject({ code: 'ERR_ROLE_MISSING', status: 403 });
    });

    it('tokenwardErrorHandler() answers tokenward errors per RFC 6750 and passes others on', async () => {
      const seen: unknown[] = [];
      const app = createApp({ errorHandling: 'next' });
      app.get('/boom', () => {
        throw new Error('application bug');
      });
      app.use(((error, _req, _res, next) => {
        seen.push(error instanceof TokenwardError ? error.code : 'other');
        next(error);
      }) as ErrorRequestHandler);
      app.use(tokenwardErrorHandler());
      app.use(((_error, _req, res, _next) => {
        res.status(500).json({ handledBy: 'fallback' });
      }) as ErrorRequestHandler);

      const missing = await request(app).get('/api/me');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(missing.body).toEqual({});
      const denied = await request(app)
        .get('/api/read')
        .set(bearer(await testIssuer.issueSigned()));
      expectRfc6750Error(denied, 403, 'insufficient_scope', 'messages:read');
      const boom = await request(app).get('/boom');
      expect(boom.status).toBe(500);
      expect(boom.body).toEqual({ handledBy: 'fallback' });
      expect(seen).toEqual(['ERR_TOKEN_MISSING', 'ERR_SCOPE_MISSING', 'other']);
    });
  });

  describe('errors that are not tokenward errors', () => {
    it('a throwing claim predicate is an application error: next(err), even in respond mode', async () => {
      const app = express();
      app.get(
        '/x',
        authenticate(verifier),
        requireClaim('tenant', () => {
          throw new Error('predicate bug');
        }),
        echo,
      );
      app.use(((error, _req, res, _next) => {
        res.status(500).json({ message: error.message });
      }) as ErrorRequestHandler);
      const res = await request(app)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned()));
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ message: 'predicate bug' });
    });

    it('a custom verifier that throws something else goes to next(err)', async () => {
      const broken: Verifier = {
        ...verifier,
        verifyRequest: () => Promise.reject(new RangeError('verifier bug')),
      };
      const app = express();
      app.get('/x', authenticate(broken, { credentialsRequired: false }), echo);
      app.use(((error, _req, res, _next) => {
        res.status(500).json({ name: error.name });
      }) as ErrorRequestHandler);
      const res = await request(app).get('/x');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ name: 'RangeError' });
    });

    it('when a response has already started, a failure goes to next(err)', async () => {
      const app = express();
      const received: string[] = [];
      app.get(
        '/x',
        authenticate(verifier),
        (_req, res, next) => {
          res.status(200).write('partial');
          next();
        },
        requireScopes('a'),
        echo,
      );
      app.use(((error, _req, res, _next) => {
        received.push(error.code);
        res.end();
      }) as ErrorRequestHandler);
      const res = await request(app)
        .get('/x')
        .set(bearer(await testIssuer.issueSigned()));
      expect(res.status).toBe(200);
      expect(res.text).toBe('partial');
      expect(received).toEqual(['ERR_SCOPE_MISSING']);
    });
  });

  describe('repeated tokens (verified-token cache) and asynchronous policies', () => {
    /** The test verifier, counting how often the full (asynchronous) path runs. */
    function counting(): { verifier: Verifier; slowCalls: () => number } {
      const real = createVerifier(testIssuer.verifierOptions());
      const verifyRequest = real.verifyRequest.bind(real);
      let slow = 0;
      // The verifier itself, not a copy: its cache path belongs to the object createVerifier built.
      real.verifyRequest = (req, context) => {
        slow++;
        return verifyRequest(req, context);
      };
      return { verifier: real, slowCalls: () => slow };
    }

    it('answers a repeated token from the cache, and still runs each route policy', async () => {
      const { verifier: cachedVerifier, slowCalls } = counting();
      const app = createApp({}, cachedVerifier);
      const token = await testIssuer.issueSigned({ sub: 'dan', scope: 'messages:read' });
      for (let i = 0; i < 4; i++) {
        const res = await request(app).get('/api/read').set(bearer(token));
        expect([res.status, res.body.subject]).toEqual([200, 'dan']);
      }
      // Stored at its second verification (admission: 'repeat'), answered from the cache after.
      expect(slowCalls()).toBe(2);
      // The same cached token meets another route's policy, which still refuses it.
      const denied = await request(app).get('/api/read-write').set(bearer(token));
      expectRfc6750Error(denied, 403, 'insufficient_scope', 'messages:read messages:write');
      expect(slowCalls()).toBe(2);
    });

    it('takes the full path for what the cache cannot answer: no token, a bad header', async () => {
      const { verifier: cachedVerifier, slowCalls } = counting();
      const app = createApp({}, cachedVerifier);
      const token = await testIssuer.issueSigned();
      await request(app).get('/api/me').set(bearer(token)).expect(200);
      const twice = await request(app).get(`/api/me?access_token=${token}`).set(bearer(token));
      expect(twice.status).toBe(400);
      expect(twice.body.error).toBe('invalid_request');
      await request(app).get('/api/me').expect(401);
      expect(slowCalls()).toBe(3);
    });

    it('awaits an asynchronous policy (a look-up elsewhere, say), on a miss and on hits', async () => {
      const blocked = new Set<string>();
      const notBlocked = async (token: AccessToken) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (token.subject !== undefined && blocked.has(token.subject)) {
          throw new InsufficientScopeError('ERR_ROLE_MISSING', 'the subject is blocked');
        }
      };
      const app = express();
      app.get(
        '/x',
        authenticate(createVerifier(testIssuer.verifierOptions())),
        authorize(notBlocked),
        echo,
      );
      const token = await testIssuer.issueSigned({ sub: 'eve' });
      for (let i = 0; i < 2; i++) {
        const res = await request(app).get('/x').set(bearer(token));
        expect([res.status, res.body.subject]).toEqual([200, 'eve']);
      }
      blocked.add('eve');
      const res = await request(app).get('/x').set(bearer(token));
      expectRfc6750Error(res, 403, 'insufficient_scope');
    });
  });
});
