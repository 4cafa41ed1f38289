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
 *
 * RFC 9701 (`features.jwtIntrospection`, option `introspection.responseFormat: 'jwt'`): two more
 * clients of the resource server get JWT answers when they ask for
 * `application/token-introspection+jwt`. `orders-api-jwt` has `introspection_signed_response_alg`
 * ES256: a JWT signed with the provider's key (verified through the `jwks_uri` of its discovery
 * document). `orders-api-jwe` also has `introspection_encrypted_response_alg` RSA-OAEP-256 and
 * `_enc` A256GCM, with the resource server's public encryption key as its `jwks`: that JWT then
 * comes encrypted to it (a JWE with `cty: "JWT"`, `iss` and `aud` replicated in its header),
 * decrypted with the verifier's `decryptionKeys`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createVerifier,
  IntrospectionUnavailableError,
  TokenwardError,
  type IntrospectionOptions,
  type VerifierOptions,
} from '@tokenward/core';
import { errors } from 'oidc-provider';
import { HTTP_TIMEOUT_MS, protectedHeader, providerListener } from './interop-kit';

/** The resource server's identifier (RFC 8707): the `aud` of the tokens issued for it. */
const ORDERS_API = 'https://orders.tokenward.test';
type ClientId = 'worker' | 'orders-api' | 'orders-api-jwt' | 'orders-api-jwe';
const SECRETS: Record<ClientId, string> = {
  worker: randomBytes(24).toString('base64url'),
  'orders-api': randomBytes(24).toString('base64url'),
  'orders-api-jwt': randomBytes(24).toString('base64url'),
  'orders-api-jwe': randomBytes(24).toString('base64url'),
};
/** The clients of the resource server, which alone may introspect. */
const RESOURCE_SERVER_CLIENTS = new Set<string>(['orders-api', 'orders-api-jwt', 'orders-api-jwe']);
const JWT_MEDIA_TYPE = 'application/token-introspection+jwt';

/** The resource server's encryption key pair: `orders-api-jwe`'s `jwks`, the verifier's `decryptionKeys`. */
const ENCRYPTION_KID = 'orders-api-enc-1';
const encryptionKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const encryptionJWK = {
  public: {
    ...encryptionKeys.publicKey.export({ format: 'jwk' }),
    kid: ENCRYPTION_KID,
    use: 'enc',
    alg: 'RSA-OAEP-256',
  },
  private: { ...encryptionKeys.privateKey.export({ format: 'jwk' }), kid: ENCRYPTION_KID },
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
    // ES256 is the only algorithm its key allows; RS256, the default, would be refused.
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      introspection_signed_response_alg: 'ES256',
    },
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
      {
        // RFC 9701: signed JWT answers when asked for with Accept.
        client_id: 'orders-api-jwt',
        client_secret: SECRETS['orders-api-jwt'],
        grant_types: [],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        introspection_signed_response_alg: 'ES256',
      },
      {
        // RFC 9701: signed, then encrypted to the resource server's public key.
        client_id: 'orders-api-jwe',
        client_secret: SECRETS['orders-api-jwe'],
        grant_types: [],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        introspection_signed_response_alg: 'ES256',
        introspection_encrypted_response_alg: 'RSA-OAEP-256',
        introspection_encrypted_response_enc: 'A256GCM',
        jwks: { keys: [encryptionJWK.public] },
      },
    ],
    scopes: ['read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Only the resource server's clients get answers about tokens.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }) =>
          RESOURCE_SERVER_CLIENTS.has(client.clientId),
      },
      // RFC 9701 answers; `encryption` allows the `introspection_encrypted_response_*` metadata.
      jwtIntrospection: { enabled: true },
      encryption: { enabled: true },
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

  // Jest's test context gets the outer realm's structuredClone, whose copies fail oidc-provider's
  // plain-object check (`constructor === Object`) on a client's `jwks`; the provider copies its
  // static clients with it once, here. A JSON copy is made in this realm (the clients are JSON).
  const realmClone = globalThis.structuredClone;
  globalThis.structuredClone = ((value: unknown) =>
    JSON.parse(JSON.stringify(value)) as unknown) as typeof structuredClone;
  try {
    listener = providerListener(issuer, configuration);
  } finally {
    globalThis.structuredClone = realmClone;
  }
  return { issuer, server };
}

