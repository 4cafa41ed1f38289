/**
 * Interop with a real authorization server. `oidc-provider` 9 runs in this process on
 * 127.0.0.1 (port 0) and issues RFC 9068 JWT access tokens through the client_credentials grant
 * with RFC 8707 resource indicators, signed (ES256) and encrypted (RSA-OAEP-256 + A256GCM) to the
 * sample app's public key. The **built** sample app runs as a child process configured only by
 * environment variables, finds the issuer's signing keys by discovery (no TOKENWARD_JWKS_URI), and
 * is called with the tokens the token endpoint hands out.
 *
 * What oidc-provider puts in the headers (its `lib/models/formats/jwt.js`), asserted below:
 * - the inner JWS has `typ: "at+jwt"` (RFC 9068 §2.1) and the `kid` of the provider's key;
 * - the outer JWE has `cty: "at+jwt"` (not RFC 7519 §5.2's `"JWT"`; core reads both as "a JWT is
 *   inside"), no `typ`, the `kid` given in the resource server's `jwt.encrypt`, and `iss` and
 *   `aud` replicated from the claims (RFC 7519 §5.3), which core checks against the claims inside.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from 'oidc-provider';
import {
  decryptRSAOAEP256A256GCM,
  fromBase64url,
  HTTP_TIMEOUT_MS,
  protectedHeader,
  providerListener,
  appEncryptionKeys,
  buildApp,
  startApp,
  stop,
  STOP_TIMEOUT_MS,
  type RunningApp,
} from './interop-kit';

// RFC 8707 resource indicators: absolute URIs naming the APIs; the sample app is MESSAGES_API.
const MESSAGES_API = 'https://messages.tokenward.test';
const BILLING_API = 'https://billing.tokenward.test';
const SIGNING_KID = 'as-signing-1';
const ENCRYPTION_KID = 'messages-encryption-1';
const REALM = 'Bearer realm="messages"';

/**
 * Service clients of the authorization server:
 * - `reporting-job`: an ordinary client, no roles;
 * - `moderation-bot`: carries the `admin` role (an extra `roles` claim, RFC 9068 §2.2.3.1);
 * - `legacy-job`: its tokens for the messages API are signed but not encrypted, which the app,
 *   configured with TOKENWARD_ENCRYPTION=required, refuses.
 */
const CLIENTS = ['reporting-job', 'moderation-bot', 'legacy-job'] as const;
type ClientId = (typeof CLIENTS)[number];
const ROLES: Partial<Record<ClientId, string[]>> = { 'moderation-bot': ['admin'] };
const SECRETS = Object.fromEntries(
  CLIENTS.map((id) => [id, randomBytes(24).toString('base64url')]),
) as Record<ClientId, string>;

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** oidc-provider's per-resource token settings (`features.resourceIndicators`). */
function resourceServerInfo(resource: string, clientId: string, appKey: KeyObject) {
  const sign = { alg: 'ES256' };
  const encrypt = { alg: 'RSA-OAEP-256', enc: 'A256GCM', key: appKey, kid: ENCRYPTION_KID };
  const common = { accessTokenFormat: 'jwt', accessTokenTTL: 300, audience: resource };
  if (resource === MESSAGES_API) {
    return {
      ...common,
      scope: 'messages:read messages:write',
      jwt: clientId === 'legacy-job' ? { sign } : { sign, encrypt },
    };
  }
  if (resource === BILLING_API) {
    // Encrypted to the same key on purpose: the messages API can decrypt and verify this token,
    // so the 401 it answers comes from the audience check (RFC 9068 §4), not from decryption.
    return { ...common, scope: 'invoices:read', jwt: { sign, encrypt } };
  }
  throw new errors.InvalidTarget('unknown resource');
}

interface AuthorizationServer {
  issuer: string;
  server: Server;
}

/** Starts oidc-provider on 127.0.0.1, port 0, issuing tokens encrypted to `appKey`. */
async function startAuthorizationServer(appKey: KeyObject): Promise<AuthorizationServer> {
  // The issuer URL holds the port, known only once the socket listens: bind first, then mount.
  let listener = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: SIGNING_KID, alg: 'ES256' };

  const configuration = {
    jwks: { keys: [{ ...signingKey, use: 'sig' }] },
    // The provider's only key is an EC key; its client default (RS256) would need an RSA one.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: CLIENTS.map((id) => ({
      client_id: id,
      client_secret: SECRETS[id],
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx: unknown, resource: string, client: { clientId: string }) =>
          resourceServerInfo(resource, client.clientId, appKey),
      },
    },
    // The default does the same, with a notice asking to define it.
    ttl: {
      ClientCredentials: (_ctx: unknown, t: { resourceServer?: { accessTokenTTL?: number } }) =>
        t.resourceServer?.accessTokenTTL ?? 60,
    },
    // Added to the access token claims; the app reads `roles` (TOKENWARD_CLAIMS_PRESET=rfc9068).
    extraTokenClaims: (_ctx: unknown, token: { clientId: ClientId }) => {
      const roles = ROLES[token.clientId];
      return roles === undefined ? undefined : { roles };
    },
  };

  listener = providerListener(issuer, configuration);
  return { issuer, server };
}

