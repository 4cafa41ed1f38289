/**
 * Audit events through Express: authentication and route-step decisions, each one event, with the
 * route template (never the raw URL) and Express's `req.ip`; `closeGracefully` writes every
 * queued event before it resolves. Real Express 5 and 4 apps on 127.0.0.1.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import request from 'supertest';
import {
  createVerifier,
  InsufficientScopeError,
  type AuditDecisionEvent,
  type AuditEvent,
  type AuditSink,
} from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { authenticate, authorize, closeGracefully, requireScopes } from '../src';
import { EXPRESS_VERSIONS } from './express-versions';

const ok: RequestHandler = (_req, res) => {
  res.json({ ok: true });
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe.each(EXPRESS_VERSIONS)(
  'policies on req.auth set without authenticate() ($label)',
  ({ express }) => {
    it('still hold it to every requirement, synchronous and asynchronous (fail closed)', async () => {
      const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
      const token = await createVerifier(issuer.verifierOptions()).verify(
        await issuer.issueSigned({ scope: 'a' }),
      );
      const app = express();
      app.use((req, _res, next) => {
        req.auth = token;
        next();
      });
      app.get('/sync', requireScopes('b'), ok);
      app.get(
        '/async',
        authorize(async () =>
          Promise.reject(new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs c')),
        ),
        ok,
      );
      app.get('/pass', requireScopes('a'), ok);
      const sync = await request(app).get('/sync').expect(403);
      expect(sync.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="insufficient_scope"/,
      );
      const asynchronous = await request(app).get('/async').expect(403);
      expect(asynchronous.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="insufficient_scope"/,
      );
      await request(app).get('/pass').expect(200);
    });
  },
);

describe.each(EXPRESS_VERSIONS)('audit through $label', ({ express }) => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  });

  const setup = () => {
    const events: AuditDecisionEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({ audit: { sink: (e) => void events.push(e as AuditDecisionEvent) } }),
    );
    const app = express();
    app.get('/scoped/:id', authenticate(verifier), requireScopes('items:read'), ok);
    app.use(authenticate(verifier));
    app.get('/items/:id', requireScopes('items:read'), ok);
    app.get('/open', ok);
    return { app, events, verifier };
  };

  it('records authentication then authorization, with the route template and the ip', async () => {
    const { app, events } = setup();
    const token = await issuer.issueSigned({ scope: 'items:read' });
    await request(app)
      .get('/items/42?secret=1')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    await settle();
    expect(events.map((e) => [e.event, e.route])).toEqual([
      // app.use(authenticate()) runs before routing: no template is known yet.
      ['authn_token_valid', undefined],
      ['authz_success', '/items/:id'],
    ]);
    expect(events[1]).toMatchObject({ method: 'GET', ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(JSON.stringify(events)).not.toContain('/items/42');
  });

  it('route-level authenticate() knows the template; a 403 is one authz_fail event', async () => {
    const { app, events } = setup();
    const token = await issuer.issueSigned({ scope: 'other' });
    await request(app).get('/scoped/7').set('Authorization', `Bearer ${token}`).expect(403);
    await settle();
    expect(events).toEqual([
      expect.objectContaining({ event: 'authn_token_valid', route: '/scoped/:id' }),
      expect.objectContaining({
        event: 'authz_fail',
        stage: 'authorization',
        outcome: 'deny',
        reason: 'ERR_SCOPE_MISSING',
        status: 403,
        route: '/scoped/:id',
        scopes: ['other'],
      }),
    ]);
  });

  it('one route-level authenticate() on several routes names each one, also past its kept contexts', async () => {
    const events: AuditDecisionEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({ audit: { sink: (e) => void events.push(e as AuditDecisionEvent) } }),
    );
    const guard = authenticate(verifier);
    const app = express();
    app.get('/a/:id', guard, ok);
    app.get('/b', guard, ok);
    // A router on a parameterised mount path: req.baseUrl is the matched path, so each tenant
    // is another template; more of them than authenticate() keeps contexts for (1,000).
    const tenant = express.Router();
    tenant.get('/items', guard, ok);
    app.use('/t/:tenant', tenant);
    const token = await issuer.issueSigned();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = (path: string) =>
        fetch(base + path, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await get('/a/1')).toBe(200);
      expect(await get('/b')).toBe(200);
      const paths = Array.from({ length: 1_010 }, (_, i) => `/t/${i}/items`);
      for (const path of paths) expect(await get(path)).toBe(200);
      expect(await get('/a/2')).toBe(200);
      await settle();
      expect(events.map((e) => e.route)).toEqual(['/a/:id', '/b', ...paths, '/a/:id']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    // Express's default: no proxy is trusted, the address is the socket's peer.
    [undefined, '127.0.0.1'],
    [false, '127.0.0.1'],
    [0, '127.0.0.1'],
    // A trusted loopback proxy: the client is the last address it forwarded.
    ['loopback', '203.0.113.9'],
    // Every proxy trusted: the first address of the list.
    [true, '198.51.100.1'],
  ])(
    'the event ip is req.ip under trust proxy %p (%s), at both stages',
    async (trust, expected) => {
      const events: AuditDecisionEvent[] = [];
      const verifier = createVerifier(
        issuer.verifierOptions({
          audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
        }),
      );
      const app = express();
      if (trust !== undefined) app.set('trust proxy', trust);
      const seen: (string | undefined)[] = [];
      app.get('/ip', authenticate(verifier), requireScopes('items:read'), (req, res) => {
        seen.push(req.ip);
        res.json({ ok: true });
      });
      const token = await issuer.issueSigned({ scope: 'items:read' });
      await request(app)
        .get('/ip')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', '198.51.100.1, 203.0.113.9')
        .expect(200);
      await settle();
      expect(seen[0]?.replace(/^::ffff:/, '')).toBe(expected);
      expect(events.map((e) => [e.event, e.ip])).toEqual([
        ['authn_token_valid', seen[0]],
        ['authz_success', seen[0]],
      ]);
    },
  );

  it('a missing token is one authn_token_missing event; a route without requirements adds none', async () => {
    const { app, events } = setup();
    await request(app).get('/open').expect(401);
    const token = await issuer.issueSigned();
    await request(app).get('/open').set('Authorization', `Bearer ${token}`).expect(200);
    await settle();
    expect(events.map((e) => e.event)).toEqual(['authn_token_missing', 'authn_token_valid']);
  });

  it('closeGracefully: requests in flight finish, then every event is written', async () => {
    const written: AuditEvent[] = [];
    let closed = false;
    // A sink slower than the requests: events are still queued when the server closes.
    const sink: AuditSink = {
      write: (events) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            written.push(...events);
            resolve();
          }, 20),
        ),
      close: async () => {
        closed = true;
      },
    };
    const verifier = createVerifier(issuer.verifierOptions({ audit: { sink, batchSize: 5 } }));
    const app = express();
    app.use(authenticate(verifier));
    app.get('/x', ok);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = await issuer.issueSigned();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${base}/x`, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(written.length).toBeLessThan(30);
    await closeGracefully(server, verifier);
    expect(written).toHaveLength(30);
    expect(closed).toBe(true);
    expect(server.listening).toBe(false);
  });

  it('closeGracefully closes connections still open after its timeout', async () => {
    const verifier = createVerifier(issuer.verifierOptions());
    const app = express();
    // A handler that never answers: only the timeout ends its connection.
    app.get('/hang', () => undefined);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hanging = fetch(`${base}/hang`).then(
      () => 'answered',
      () => 'connection closed',
    );
    await new Promise((r) => setTimeout(r, 50));
    await closeGracefully(server, [verifier], { timeout: 0.1 });
    expect(await hanging).toBe('connection closed');
    expect(server.listening).toBe(false);
  });

  it('closeGracefully refuses a bad timeout', async () => {
    const server = express().listen(0, '127.0.0.1') as Server;
    await expect(closeGracefully(server, [], { timeout: -1 })).rejects.toThrow(/timeout/);
    server.close();
  });
});
