/**
 * Interop of tokenward's RFC 7662 introspection (option `introspection` of `createVerifier`) with
 * a real authorization server: `oidc-provider` 9, in this process on 127.0.0.1 (port 0), issuing
 * OPAQUE access tokens through the client_credentials grant. The verifier discovers the
 * introspection endpoint from the provider's metadata and introspects as `orders-api`, the
 * resource server's own client; `worker` gets the tokens and revokes them (RFC 7009).
 *
 * What oidc-provider answers (its `lib/actions/introspection.js`), asserted below: an active
 * ClientCredentials token gives `active`, `client_id`, `exp`, `iat`, `iss`, `scope` and
 * `token_type`, and `aud` only when the token was issued for a resource server (RFC 8707
 * `resource`); no `sub` (no end-user) and no `jti` (an opaque token's id is the token itself,
 * which the answer leaves out). Without `aud` tokenward refuses the answer (RFC 9068 §4; see
 * docs/introspection.md, "The answer"), so the verifier's tokens are requested with
 * `resource=ORDERS_API`, which the provider maps to an opaque token whose `aud` is ORDERS_API.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier, TokenwardError } from '@tokenward/core';
import { errors } from 'oidc-provider';
import { HTTP_TIMEOUT_MS, providerListener } from './interop-kit';

/** The resource server's identifier (RFC 8707): the `aud` of the tokens issued for it. */
const ORDERS_API = 'https://orders.tokenward.test';
type ClientId = 'worker' | 'orders-api';
const SECRETS: Record<ClientId, string> = {
  worker: randomBytes(24).toString('base64url'),
  'orders-api': randomBytes(24).toString('base64url'),
};
// Above `maxCacheAge` and `inactiveCacheAge` (1 s each) of the verifier.
const PAST_CACHE_MS = 1_100;

const basic = (client: ClientId) =>
  `Basic ${Buffer.from(`${client}:${SECRETS[client]}`).toString('base64')}`;

/** Starts oidc-provider on 127.0.0.1, port 0; resolves with its issuer and server. */
async function startAuthorizationServer(): Promise<{ issuer: string; server: Server }> {
  // The issuer URL holds the port, known only once the socket listens: bind first, then mount.
  let listener = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A signing key of its own, so the provider does not fall back to its development keys.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const configuration = {
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: [
      {
        client_id: 'worker',
        client_secret: SECRETS.worker,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'read',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        // The resource server's own client: it only introspects.
        client_id: 'orders-api',
        client_secret: SECRETS['orders-api'],
        grant_types: [],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Only the resource server's client gets answers about tokens.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }) =>
          client.clientId === 'orders-api',
      },
      revocation: {
        enabled: true,
        // A client revokes its own tokens only.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          client.clientId === token.clientId,
      },
      // Enabled by default in v9, but without a `resource` parameter no resource server is
      // involved. With `resource=ORDERS_API` the token stays opaque and gets that `aud`.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== ORDERS_API) throw new errors.InvalidTarget('unknown resource');
          return { audience: ORDERS_API, scope: 'read', accessTokenFormat: 'opaque' };
        },
      },
    },
    ttl: { ClientCredentials: 300 },
  };

  listener = providerListener(issuer, configuration);
  return { issuer, server };
}

