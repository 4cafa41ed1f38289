/**
 * `protectedResourceMetadata()` on real Express apps (4 and 5) served on 127.0.0.1: the RFC 9728
 * document at exactly its well-known URL (root and path-suffixed), every other spelling of that
 * URL left to the application's 404, and the `resource_metadata` parameter on the challenges of
 * the guarded routes. Requests go out through node:http with the raw request target, so paths
 * that a URL parser would normalise (dot segments, double slashes) reach the app as written.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createVerifier, type Verifier, type VerifierOptions } from '@tokenward/core';
import {
  authenticate,
  protectedResourceMetadata,
  requireScopes,
  type ProtectedResourceMetadataOptions,
} from '@tokenward/express';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { EXPRESS_VERSIONS } from './express-versions';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ signingAlgorithm: 'ES256', keyManagementAlgorithm: false });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with `path` as the raw request target. */
function send(base: string, path: string, method = 'GET', headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

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

describe.each(EXPRESS_VERSIONS)('on $label', ({ express }) => {
  const verifierFor = (resource: string, extra: Partial<VerifierOptions> = {}): Verifier =>
    createVerifier(issuer.verifierOptions({ resource, metrics: false, ...extra }));

  function appWith(verifier: Verifier, options?: ProtectedResourceMetadataOptions): Express {
    const app = express();
    app.use(protectedResourceMetadata(verifier, options));
    app.get('/messages', authenticate(verifier), requireScopes('messages:read'), (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  }

  it('serves the document of a resource without a path at the root well-known URL', async () => {
    const verifier = verifierFor('https://api.example.com');
    const app = appWith(verifier, { scopes: ['messages:read'], resourceName: 'Messages' });
    await served(app, async (base) => {
      const answer = await send(base, WELL_KNOWN);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['cache-control']).toBe('public, max-age=3600');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['access-control-allow-origin']).toBe('*');
      expect(JSON.parse(answer.text)).toEqual({
        resource: 'https://api.example.com',
        authorization_servers: [issuer.issuer],
        scopes_supported: ['messages:read'],
        bearer_methods_supported: ['header'],
        resource_name: 'Messages',
      });
    });
  });

  it('serves the path-suffixed URL of a resource with a path, and only that one', async () => {
    const verifier = verifierFor('https://api.example.com/mcp', {
      dpop: { algorithms: ['ES256'] },
    });
    await served(appWith(verifier, { maxAge: 60 }), async (base) => {
      const answer = await send(base, `${WELL_KNOWN}/mcp`);
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('public, max-age=60');
      expect(JSON.parse(answer.text)).toMatchObject({
        resource: 'https://api.example.com/mcp',
        dpop_signing_alg_values_supported: ['ES256'],
        dpop_bound_access_tokens_required: false,
      });
      // The root URL belongs to the resource `https://api.example.com`, not to this one.
      expect((await send(base, WELL_KNOWN)).status).toBe(404);
    });
  });

  it('answers HEAD with the headers and no body', async () => {
    await served(appWith(verifierFor('https://api.example.com')), async (base) => {
      const answer = await send(base, WELL_KNOWN, 'HEAD');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
      expect(answer.text).toBe('');
    });
  });

  it.each([
    `${WELL_KNOWN}/`,
    `${WELL_KNOWN}/../x`,
    `${WELL_KNOWN}/mcp/../mcp`,
    `${WELL_KNOWN}/mcp/`,
    `${WELL_KNOWN}/mcp2`,
    `${WELL_KNOWN}/other`,
    `${WELL_KNOWN}/MCP`,
    `/.WELL-KNOWN/oauth-protected-resource/mcp`,
    `//.well-known/oauth-protected-resource/mcp`,
    `/.well-known//oauth-protected-resource/mcp`,
    `${WELL_KNOWN}//mcp`,
    `${WELL_KNOWN}%2Fmcp`,
    `${WELL_KNOWN}/mcp?x=1`,
    `${WELL_KNOWN}/mcp?`,
    `/api${WELL_KNOWN}/mcp`,
  ])('leaves %s to the 404 of the application', async (path) => {
    await served(appWith(verifierFor('https://api.example.com/mcp')), async (base) => {
      const answer = await send(base, path);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).not.toBe('application/json');
      expect(answer.text).not.toContain('authorization_servers');
    });
  });

  it('leaves other methods to the application', async () => {
    await served(appWith(verifierFor('https://api.example.com')), async (base) => {
      expect((await send(base, WELL_KNOWN, 'POST')).status).toBe(404);
      expect((await send(base, WELL_KNOWN, 'DELETE')).status).toBe(404);
    });
  });

  it('serves two resources of one host each at its own URL', async () => {
    const app = express();
    app.use(protectedResourceMetadata(verifierFor('https://api.example.com/a')));
    app.use(protectedResourceMetadata(verifierFor('https://api.example.com/b')));
    await served(app, async (base) => {
      const a = await send(base, `${WELL_KNOWN}/a`);
      const b = await send(base, `${WELL_KNOWN}/b`);
      expect(JSON.parse(a.text).resource).toBe('https://api.example.com/a');
      expect(JSON.parse(b.text).resource).toBe('https://api.example.com/b');
    });
  });

  it('puts resource_metadata on a missing-token 401, which has no error attribute', async () => {
    await served(appWith(verifierFor('https://api.example.com')), async (base) => {
      const answer = await send(base, '/messages');
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="api", resource_metadata="https://api.example.com${WELL_KNOWN}"`,
      );
      expect(answer.headers['www-authenticate']).not.toMatch(/error=/);
    });
  });

  it('puts resource_metadata on an invalid-token 401 and an insufficient-scope 403', async () => {
    await served(appWith(verifierFor('https://api.example.com/mcp')), async (base) => {
      const metadata = `resource_metadata="https://api.example.com${WELL_KNOWN}/mcp"`;
      const invalid = await send(base, '/messages', 'GET', { authorization: 'Bearer x.y.z' });
      expect(invalid.status).toBe(401);
      expect(invalid.headers['www-authenticate']).toContain(metadata);
      expect(invalid.headers['www-authenticate']).toContain('error="invalid_token"');
      const token = await issuer.issueSigned({ scope: 'messages:write' });
      const forbidden = await send(base, '/messages', 'GET', { authorization: `Bearer ${token}` });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['www-authenticate']).toContain(metadata);
      expect(forbidden.headers['www-authenticate']).toContain('error="insufficient_scope"');
      const allowed = await issuer.issueSigned({ scope: 'messages:read' });
      expect(
        (await send(base, '/messages', 'GET', { authorization: `Bearer ${allowed}` })).status,
      ).toBe(200);
    });
  });

  it('fails at set-up for a verifier without resource and for bad options', () => {
    const plain = createVerifier(issuer.verifierOptions({ metrics: false }));
    expect(() => protectedResourceMetadata(plain)).toThrow(/no `resource` option/);
    const verifier = verifierFor('https://api.example.com');
    expect(() => protectedResourceMetadata(verifier, null as never)).toThrow(TypeError);
    expect(() => protectedResourceMetadata(verifier, { scopes: ['a b'] })).toThrow(
      /^scopesSupported/,
    );
    expect(() => protectedResourceMetadata(verifier, { maxAge: -1 })).toThrow(/^maxAge/);
    expect(() => protectedResourceMetadata(verifier, { maxAge: 1.5 })).toThrow(/^maxAge/);
  });
});
