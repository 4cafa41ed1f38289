/**
 * Step-up authentication (core `requireStepUp`, RFC 9470) through `authorize()` on real Express
 * apps served on 127.0.0.1: a strong and recent sign-in is served; a weak, stale or undated one
 * is 401 `insufficient_user_authentication` with the route's `acr_values` and `max_age` in the
 * challenge, presented by the verifier (realm, terse texts) and audited as `authz_fail`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createVerifier, requireStepUp, type AuditDecisionEvent } from '@tokenward/core';
import { authenticate, authorize } from '@tokenward/express';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { EXPRESS_VERSIONS } from './express-versions';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

/** Serves `app` on 127.0.0.1 for one callback, then closes it. */
async function served<T>(app: Express, use: (base: string) => Promise<T>): Promise<T> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function get(url: string, token: string) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    challenge: response.headers.get('www-authenticate'),
  };
}

// Ages of seconds against a 300 s bound, and of minutes past it: no boundary a slow run could cross.
const secondsAgo = (seconds: number) => Math.floor(Date.now() / 1000) - seconds;
const MFA = 'urn:example:mfa';
const PREFIX = 'Bearer realm="api", error="insufficient_user_authentication", error_description=';

describe.each(EXPRESS_VERSIONS)('on $label', ({ express }) => {
  function app(options: { terse?: boolean } = {}) {
    const events: AuditDecisionEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({
        metrics: false,
        ...(options.terse === true && { errorDescriptions: 'terse' as const }),
        audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
      }),
    );
    const application = express();
    application.get(
      '/transfers',
      authenticate(verifier),
      authorize(requireStepUp({ acr: [MFA, 'phr'], maxAge: 300 })),
      (_req, res) => void res.json({ ok: true }),
    );
    application.get(
      '/recent',
      authenticate(verifier),
      authorize(requireStepUp({ maxAge: 300 })),
      (_req, res) => void res.json({ ok: true }),
    );
    return { application, events };
  }

  it('serves a strong, recent authentication', async () => {
    const token = await issuer.issueSigned({ acr: MFA, auth_time: secondsAgo(5) });
    await served(app().application, async (base) => {
      expect(await get(`${base}/transfers`, token)).toMatchObject({
        status: 200,
        body: { ok: true },
      });
    });
  });

  it('refuses a weak acr with 401 and the exact challenge, audited as authz_fail', async () => {
    const token = await issuer.issueSigned({ acr: 'urn:example:pwd', auth_time: secondsAgo(5) });
    const { application, events } = app();
    await served(application, async (base) => {
      const refused = await get(`${base}/transfers`, token);
      expect(refused.status).toBe(401);
      expect(refused.challenge).toBe(
        `${PREFIX}"the user's authentication context class (acr) is not one this route accepts (needs one of: ${MFA} phr)", ` +
          `acr_values="${MFA} phr", max_age="300"`,
      );
      expect(refused.body).toEqual({
        error: 'insufficient_user_authentication',
        error_description: expect.stringContaining('(acr)'),
      });
    });
    await new Promise((r) => setImmediate(r));
    expect(
      events.filter((e) => e.outcome === 'deny').map((e) => [e.event, e.stage, e.reason]),
    ).toEqual([['authz_fail', 'authorization', 'ERR_ACR_INSUFFICIENT']]);
  });

  it('refuses a stale authentication and one without auth_time', async () => {
    const stale = await issuer.issueSigned({ auth_time: secondsAgo(3600) });
    const undated = await issuer.issueSigned({});
    await served(app().application, async (base) => {
      const old = await get(`${base}/recent`, stale);
      expect(old.status).toBe(401);
      expect(old.challenge).toBe(
        `${PREFIX}"the user's authentication is older than this route accepts (at most 300 s)", max_age="300"`,
      );
      const missing = await get(`${base}/recent`, undated);
      expect(missing.status).toBe(401);
      expect(missing.challenge).toBe(
        `${PREFIX}"the token does not say when the user authenticated (auth_time); this route needs an authentication at most 300 s old", max_age="300"`,
      );
      const fresh = await issuer.issueSigned({ auth_time: secondsAgo(5) });
      expect((await get(`${base}/recent`, fresh)).status).toBe(200);
    });
  });

  it('keeps the attributes under terse descriptions', async () => {
    const token = await issuer.issueSigned({ acr: MFA, auth_time: secondsAgo(3600) });
    await served(app({ terse: true }).application, async (base) => {
      const refused = await get(`${base}/transfers`, token);
      expect(refused).toMatchObject({
        status: 401,
        challenge: `${PREFIX}"A different or more recent user authentication is required", acr_values="${MFA} phr", max_age="300"`,
      });
    });
  });
});