describe('interop: tokenward introspection (RFC 7662) at oidc-provider, opaque tokens', () => {
  let as: { issuer: string; server: Server };
  let metadata: {
    token_endpoint: string;
    introspection_endpoint: string;
    revocation_endpoint: string;
  };

  beforeAll(async () => {
    as = await startAuthorizationServer();
    const res = await fetch(`${as.issuer}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    expect(res.status).toBe(200);
    metadata = (await res.json()) as typeof metadata;
  }, 20_000);

  afterAll(async () => {
    if (as === undefined) return;
    as.server.closeAllConnections();
    await new Promise((done) => as.server.close(done));
  }, 10_000);

  /** POSTs a form with `worker`'s or `orders-api`'s Basic credentials. */
  const post = (url: string, client: ClientId, form: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization: basic(client),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });

  /** A client_credentials token of `worker` (RFC 6749 §4.4), optionally for a resource. */
  async function requestToken(resource?: string): Promise<string> {
    const form = { grant_type: 'client_credentials', scope: 'read' };
    const res = await post(metadata.token_endpoint, 'worker', {
      ...form,
      ...(resource !== undefined && { resource }),
    });
    const body = (await res.json()) as { access_token?: string; error?: string };
    expect({ status: res.status, error: body.error }).toEqual({ status: 200, error: undefined });
    return body.access_token as string;
  }

  /** What the provider itself answers `orders-api` about `token`. */
  async function introspect(token: string): Promise<Record<string, unknown>> {
    const res = await post(metadata.introspection_endpoint, 'orders-api', { token });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  }

  const newVerifier = () =>
    createVerifier({
      issuer: as.issuer,
      audience: ORDERS_API,
      discovery: true,
      introspection: {
        clientId: 'orders-api',
        clientSecret: SECRETS['orders-api'],
        maxCacheAge: 1,
        inactiveCacheAge: 1,
      },
    });

  /** The TokenwardError `promise` rejects with. */
  async function refusal(promise: Promise<unknown>): Promise<TokenwardError> {
    const error = await promise.then(
      () => new Error('expected a refusal'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenwardError);
    return error as TokenwardError;
  }

  it('the metadata names the introspection and revocation endpoints', () => {
    expect(metadata.introspection_endpoint).toBe(`${as.issuer}/token/introspection`);
    expect(metadata.revocation_endpoint).toBe(`${as.issuer}/token/revocation`);
  });

  it('without a resource: an opaque token whose introspection answer has no aud, refused', async () => {
    const token = await requestToken();
    expect(token).not.toContain('.');
    const answer = await introspect(token);
    expect(answer).toEqual({
      active: true,
      client_id: 'worker',
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: as.issuer,
      scope: 'read',
      token_type: 'Bearer',
    });
    // RFC 9068 §4 / docs/introspection.md: an answer without `aud` is not taken for any audience.
    const error = await refusal(newVerifier().verify(token));
    expect({ code: error.code, status: error.status, claim: error.claim }).toEqual({
      code: 'ERR_CLAIM_MISSING',
      status: 401,
      claim: 'aud',
    });
  }, 20_000);

  it('verifies an active opaque token, then refuses it once revoked', async () => {
    const token = await requestToken(ORDERS_API);
    expect(token).not.toContain('.');
    expect(await introspect(token)).toEqual({
      active: true,
      aud: ORDERS_API,
      client_id: 'worker',
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: as.issuer,
      scope: 'read',
      token_type: 'Bearer',
    });

    const verifier = newVerifier();
    const accessToken = await verifier.verify(token);
    expect(accessToken.clientId).toBe('worker');
    expect([...accessToken.scopes]).toContain('read');
    expect(accessToken.issuer).toBe(as.issuer);
    expect(accessToken.audience).toEqual([ORDERS_API]);

    // RFC 7009 §2.2: 200 with an empty body.
    const revoked = await post(metadata.revocation_endpoint, 'worker', { token });
    expect({ status: revoked.status, body: await revoked.text() }).toEqual({
      status: 200,
      body: '',
    });
    expect(await introspect(token)).toEqual({ active: false });

    // The active answer is reused for up to maxCacheAge; past it the verifier asks again.
    await new Promise((done) => setTimeout(done, PAST_CACHE_MS));
    const error = await refusal(verifier.verify(token));
    expect({ code: error.code, status: error.status }).toEqual({
      code: 'ERR_TOKEN_INACTIVE',
      status: 401,
    });
  }, 20_000);

  it('refuses an opaque string the provider never issued', async () => {
    const unknown = randomBytes(32).toString('base64url');
    expect(await introspect(unknown)).toEqual({ active: false });
    const error = await refusal(newVerifier().verify(unknown));
    expect({ code: error.code, status: error.status }).toEqual({
      code: 'ERR_TOKEN_INACTIVE',
      status: 401,
    });
  }, 20_000);
});
