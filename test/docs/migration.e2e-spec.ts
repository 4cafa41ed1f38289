/**
 * The migration guides' examples, run: each peer's "before" app and its tokenward "after" app
 * are served side by side on 127.0.0.1 with the same key material from @tokenward/testing (and
 * the issuer's real JWKS and discovery server where the peer fetches keys), and must agree where
 * the guides say they agree and differ where they say they differ.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import * as expressJwtBefore from '../../examples/migration/express-jwt/before';
import * as expressJwtAfter from '../../examples/migration/express-jwt/after';
import * as auth0Before from '../../examples/migration/express-oauth2-jwt-bearer/before.mjs';
import * as auth0After from '../../examples/migration/express-oauth2-jwt-bearer/after';
import * as passportBefore from '../../examples/migration/passport-jwt/before.mjs';
import * as passportAfter from '../../examples/migration/passport-jwt/after';
import { listen, type Listening } from './listen';

interface Peer {
  name: string;
  before(issuer: TestIssuer, publicKey: string): Express;
  after(issuer: TestIssuer, publicKey: string): Express;
  /** The peer's `WWW-Authenticate` on a request without a token (undefined: none sent). */
  missingChallenge: string | undefined;
}

const PEERS: Peer[] = [
  {
    name: 'express-jwt',
    before: (issuer, publicKey) =>
      expressJwtBefore.buildApp({ issuer: issuer.issuer, audience: issuer.audience, publicKey }),
    after: (issuer, publicKey) =>
      expressJwtAfter.buildApp({
        issuer: issuer.issuer,
        audience: issuer.audience,
        publicKey,
        decryptionKeys: issuer.decryptionKeys,
      }),
    missingChallenge: undefined,
  },
  {
    name: 'express-oauth2-jwt-bearer',
    before: (issuer) =>
      auth0Before.buildApp({ issuerBaseURL: issuer.url!, audience: issuer.audience }),
    after: (issuer) =>
      auth0After.buildApp({
        issuerBaseURL: issuer.issuer,
        audience: issuer.audience,
        decryptionKeys: issuer.decryptionKeys,
      }),
    // It also offers DPoP, listing its algorithms.
    missingChallenge: expect.stringMatching(/^Bearer realm="api", DPoP algs="/),
  },
  {
    name: 'passport-jwt',
    before: (issuer, publicKey) =>
      passportBefore.buildApp({ issuer: issuer.issuer, audience: issuer.audience, publicKey }),
    after: (issuer, publicKey) =>
      passportAfter.buildApp({
        issuer: issuer.issuer,
        audience: issuer.audience,
        publicKey,
        decryptionKeys: issuer.decryptionKeys,
      }),
    missingChallenge: undefined,
  },
];

const get = (api: Listening, token?: string) => {
  const req = request(api.url).get('/api/me');
  return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
};

describe.each(PEERS)('migrating from $name', (peer) => {
  let issuer: TestIssuer;
  let before: Listening;
  let after: Listening;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    await issuer.start();
    const jwk = issuer.jwks.keys[0] as JsonWebKey;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    before = await listen(peer.before(issuer, publicKey));
    after = await listen(peer.after(issuer, publicKey));
  });
  afterAll(async () => {
    await before?.close();
    await after?.close();
    await issuer?.stop();
  });

  describe('where both agree', () => {
    it('valid signed token → 200 with the subject', async () => {
      const token = await issuer.issueSigned({ sub: 'alice' });
      await get(before, token).expect(200, { subject: 'alice' });
      await get(after, token).expect(200, { subject: 'alice' });
    });

    it('no token → 401', async () => {
      const old = await get(before).expect(401);
      expect(old.headers['www-authenticate']).toEqual(peer.missingChallenge);
      const res = await get(after).expect(401);
      // RFC 6750 §3.1: no error code when the request carried no credentials.
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.body).toEqual({});
    });

    it.each(['expired', 'wrong-audience'] as const)('%s token → 401', async (kind) => {
      const token = await issuer.issueInvalid(kind);
      await get(before, token).expect(401);
      const res = await get(after, token).expect(401);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
      );
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    });
  });

  describe('where tokenward differs', () => {
    it('accepts a nested (signed, then encrypted) token, which the peer cannot read', async () => {
      const token = await issuer.issueNested({ sub: 'bob' });
      await get(before, token).expect(401);
      await get(after, token).expect(200, { subject: 'bob' });
    });

    it('refuses an ID token (typ "JWT") as an access token, which the peer accepts', async () => {
      const token = await issuer.issueInvalid('id-token', { sub: 'carol' });
      await get(before, token).expect(200, { subject: 'carol' });
      const res = await get(after, token).expect(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('answers two Authorization headers with 400 invalid_request', async () => {
      const token = await issuer.issueSigned();
      const res = await request(after.url)
        .get('/api/me')
        // superagent hands the array to Node's setHeader, which writes one line per value.
        .set('Authorization', [`Bearer ${token}`, 'Bearer other'] as unknown as string)
        .expect(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    });
  });
});