describe('interop: tokenward introspection (RFC 7662, RFC 9701) at oidc-provider, opaque tokens', () => {
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

  /** POSTs a form with one client's Basic credentials. */
  const post = (
    url: string,
    client: ClientId,
    form: Record<string, string>,
    accept = 'application/json',
  ) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization: basic(client),
        'content-type': 'application/x-www-form-urlencoded',
        accept,
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

  const newVerifier = (
    client: ClientId = 'orders-api',
    introspection: Partial<IntrospectionOptions> = {},
    overrides: Partial<VerifierOptions> = {},
  ) =>
    createVerifier({
      issuer: as.issuer,
      audience: ORDERS_API,
      discovery: true,
      decryptionKeys: encryptionJWK.private,
      ...overrides,
      introspection: {
        clientId: client,
        clientSecret: SECRETS[client],
        maxCacheAge: 1,
        inactiveCacheAge: 1,
        ...introspection,
      },
    });

  /** What the provider answers `client` about `token` when asked for an RFC 9701 JWT. */
  async function introspectJWT(
    token: string,
    client: ClientId,
  ): Promise<{ contentType: string | null; body: string }> {
    const res = await post(metadata.introspection_endpoint, client, { token }, JWT_MEDIA_TYPE);
    expect(res.status).toBe(200);
    return { contentType: res.headers.get('content-type'), body: await res.text() };
  }

  /** The TokenwardError `promise` rejects with. */
  async function refusal(promise: Promise<unknown>): Promise<TokenwardError> {
    const error = await promise.then(
      () => new Error('expected a refusal'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenwardError);
    return error as TokenwardError;
  }

  /** Expects `promise` to be refused as a token the provider says is not active. */
  async function expectInactive(promise: Promise<unknown>): Promise<void> {
    const error = await refusal(promise);
    expect({ code: error.code, status: error.status }).toEqual({
      code: 'ERR_TOKEN_INACTIVE',
      status: 401,
    });
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
    await expectInactive(verifier.verify(token));
  }, 20_000);

  it('refuses an opaque string the provider never issued', async () => {
    const unknown = randomBytes(32).toString('base64url');
    expect(await introspect(unknown)).toEqual({ active: false });
    await expectInactive(newVerifier().verify(unknown));
  }, 20_000);
  it('RFC 9701: verifies a signed JWT answer, then its signed inactive answer once revoked', async () => {
    const token = await requestToken(ORDERS_API);
    const answer = await introspectJWT(token, 'orders-api-jwt');
    expect(answer.contentType).toMatch(/^application\/token-introspection\+jwt(;|$)/);
    expect(answer.body.split('.')).toHaveLength(3);
    expect(protectedHeader(answer.body)).toMatchObject({
      alg: 'ES256',
      typ: 'token-introspection+jwt',
      kid: expect.any(String),
    });

    const verifier = newVerifier('orders-api-jwt', { responseFormat: 'jwt' });
    const accessToken = await verifier.verify(token);
    expect(accessToken.clientId).toBe('worker');
    expect([...accessToken.scopes]).toContain('read');
    expect(accessToken.issuer).toBe(as.issuer);
    expect(accessToken.audience).toEqual([ORDERS_API]);
    // The AccessToken's claims are the token_introspection member, not the JWT around it.
    expect(accessToken.claims).toMatchObject({ active: true, client_id: 'worker' });
    expect(accessToken.claims.token_introspection).toBeUndefined();

    const revoked = await post(metadata.revocation_endpoint, 'worker', { token });
    expect(revoked.status).toBe(200);
    await new Promise((done) => setTimeout(done, PAST_CACHE_MS));
    await expectInactive(verifier.verify(token));
  }, 20_000);

  it('RFC 9701: decrypts and verifies a signed-then-encrypted JWT answer', async () => {
    const token = await requestToken(ORDERS_API);
    const answer = await introspectJWT(token, 'orders-api-jwe');
    expect(answer.contentType).toMatch(/^application\/token-introspection\+jwt(;|$)/);
    expect(answer.body.split('.')).toHaveLength(5);
    expect(protectedHeader(answer.body)).toMatchObject({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: ENCRYPTION_KID,
      // Replicated from the JWT inside (RFC 7519 §5.3): checked to be equal after decryption.
      iss: as.issuer,
      aud: 'orders-api-jwe',
    });

    const verifier = newVerifier('orders-api-jwe', {
      responseFormat: 'jwt',
      requireEncryptedResponse: true,
    });
    const accessToken = await verifier.verify(token);
    expect(accessToken.clientId).toBe('worker');
    expect([...accessToken.scopes]).toContain('read');
    expect(accessToken.audience).toEqual([ORDERS_API]);
  }, 20_000);

  it('RFC 9701: fails closed on a signed-only answer where encryption is required, and on one encrypted to another key', async () => {
    const token = await requestToken(ORDERS_API);
    const signedOnly = await refusal(
      newVerifier('orders-api-jwt', {
        responseFormat: 'jwt',
        requireEncryptedResponse: true,
      }).verify(token),
    );
    expect(signedOnly).toBeInstanceOf(IntrospectionUnavailableError);
    expect((signedOnly.cause as { check?: string }).check).toBe('encryption-required');

    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const notOurs = await refusal(
      newVerifier(
        'orders-api-jwe',
        { responseFormat: 'jwt' },
        { decryptionKeys: { ...otherKey.export({ format: 'jwk' }), kid: ENCRYPTION_KID } },
      ).verify(token),
    );
    expect(notOurs).toBeInstanceOf(IntrospectionUnavailableError);
    expect((notOurs.cause as { check?: string }).check).toBe('decryption');
  }, 20_000);
});