describe('interop: oidc-provider tokens at the sample app (child process, discovery)', () => {
  let tmp: string;
  let as: AuthorizationServer;
  let app: RunningApp;
  let tokenEndpoint: string;
  let appPrivateKey: KeyObject;

  beforeAll(async () => {
    buildApp();
    // The resource server's own encryption key pair: the public half goes to the authorization
    // server (as it would be registered there), the private JWK Set to a file for the app.
    const keys = appEncryptionKeys(ENCRYPTION_KID, 'tokenward-interop-');
    const { publicKey, keysFile } = keys;
    appPrivateKey = keys.privateKey;
    tmp = keys.tmp;

    as = await startAuthorizationServer(publicKey);
    const metadata = (await getJSON(`${as.issuer}/.well-known/openid-configuration`)) as {
      token_endpoint: string;
    };
    tokenEndpoint = metadata.token_endpoint;

    app = await startApp({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      TOKENWARD_ISSUER: as.issuer,
      TOKENWARD_AUDIENCE: MESSAGES_API,
      TOKENWARD_DECRYPTION_KEYS: keysFile,
      TOKENWARD_ENCRYPTION: 'required',
      TOKENWARD_CLAIMS_PRESET: 'rfc9068',
    });
  }, 120_000);

  afterAll(async () => {
    if (app !== undefined) await stop(app.child);
    if (as !== undefined) {
      as.server.closeAllConnections();
      await new Promise((done) => as.server.close(done));
    }
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }, 2 * STOP_TIMEOUT_MS);

  async function getJSON(url: string): Promise<unknown> {
    const res = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    expect(res.status).toBe(200);
    return res.json();
  }

  /** POSTs a client_credentials request (RFC 6749 §4.4) with a resource indicator (RFC 8707 §2). */
  async function requestToken(client: ClientId, resource: string, scope: string) {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client}:${SECRETS[client]}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const body = (await res.json()) as TokenResponse | { error: string };
    // On failure the AS's error body (no token in it) says why, e.g. invalid_target or invalid_scope.
    expect({ status: res.status, error: 'error' in body ? body : undefined }).toEqual({
      status: 200,
      error: undefined,
    });
    return body as TokenResponse;
  }

  const token = async (client: ClientId, scope: string, resource = MESSAGES_API) =>
    (await requestToken(client, resource, scope)).access_token;

  /** Calls the app; returns status, `WWW-Authenticate` and the parsed body (if any). */
  async function call(method: string, path: string, accessToken?: string, body?: unknown) {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...(accessToken !== undefined && { authorization: `Bearer ${accessToken}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const text = await res.text();
    return {
      status: res.status,
      challenge: res.headers.get('www-authenticate'),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
  }

  describe('the tokens oidc-provider issues', () => {
    it('grants only the scopes the resource server defines, as a Bearer token', async () => {
      const res = await requestToken('reporting-job', MESSAGES_API, 'messages:read invoices:read');
      expect(res).toMatchObject({ token_type: 'Bearer', scope: 'messages:read', expires_in: 300 });
    });

    it('is a nested JWT: JWE (cty at+jwt, iss and aud replicated) around a JWS (typ at+jwt)', async () => {
      const jwe = await token('moderation-bot', 'messages:read');
      expect(jwe.split('.')).toHaveLength(5);
      const outer = protectedHeader(jwe);
      expect(outer).toEqual({
        alg: 'RSA-OAEP-256',
        enc: 'A256GCM',
        kid: ENCRYPTION_KID,
        cty: 'at+jwt',
        iss: as.issuer,
        aud: MESSAGES_API,
      });

      const jws = decryptRSAOAEP256A256GCM(jwe, appPrivateKey);
      expect(protectedHeader(jws)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: SIGNING_KID });
      const claims = JSON.parse(fromBase64url(jws.split('.')[1]).toString('utf8'));
      expect(claims).toMatchObject({
        iss: as.issuer,
        aud: MESSAGES_API,
        sub: 'moderation-bot',
        client_id: 'moderation-bot',
        scope: 'messages:read',
        roles: ['admin'],
      });
    });

    it('is signed only for legacy-job (JWS, typ at+jwt)', async () => {
      const jws = await token('legacy-job', 'messages:read');
      expect(jws.split('.')).toHaveLength(3);
      expect(protectedHeader(jws)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    });
  });

  describe('the sample app', () => {
    it('reaches the issuer by discovery: GET /health is ok', async () => {
      const res = await call('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'ok',
        mode: 'issuer',
        keys: [{ kind: 'discovery', status: 'ok' }],
      });
    });

    it('GET /api/me: 200 describing the decrypted, verified token', async () => {
      const res = await call('GET', '/api/me', await token('reporting-job', 'messages:read'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        subject: 'reporting-job',
        client: 'reporting-job',
        issuer: as.issuer,
        audience: [MESSAGES_API],
        scopes: ['messages:read'],
        roles: [],
        encrypted: true,
        encryption: { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
      });
    });

    it('GET /api/messages: 200 with messages:read', async () => {
      const res = await call('GET', '/api/messages', await token('reporting-job', 'messages:read'));
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
    });

    it('GET /api/messages: 403 insufficient_scope with only messages:write', async () => {
      const res = await call(
        'GET',
        '/api/messages',
        await token('reporting-job', 'messages:write'),
      );
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'insufficient_scope' });
      expect(res.challenge).toMatch(new RegExp(`^${REALM}, error="insufficient_scope"`));
      expect(res.challenge).toContain('scope="messages:read"');
    });

    it('POST /api/messages: 201 with messages:write, 403 insufficient_scope without it', async () => {
      const writer = await token('reporting-job', 'messages:read messages:write');
      const created = await call('POST', '/api/messages', writer, { text: 'from oidc-provider' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: expect.any(String), text: 'from oidc-provider' });

      const reader = await token('reporting-job', 'messages:read');
      const refused = await call('POST', '/api/messages', reader, { text: 'nope' });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'insufficient_scope' });
      expect(refused.challenge).toContain('error="insufficient_scope"');
      expect(refused.challenge).toContain('scope="messages:write"');

      const listed = await call('GET', '/api/messages', reader);
      expect(listed.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ text: 'from oidc-provider' })]),
      );
      expect(listed.body).not.toEqual(
        expect.arrayContaining([expect.objectContaining({ text: 'nope' })]),
      );
    });

    it('DELETE /api/messages/:id: 403 without the admin role, 204 with it', async () => {
      const writer = await token('reporting-job', 'messages:read messages:write');
      const created = await call('POST', '/api/messages', writer, { text: 'to be removed' });
      const { id } = created.body as { id: string };

      const refused = await call('DELETE', `/api/messages/${id}`, writer);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({
        error: 'insufficient_scope',
        error_description: expect.stringContaining('role'),
      });
      expect(refused.challenge).toMatch(new RegExp(`^${REALM}, error="insufficient_scope"`));

      const admin = await token('moderation-bot', 'messages:read');
      expect((await call('DELETE', `/api/messages/${id}`, admin)).status).toBe(204);
      // Gone now: the role check passed and the lookup ran.
      expect((await call('DELETE', `/api/messages/${id}`, admin)).status).toBe(404);
    });

    it('401 invalid_token for a token meant for another resource', async () => {
      const billing = await token('reporting-job', 'invoices:read', BILLING_API);
      const res = await call('GET', '/api/me', billing);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_token',
        error_description: 'the token is meant for another audience (option audience)',
      });
      expect(res.challenge).toBe(
        `${REALM}, error="invalid_token", error_description="the token is meant for another audience (option audience)"`,
      );
    });

    it('401 invalid_token for a signed-only token when encryption is required', async () => {
      const res = await call('GET', '/api/me', await token('legacy-job', 'messages:read'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_token',
        error_description: expect.stringContaining('requires encryption'),
      });
      expect(res.challenge).toMatch(new RegExp(`^${REALM}, error="invalid_token"`));
    });

    it('401 with a bare challenge and no token', async () => {
      const res = await call('GET', '/api/me');
      expect(res.status).toBe(401);
      expect(res.challenge).toBe(REALM);
    });

    it('never prints a token it was given', () => {
      expect(app.output()).not.toMatch(/ey[\w-]+\.[\w-]*\.[\w-]+/);
    });
  });
});
