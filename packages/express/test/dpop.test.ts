/**
 * DPoP through the Express middleware, on Express 5 and 4: the public origin comes from Express's
 * own trust-proxy handling (never a raw X-Forwarded-* header), challenges offer both schemes,
 * server nonces are asked for and refreshed, and `requireBinding` holds a route to DPoP.
 */
import type { Express } from 'express';
import request from 'supertest';
import { createVerifier, type Verifier } from '@tokenward/core';
import { authenticate, requireBinding } from '@tokenward/express';
import {
  createDPoPKey,
  createDPoPProof,
  createTestIssuer,
  dpopHeaders,
  type DPoPTestKey,
  type TestIssuer,
} from '@tokenward/testing';
import { EXPRESS_VERSIONS } from './express-versions';

const SECRET = 'a-nonce-secret-of-at-least-32-bytes!!';

describe.each(EXPRESS_VERSIONS)('DPoP on $label', ({ express }) => {
  let issuer: TestIssuer;
  let key: DPoPTestKey;
  let bound: string;
  let bearer: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    key = await createDPoPKey('ES256');
    bound = await issuer.issueSigned({ scope: 'read', cnf: { jkt: key.jkt } });
    bearer = await issuer.issueSigned({ scope: 'read' });
  });

  function app(verifier: Verifier, configure?: (a: Express) => void): Express {
    const a = express();
    configure?.(a);
    a.get('/messages', authenticate(verifier), (req, res) => {
      res.json({ binding: req.auth?.binding });
    });
    a.get('/payments', authenticate(verifier), requireBinding('dpop'), (_req, res) => {
      res.json({ ok: true });
    });
    return a;
  }

  const verifierWith = (dpop: Record<string, unknown> = {}) =>
    createVerifier(issuer.verifierOptions({ dpop, metrics: false }));

  it('accepts a bound token with a proof for the URL Express sees (Host header)', async () => {
    const headers = await dpopHeaders(key, bound, {
      method: 'GET',
      url: 'http://api.test/messages',
    });
    const res = await request(app(verifierWith()))
      .get('/messages?page=2')
      .set('Host', 'api.test')
      .set(headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ binding: { scheme: 'dpop', jkt: key.jkt } });
  });

  it('keeps the port of the Host header in the origin', async () => {
    const headers = await dpopHeaders(key, bound, {
      method: 'GET',
      url: 'http://api.test:8080/messages',
    });
    const res = await request(app(verifierWith()))
      .get('/messages')
      .set('Host', 'api.test:8080')
      .set(headers);
    expect(res.status).toBe(200);
  });

  it('honours X-Forwarded-Proto and -Host only when Express trusts the proxy', async () => {
    const headers = await dpopHeaders(key, bound, {
      method: 'GET',
      url: 'https://public.example/messages',
    });
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'public.example' };
    const untrusted = await request(app(verifierWith()))
      .get('/messages')
      .set('Host', 'internal:3000')
      .set(forwarded)
      .set(headers);
    expect(untrusted.status).toBe(401);
    expect(untrusted.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    const trusted = await request(app(verifierWith(), (a) => a.set('trust proxy', 'loopback')))
      .get('/messages')
      .set('Host', 'internal:3000')
      .set(forwarded)
      .set(
        await dpopHeaders(key, bound, { method: 'GET', url: 'https://public.example/messages' }),
      );
    expect(trusted.status).toBe(200);
  });

  it('dpop.origin overrides what Express derives', async () => {
    const verifier = verifierWith({ origin: 'https://api.example.com' });
    const good = await dpopHeaders(key, bound, {
      method: 'GET',
      url: 'https://api.example.com/messages',
    });
    expect(
      (await request(app(verifier)).get('/messages').set('Host', 'evil.test').set(good)).status,
    ).toBe(200);
    const asHost = await dpopHeaders(key, bound, {
      method: 'GET',
      url: 'http://evil.test/messages',
    });
    expect(
      (await request(app(verifier)).get('/messages').set('Host', 'evil.test').set(asHost)).status,
    ).toBe(401);
  });

  it("reads Express's protocol and hostname only when dpop.origin is not set", async () => {
    /** Counts reads of Express's `req.protocol` and `req.hostname` getters in `a`. */
    const countOriginReads = (a: Express) => {
      const counter = { reads: 0 };
      for (const name of ['protocol', 'hostname']) {
        let prototype: object | null = a.request;
        let descriptor: PropertyDescriptor | undefined;
        while (prototype !== null && descriptor === undefined) {
          descriptor = Object.getOwnPropertyDescriptor(prototype, name);
          prototype = Object.getPrototypeOf(prototype) as object | null;
        }
        const getter = descriptor?.get as () => unknown;
        Object.defineProperty(a.request, name, {
          configurable: true,
          get(this: unknown) {
            counter.reads += 1;
            return getter.call(this);
          },
        });
      }
      return counter;
    };
    /** Status and origin-getter reads of one DPoP request to an app with `dpop`. */
    const served = async (dpop: Record<string, unknown>) => {
      const a = app(verifierWith(dpop));
      const counter = countOriginReads(a);
      const res = await request(a)
        .get('/messages')
        .set('Host', 'api.test')
        .set(await dpopHeaders(key, bound, { method: 'GET', url: 'http://api.test/messages' }));
      return { status: res.status, reads: counter.reads };
    };
    const derived = await served({});
    expect(derived.status).toBe(200);
    expect(derived.reads).toBeGreaterThan(0);
    expect(await served({ origin: 'http://api.test' })).toEqual({ status: 200, reads: 0 });
  });

  it('challenges Bearer and DPoP with the configured algs; the error goes on the scheme used', async () => {
    const a = app(verifierWith({ algorithms: ['ES256', 'EdDSA'] }));
    const none = await request(a).get('/messages');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA"',
    );
    const noProof = await request(a).get('/messages').set('Authorization', `DPoP ${bound}`);
    expect(noProof.headers['www-authenticate']).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="the request has no DPoP proof header"',
    );
    const downgrade = await request(a).get('/messages').set('Authorization', `Bearer ${bound}`);
    expect(downgrade.status).toBe(401);
    expect(downgrade.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="the token is DPoP-bound[^"]*", DPoP realm="api", algs="ES256 EdDSA"$/,
    );
    expect(downgrade.body).toMatchObject({ error: 'invalid_token' });
  });

  it('with required: challenges DPoP alone and refuses bearer tokens', async () => {
    const res = await request(app(verifierWith({ required: true })))
      .get('/messages')
      .set('Authorization', `Bearer ${bearer}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP realm="api", algs="[^"]+", error="invalid_token"/,
    );
  });

  it('server nonces: use_dpop_nonce with a DPoP-Nonce, then accepted with it', async () => {
    const a = app(verifierWith({ nonce: { secret: SECRET } }));
    const first = await request(a)
      .get('/messages')
      .set('Host', 'api.test')
      .set(await dpopHeaders(key, bound, { method: 'GET', url: 'http://api.test/messages' }));
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{32}$/);
    const second = await request(a)
      .get('/messages')
      .set('Host', 'api.test')
      .set(
        await dpopHeaders(key, bound, { method: 'GET', url: 'http://api.test/messages', nonce }),
      );
    expect(second.status).toBe(200);
    // The nonce was current: no new one on the response.
    expect(second.headers['dpop-nonce']).toBeUndefined();
  });

  it('a nonce from the previous step is accepted and a fresh one comes with the response', async () => {
    // Another instance with the same secret, one step (300 s) behind in time, issued it.
    const a = app(verifierWith({ nonce: { secret: SECRET } }));
    const behind = createVerifier(
      issuer.verifierOptions({ dpop: { nonce: { secret: SECRET } }, metrics: false }),
    );
    const old = await behind
      .verifyRequest({ headers: {} }, { currentDate: new Date(Date.now() - 300_000) })
      .catch((e: { headers: Record<string, string> }) => e.headers['DPoP-Nonce']);
    const res = await request(a)
      .get('/messages')
      .set('Host', 'api.test')
      .set(
        await dpopHeaders(key, bound, {
          method: 'GET',
          url: 'http://api.test/messages',
          nonce: old as string,
        }),
      );
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBeDefined();
    expect(res.headers['dpop-nonce']).not.toBe(old);
  });

  /** The nonce a verifier with the same secret issues `ageMs` in the past. */
  const nonceFrom = async (ageMs: number) => {
    const other = createVerifier(
      issuer.verifierOptions({ dpop: { nonce: { secret: SECRET } }, metrics: false }),
    );
    const error = (await other
      .verifyRequest({ headers: {} }, { currentDate: new Date(Date.now() - ageMs) })
      .catch((e: unknown) => e)) as { headers: Record<string, string> };
    return error.headers['DPoP-Nonce'] as string;
  };

  it.each([
    [
      'forged',
      async () =>
        (await nonceFrom(0)).replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`),
    ],
    ['two steps old', () => nonceFrom(600_000)],
    [
      'from another secret',
      async () => {
        const other = createVerifier(
          issuer.verifierOptions({
            dpop: { nonce: { secret: SECRET.toUpperCase() } },
            metrics: false,
          }),
        );
        const e = (await other.verifyRequest({ headers: {} }).catch((x: unknown) => x)) as {
          headers: Record<string, string>;
        };
        return e.headers['DPoP-Nonce'] as string;
      },
    ],
    ['not a nonce', async () => 'hello'],
  ])('a %s nonce → use_dpop_nonce', async (_label, make) => {
    const a = app(verifierWith({ nonce: { secret: SECRET } }));
    const res = await request(a)
      .get('/messages')
      .set('Host', 'api.test')
      .set(
        await dpopHeaders(key, bound, {
          method: 'GET',
          url: 'http://api.test/messages',
          nonce: await make(),
        }),
      );
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'use_dpop_nonce' });
  });

  it('requireBinding("dpop") refuses a bearer token on that route only', async () => {
    const a = app(verifierWith());
    expect(
      (await request(a).get('/messages').set('Authorization', `Bearer ${bearer}`)).status,
    ).toBe(200);
    const refused = await request(a).get('/payments').set('Authorization', `Bearer ${bearer}`);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'invalid_token' });
    const proof = await createDPoPProof(key, {
      method: 'GET',
      url: 'http://api.test/payments',
      accessToken: bound,
    });
    const ok = await request(a)
      .get('/payments')
      .set('Host', 'api.test')
      .set('Authorization', `DPoP ${bound}`)
      .set('DPoP', proof);
    expect(ok.status).toBe(200);
  });
});
