/**
 * `authenticate(options, { getToken })`: a token from an application-defined place (a cookie) is
 * held to the RFC 6750 checks (syntax, one method); unknown options of the second argument are a
 * TypeError naming them; `errorDescriptions: 'terse'` and `onRejection` hold through Express,
 * policy failures included. Real Express 5 and 4 apps on 127.0.0.1, through supertest.
 */
import type { Request, RequestHandler } from 'express';
import request from 'supertest';
import { createVerifier, type RejectionEvent, type Verifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { authenticate, requireScopes } from '../src';
import { EXPRESS_VERSIONS } from './express-versions';

const cookieToken = (req: Request): string | undefined =>
  /(?:^|;\s*)at=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];

const echo: RequestHandler = (req, res) => {
  res.json({ subject: req.auth?.subject ?? null });
};

describe.each(EXPRESS_VERSIONS)('$label', ({ express }) => {
  let issuer: TestIssuer;
  let verifier: Verifier;
  let events: RejectionEvent[];

  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  beforeEach(() => {
    events = [];
    verifier = createVerifier(
      issuer.verifierOptions({ tokenSources: { query: true }, onRejection: (e) => events.push(e) }),
    );
  });

  const app = (using: Verifier = verifier) => {
    const a = express();
    a.use(express.urlencoded({ extended: false }));
    a.use(authenticate(using, { getToken: cookieToken }));
    a.get('/me', echo);
    a.get('/admin', requireScopes('admin:all'), echo);
    return a;
  };

  describe('getToken', () => {
    it('verifies the token it returns, on a miss and on a cache hit', async () => {
      const token = await issuer.issueSigned({ sub: 'alice' });
      for (let i = 0; i < 3; i++) {
        const res = await request(app()).get('/me').set('Cookie', `at=${token}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ subject: 'alice' });
      }
    });

    it('falls back to the Authorization header when it returns nothing', async () => {
      const token = await issuer.issueSigned({ sub: 'bob' });
      const res = await request(app()).get('/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ subject: 'bob' });
    });

    it.each([
      [
        'a Bearer Authorization header',
        (r: request.Test, t: string) => r.set('Authorization', `Bearer ${t}`),
      ],
      ['an access_token query parameter', (r: request.Test) => r.query({ access_token: 'abc' })],
    ])('answers 400 ERR_REQUEST_MULTIPLE_TOKENS when the request also has %s', async (_n, add) => {
      const token = await issuer.issueSigned();
      const res = await add(request(app()).get('/me').set('Cookie', `at=${token}`), token);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: 'the request carries an access token in more than one place',
      });
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_request"/,
      );
      expect(events.map((e) => e.code)).toEqual(['ERR_REQUEST_MULTIPLE_TOKENS']);
    });

    it('answers 400 ERR_REQUEST_MALFORMED for a returned token outside the b64token syntax', async () => {
      const res = await request(app()).get('/me').set('Cookie', 'at=not a token');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(events).toEqual([
        expect.objectContaining({ code: 'ERR_REQUEST_MALFORMED', status: 400 }),
      ]);
    });
  });

  it('refuses unknown options of the second argument with a TypeError naming them', () => {
    expect(() => authenticate(verifier, { gettoken: cookieToken, realm: 'x' } as never)).toThrow(
      new TypeError(
        'authenticate: unknown options gettoken, realm; expected credentialsRequired, errorHandling, getToken',
      ),
    );
    expect(() => authenticate(verifier, { getToken: 'cookie' } as never)).toThrow(/^getToken: /);
  });

  it("answers terse descriptions with errorDescriptions: 'terse'", async () => {
    const terse = createVerifier(issuer.verifierOptions({ errorDescriptions: 'terse' }));
    const res = await request(app(terse)).get('/me').set('Authorization', 'Bearer a.b.c');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is invalid',
    });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token is invalid"',
    );
    const token = await issuer.issueSigned({ scope: 'read' });
    const denied = await request(app(terse)).get('/admin').set('Authorization', `Bearer ${token}`);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'The access token does not grant access to this resource',
    });
  });

  it('reports a policy failure to onRejection with the method and path', async () => {
    const token = await issuer.issueSigned({ scope: 'read' });
    const res = await request(app()).get('/admin?x=1').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(events).toEqual([
      expect.objectContaining({
        code: 'ERR_SCOPE_MISSING',
        status: 403,
        error: 'insufficient_scope',
        request: { method: 'GET', path: '/admin' },
      }),
    ]);
  });
});
