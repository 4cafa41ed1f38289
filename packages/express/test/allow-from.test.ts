/**
 * `allowFrom()` and the verifier's `clientNetworks` on real Express apps served on 127.0.0.1:
 * the address is Express's `req.ip`, so a spoofed X-Forwarded-For is ignored without trusted
 * proxies and honoured from a trusted one; refusals are 403 `ERR_IP_NOT_ALLOWED` without a
 * challenge; bad lists fail at setup.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createVerifier, type AuditDecisionEvent, type Verifier } from '@tokenward/core';
import { allowFrom, authenticate, rateLimit } from '@tokenward/express';
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

interface Answer {
  status: number;
  body: unknown;
  challenge: string | null;
}
async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    challenge: response.headers.get('www-authenticate'),
  };
}

describe.each(EXPRESS_VERSIONS)('on $label', ({ express }) => {
  function appWith(trustProxy: unknown, verifier?: Verifier): Express {
    const app = express();
    app.set('trust proxy', trustProxy);
    app.get('/internal', allowFrom('10.0.0.0/8'), (req, res) => void res.json({ ip: req.ip }));
    app.get('/local', allowFrom('127.0.0.0/8', '::1'), (req, res) => void res.json({ ip: req.ip }));
    if (verifier !== undefined) {
      app.get(
        '/secured',
        authenticate(verifier),
        allowFrom('10.0.0.0/8'),
        (req, res) => void res.json({ client: req.auth?.clientId }),
      );
      app.get('/client', authenticate(verifier), (req, res) => void res.json({ ok: true }));
    }
    return app;
  }

  it('ignores a spoofed X-Forwarded-For without trusted proxies', async () => {
    await served(appWith(false), async (base) => {
      const spoofed = await get(`${base}/internal`, { 'x-forwarded-for': '10.1.2.3' });
      expect(spoofed.status).toBe(403);
      expect(spoofed.body).toEqual({ error_description: expect.any(String) });
      expect(spoofed.challenge).toBeNull();
      // The socket's own address (127.0.0.1) is what counts.
      const local = await get(`${base}/local`, { 'x-forwarded-for': '10.1.2.3' });
      expect(local).toMatchObject({ status: 200, body: { ip: '127.0.0.1' } });
    });
  });

  it('honours X-Forwarded-For from a trusted proxy', async () => {
    // The test client connects from 127.0.0.1: trusting loopback makes it the proxy.
    await served(appWith('loopback'), async (base) => {
      const forwarded = await get(`${base}/internal`, { 'x-forwarded-for': '10.1.2.3' });
      expect(forwarded).toMatchObject({ status: 200, body: { ip: '10.1.2.3' } });
      const outside = await get(`${base}/internal`, { 'x-forwarded-for': '192.0.2.1' });
      expect(outside.status).toBe(403);
      // Only the last untrusted hop counts: a client-written first entry does not.
      const chained = await get(`${base}/internal`, { 'x-forwarded-for': '10.1.2.3, 192.0.2.1' });
      expect(chained.status).toBe(403);
      const local = await get(`${base}/local`, { 'x-forwarded-for': '10.1.2.3' });
      expect(local.status).toBe(403);
    });
  });

  it('after authenticate(), is presented by the verifier (its onRejection hook)', async () => {
    const rejected: string[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({ metrics: false, onRejection: (e) => void rejected.push(e.code) }),
    );
    const token = await issuer.issueSigned({ client_id: 'svc' });
    await served(appWith('loopback', verifier), async (base) => {
      const authorization = `Bearer ${token}`;
      expect(
        await get(`${base}/secured`, { authorization, 'x-forwarded-for': '10.0.0.9' }),
      ).toMatchObject({ status: 200, body: { client: 'svc' } });
      const refused = await get(`${base}/secured`, {
        authorization,
        'x-forwarded-for': '203.0.113.1',
      });
      expect(refused).toMatchObject({ status: 403, challenge: null });
      expect(rejected).toEqual(['ERR_IP_NOT_ALLOWED']);
    });
  });

  it("holds a client to the verifier's clientNetworks under the same req.ip", async () => {
    const verifier = createVerifier(
      issuer.verifierOptions({ metrics: false, clientNetworks: { svc: ['10.0.0.0/8'] } }),
    );
    const authorization = `Bearer ${await issuer.issueSigned({ client_id: 'svc' })}`;
    await served(appWith(false, verifier), async (base) => {
      const spoofed = await get(`${base}/client`, { authorization, 'x-forwarded-for': '10.1.1.1' });
      expect(spoofed).toMatchObject({ status: 403, challenge: null });
    });
    await served(appWith('loopback', verifier), async (base) => {
      const trusted = await get(`${base}/client`, { authorization, 'x-forwarded-for': '10.1.1.1' });
      expect(trusted.status).toBe(200);
      // The second request is a verified-token cache hit, still checked.
      const outside = await get(`${base}/client`, {
        authorization,
        'x-forwarded-for': '192.0.2.1',
      });
      expect(outside.status).toBe(403);
    });
  });

  describe("every stage that reads the client address reads req.ip's answer", () => {
    /** Counts the reads of Express's `req.ip` getter in `app` (wrapped on its own prototype). */
    function countIpReads(app: Express): { reads: number } {
      let prototype: object | null = app.request;
      let descriptor: PropertyDescriptor | undefined;
      while (prototype !== null && descriptor === undefined) {
        descriptor = Object.getOwnPropertyDescriptor(prototype, 'ip');
        prototype = Object.getPrototypeOf(prototype) as object | null;
      }
      const getter = descriptor?.get as () => unknown;
      const counter = { reads: 0 };
      Object.defineProperty(app.request, 'ip', {
        configurable: true,
        enumerable: true,
        get(this: unknown) {
          counter.reads += 1;
          return getter.call(this);
        },
      });
      return counter;
    }

    /** A route behind every address-reading stage, on a verifier that audits each decision. */
    function governedApp(trustProxy: unknown, setIp?: string) {
      const events: AuditDecisionEvent[] = [];
      const verifier = createVerifier(
        issuer.verifierOptions({
          metrics: false,
          cache: { admission: 'always' },
          failureBudget: { failures: 5 },
          clientNetworks: { svc: ['127.0.0.0/8', '10.0.0.0/8'] },
          anomalies: { tokenSpread: { addresses: 5 } },
          audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
        }),
      );
      const app = express();
      app.set('trust proxy', trustProxy);
      const counter = countIpReads(app);
      if (setIp !== undefined) {
        // The application's own address logic, over Express's getter.
        app.use((req, _res, next) => {
          Object.defineProperty(req, 'ip', { value: setIp, enumerable: true });
          next();
        });
      }
      app.get(
        '/governed',
        authenticate(verifier),
        rateLimit({ key: 'ip', limits: [{ points: 100, duration: 60 }] }),
        allowFrom('127.0.0.0/8', '10.0.0.0/8'),
        (_req, res) => void res.json({ ok: true }),
      );
      return { app, counter, events, verifier };
    }

    it('no proxy trusted: the socket address, without running the getter', async () => {
      const { app, counter, events, verifier } = governedApp(false);
      const authorization = `Bearer ${await issuer.issueSigned({ client_id: 'svc' })}`;
      await served(app, async (base) => {
        // A miss, then hits from the verified-token cache.
        for (let i = 0; i < 3; i++) {
          expect((await get(`${base}/governed`, { authorization })).status).toBe(200);
        }
        const spoofed = await get(`${base}/governed`, {
          authorization,
          'x-forwarded-for': '10.1.2.3',
        });
        expect(spoofed.status).toBe(200);
      });
      await verifier.close();
      expect(counter.reads).toBe(0);
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.ip))).toEqual(new Set(['127.0.0.1']));
    });

    it('an address the application set on the request is the one every stage holds', async () => {
      const { app, counter, events, verifier } = governedApp(false, '192.0.2.8');
      const authorization = `Bearer ${await issuer.issueSigned({ client_id: 'svc' })}`;
      await served(app, async (base) => {
        // Outside the client's networks: refused by clientNetworks, as req.ip says.
        const refused = await get(`${base}/governed`, { authorization });
        expect(refused).toMatchObject({ status: 403, challenge: null });
      });
      await verifier.close();
      expect(counter.reads).toBe(0);
      expect(events.map((e) => e.ip)).toContain('192.0.2.8');
      expect(events.map((e) => e.ip)).not.toContain('127.0.0.1');
    });

    it('proxies trusted: the getter answers, X-Forwarded-For included', async () => {
      const { app, counter, events, verifier } = governedApp('loopback');
      const authorization = `Bearer ${await issuer.issueSigned({ client_id: 'svc' })}`;
      await served(app, async (base) => {
        const forwarded = await get(`${base}/governed`, {
          authorization,
          'x-forwarded-for': '10.1.2.3',
        });
        expect(forwarded.status).toBe(200);
        const outside = await get(`${base}/governed`, {
          authorization,
          'x-forwarded-for': '192.0.2.1',
        });
        expect(outside.status).toBe(403);
      });
      await verifier.close();
      expect(counter.reads).toBeGreaterThan(0);
      expect(events.map((e) => e.ip)).toEqual(expect.arrayContaining(['10.1.2.3', '192.0.2.1']));
    });
  });

  it('refuses a bad list at setup', () => {
    expect(() => allowFrom()).toThrow(TypeError);
    expect(() => allowFrom('10.0.0.1/8')).toThrow(/^allowFrom: "10\.0\.0\.1\/8" is not a CIDR/);
    expect(() => allowFrom('fe80::1%eth0')).toThrow(/^allowFrom: /);
  });
});
