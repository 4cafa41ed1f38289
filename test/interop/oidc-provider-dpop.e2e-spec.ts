/**
 * Interop of DPoP-bound tokens (RFC 9449) with real third-party software on both sides of the
 * sample app. `oidc-provider` 9 runs in this process on 127.0.0.1 (port 0) with `features.dPoP`
 * and issues RFC 9068 JWT access tokens through the client_credentials grant with an RFC 8707
 * resource indicator: signed (ES256), encrypted (RSA-OAEP-256 + A256GCM) to the sample app's
 * public key, and bound (`cnf.jkt`) to the key of the DPoP proof sent to its token endpoint.
 * `oauth4webapi` 3 is the client: discovery, an ES256 DPoP key pair, the token request, and the
 * protected-resource requests, with its own server-nonce handling. The **built** sample app runs
 * as a child process with TOKENWARD_DPOP=required and server nonces.
 *
 * oauth4webapi 3 has no built-in retry: a response with a `WWW-Authenticate` challenge rejects
 * with `WWWAuthenticateChallengeError`, `isDPoPNonceError` tells a `use_dpop_nonce` one apart, and
 * the DPoP handle has already cached the response's `DPoP-Nonce` (per origin) for the next proof.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  allowInsecureRequests,
  clientCredentialsGrantRequest,
  ClientSecretBasic,
  customFetch,
  discoveryRequest,
  DPoP,
  generateKeyPair,
  isDPoPNonceError,
  processClientCredentialsResponse,
  processDiscoveryResponse,
  protectedResourceRequest,
  WWWAuthenticateChallengeError,
  type AuthorizationServer,
  type Client,
  type CustomFetchOptions,
  type DPoPHandle,
  type ProtectedResourceRequestBody,
} from 'oauth4webapi';
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

// The RFC 8707 resource indicator of the sample app (its TOKENWARD_AUDIENCE).
const MESSAGES_API = 'https://messages.tokenward.test';
const SIGNING_KID = 'as-signing-1';
const ENCRYPTION_KID = 'messages-encryption-1';
const CLIENT_ID = 'reporting-job';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
// The sample app's nonce secret (TOKENWARD_DPOP_NONCE_SECRET, at least 32 bytes).
const NONCE_SECRET = randomBytes(32).toString('base64url');

const TEST_TIMEOUT_MS = 30_000;

/** The decoded payload of a compact JWS (nothing verified). */
const payloadOf = (jws: string): Record<string, unknown> =>
  JSON.parse(fromBase64url(jws.split('.')[1]).toString('utf8'));

interface RunningAuthorizationServer {
  issuer: string;
  server: Server;
}

/** Starts oidc-provider with DPoP on 127.0.0.1, port 0, issuing tokens encrypted to `appKey`. */
async function startAuthorizationServer(appKey: KeyObject): Promise<RunningAuthorizationServer> {
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
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449 at the token endpoint: a request with a valid proof gets a token bound to the
      // proof's key (cnf.jkt) and token_type DPoP. No nonceSecret: the provider's own nonces are
      // off (its default requireNonce answers false), so the sample app is the one that asks.
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== MESSAGES_API) throw new errors.InvalidTarget('unknown resource');
          return {
            scope: 'messages:read messages:write',
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            audience: resource,
            jwt: {
              sign: { alg: 'ES256' },
              encrypt: { alg: 'RSA-OAEP-256', enc: 'A256GCM', key: appKey, kid: ENCRYPTION_KID },
            },
          };
        },
      },
    },
    // The default does the same, with a notice asking to define it.
    ttl: {
      ClientCredentials: (_ctx: unknown, t: { resourceServer?: { accessTokenTTL?: number } }) =>
        t.resourceServer?.accessTokenTTL ?? 60,
    },
  };

  listener = providerListener(issuer, configuration);
  return { issuer, server };
}

/** One request as oauth4webapi handed it to `fetch`, and the status it got. */
interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  status: number;
}

/** A `customFetch` for oauth4webapi that sends with the global fetch and records each request. */
const recordingFetch =
  (sent: SentRequest[]) =>
  async (url: string, init: CustomFetchOptions<string, ProtectedResourceRequestBody>) => {
    const res = await fetch(url, init as RequestInit);
    sent.push({ url, method: init.method, headers: { ...init.headers }, status: res.status });
    return res;
  };

/** What the app answered: status, challenge, `DPoP-Nonce` and the parsed body (if any). */
interface Outcome {
  status: number;
  challenge: string | null;
  nonce: string | null;
  body: unknown;
}

async function outcomeOf(res: Response): Promise<Outcome> {
  const text = await res.text();
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate'),
    nonce: res.headers.get('dpop-nonce'),
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

/**
 * Settles an oauth4webapi protected-resource request: its response, or the response of the
 * `WWWAuthenticateChallengeError` it rejected with (any other error is rethrown).
 */
async function settle(pending: Promise<Response>): Promise<Outcome> {
  try {
    return await outcomeOf(await pending);
  } catch (error) {
    if (!(error instanceof WWWAuthenticateChallengeError)) throw error;
    return outcomeOf(error.response);
  }
}

describe('interop: DPoP-bound oidc-provider tokens, oauth4webapi client, sample app', () => {
  let tmp: string;
  let authorizationServer: RunningAuthorizationServer;
  let app: RunningApp;
  let appPrivateKey: KeyObject;
  let as: AuthorizationServer;
  const client: Client = { client_id: CLIENT_ID };
  const clientAuth = ClientSecretBasic(CLIENT_SECRET);

  beforeAll(async () => {
    buildApp();
    // The resource server's own encryption key pair: the public half goes to the authorization
    // server (as it would be registered there), the private JWK Set to a file for the app.
    const keys = appEncryptionKeys(ENCRYPTION_KID, 'tokenward-interop-dpop-');
    const { publicKey, keysFile } = keys;
    appPrivateKey = keys.privateKey;
    tmp = keys.tmp;

    authorizationServer = await startAuthorizationServer(publicKey);

    // oauth4webapi's discovery (OpenID Connect Discovery 1.0), plain http allowed on loopback.
    const issuer = new URL(authorizationServer.issuer);
    as = await processDiscoveryResponse(
      issuer,
      await discoveryRequest(issuer, {
        algorithm: 'oidc',
        [allowInsecureRequests]: true,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      }),
    );

    app = await startApp({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      TOKENWARD_ISSUER: authorizationServer.issuer,
      TOKENWARD_AUDIENCE: MESSAGES_API,
      TOKENWARD_DECRYPTION_KEYS: keysFile,
      TOKENWARD_ENCRYPTION: 'required',
      TOKENWARD_DPOP: 'required',
      TOKENWARD_DPOP_NONCE_SECRET: NONCE_SECRET,
      AUDIT: 'off',
    });
  }, 120_000);

  afterAll(async () => {
    if (app !== undefined) await stop(app.child);
    if (authorizationServer !== undefined) {
      authorizationServer.server.closeAllConnections();
      await new Promise((done) => authorizationServer.server.close(done));
    }
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }, 2 * STOP_TIMEOUT_MS);

  /** A fresh oauth4webapi DPoP handle on a new ES256 key pair (no nonce cached yet). */
  async function newDPoP(): Promise<DPoPHandle> {
    return DPoP(client, await generateKeyPair('ES256'));
  }

  /** The client_credentials grant with a resource indicator and a DPoP proof, by oauth4webapi. */
  async function requestToken(dpop: DPoPHandle) {
    const res = await clientCredentialsGrantRequest(
      as,
      client,
      clientAuth,
      { resource: MESSAGES_API, scope: 'messages:read' },
      {
        DPoP: dpop,
        [allowInsecureRequests]: true,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      },
    );
    return processClientCredentialsResponse(as, client, res);
  }

  /** GET /api/me by oauth4webapi with `dpop`'s proofs, recording what it sent into `sent`. */
  function getMe(accessToken: string, dpop: DPoPHandle, sent: SentRequest[] = []) {
    return protectedResourceRequest(
      accessToken,
      'GET',
      new URL(`${app.url}/api/me`),
      new Headers(),
      undefined,
      {
        DPoP: dpop,
        [allowInsecureRequests]: true,
        [customFetch]: recordingFetch(sent),
        signal: () => AbortSignal.timeout(HTTP_TIMEOUT_MS),
      },
    );
  }

  /** GET /api/me, repeated once on a `use_dpop_nonce` challenge, as oauth4webapi's docs show. */
  async function getMeWithNonce(accessToken: string, dpop: DPoPHandle, sent: SentRequest[] = []) {
    try {
      return await getMe(accessToken, dpop, sent);
    } catch (error) {
      if (!isDPoPNonceError(error)) throw error;
      return getMe(accessToken, dpop, sent);
    }
  }

  /** A plain fetch of GET /api/me with exactly these headers. */
  async function plainGetMe(headers: Record<string, string>): Promise<Outcome> {
    return outcomeOf(
      await fetch(`${app.url}/api/me`, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) }),
    );
  }

  const meBody = () => ({
    subject: CLIENT_ID,
    client: CLIENT_ID,
    issuer: authorizationServer.issuer,
    audience: [MESSAGES_API],
    scopes: ['messages:read'],
    encrypted: true,
    encryption: { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
  });

  it(
    'discovers DPoP support at oidc-provider (dpop_signing_alg_values_supported has ES256)',
    () => {
      expect(as.issuer).toBe(authorizationServer.issuer);
      expect(as.token_endpoint).toBe(`${authorizationServer.issuer}/token`);
      expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'issues a DPoP-bound, encrypted RFC 9068 token: 5-segment JWE, token_type DPoP, cnf.jkt',
    async () => {
      const dpop = await newDPoP();
      const tokens = await requestToken(dpop);
      expect(tokens.token_type).toMatch(/^dpop$/i);
      expect(tokens.scope).toBe('messages:read');

      const jwe = tokens.access_token;
      expect(jwe.split('.')).toHaveLength(5);
      expect(protectedHeader(jwe)).toMatchObject({
        alg: 'RSA-OAEP-256',
        enc: 'A256GCM',
        kid: ENCRYPTION_KID,
        cty: 'at+jwt',
      });

      // Inside: the RFC 9068 claims, bound to the thumbprint of oauth4webapi's DPoP public key.
      const jws = decryptRSAOAEP256A256GCM(jwe, appPrivateKey);
      expect(protectedHeader(jws)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: SIGNING_KID });
      expect(payloadOf(jws)).toMatchObject({
        iss: authorizationServer.issuer,
        aud: MESSAGES_API,
        client_id: CLIENT_ID,
        scope: 'messages:read',
        cnf: { jkt: await dpop.calculateThumbprint() },
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers use_dpop_nonce with a DPoP-Nonce first; the retry with that nonce gets 200',
    async () => {
      const dpop = await newDPoP();
      const { access_token: accessToken } = await requestToken(dpop);
      const sent: SentRequest[] = [];

      // The first proof has no nonce: oauth4webapi rejects with the app's challenge.
      const first = await getMe(accessToken, dpop, sent).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(first).toBeInstanceOf(WWWAuthenticateChallengeError);
      expect(isDPoPNonceError(first)).toBe(true);
      const refused = await outcomeOf((first as WWWAuthenticateChallengeError).response);
      expect(refused.status).toBe(401);
      // TOKENWARD_DPOP=required: only the DPoP scheme is challenged, and the error is on it.
      expect(refused.challenge).toMatch(/^DPoP realm="messages", .*error="use_dpop_nonce"/);
      expect(refused.challenge).not.toMatch(/Bearer/);
      expect(refused.nonce).toMatch(/^\S+$/);
      expect(refused.body).toMatchObject({ error: 'use_dpop_nonce' });
      expect(sent).toHaveLength(1);
      expect(sent[0]?.headers.authorization).toBe(`DPoP ${accessToken}`);
      expect(payloadOf(sent[0]?.headers.dpop ?? '')).not.toHaveProperty('nonce');

      // The repeated call: the handle cached the nonce from the 401 and puts it in the new proof.
      const res = await getMe(accessToken, dpop, sent);
      expect(sent).toHaveLength(2);
      const retried = payloadOf(sent[1]?.headers.dpop ?? '');
      expect(retried).toMatchObject({
        nonce: refused.nonce,
        htm: 'GET',
        htu: `${app.url}/api/me`,
        ath: expect.any(String),
      });
      const accepted = await outcomeOf(res);
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject(meBody());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses the DPoP-bound token presented as a Bearer token: 401 invalid_token',
    async () => {
      const dpop = await newDPoP();
      const { access_token: accessToken } = await requestToken(dpop);
      // The token does work with its proofs, so the refusal below is about the scheme alone.
      expect((await getMeWithNonce(accessToken, dpop)).status).toBe(200);

      const res = await plainGetMe({ authorization: `Bearer ${accessToken}` });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_token',
        error_description: expect.stringContaining('DPoP-bound (cnf.jkt)'),
      });
      // No downgrade to Bearer: only the DPoP scheme is challenged, with the token error on it.
      expect(res.challenge).toMatch(/^DPoP realm="messages", .*error="invalid_token"/);
      expect(res.challenge).not.toMatch(/Bearer/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a proof replayed verbatim: 401 invalid_dpop_proof',
    async () => {
      const dpop = await newDPoP();
      const { access_token: accessToken } = await requestToken(dpop);
      const sent: SentRequest[] = [];
      const res = await getMeWithNonce(accessToken, dpop, sent);
      expect(res.status).toBe(200);

      // The headers of the accepted request, sent again as they were, to the same URL.
      const accepted = sent.filter((request) => request.status === 200);
      expect(accepted).toHaveLength(1);
      const [{ url, method, headers }] = accepted as [SentRequest];
      expect({ url, method }).toEqual({ url: `${app.url}/api/me`, method: 'GET' });
      expect(headers).toMatchObject({
        authorization: `DPoP ${accessToken}`,
        dpop: expect.any(String),
      });

      const replay = await plainGetMe(headers);
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({
        error: 'invalid_dpop_proof',
        error_description: 'the DPoP proof was used before',
      });
      expect(replay.challenge).toMatch(/^DPoP realm="messages", .*error="invalid_dpop_proof"/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses another key's proofs with the first key's token: 401 invalid_dpop_proof",
    async () => {
      const owner = await newDPoP();
      const { access_token: stolen } = await requestToken(owner);
      const thief = await newDPoP();
      expect(await thief.calculateThumbprint()).not.toBe(await owner.calculateThumbprint());

      const res = await settle(getMeWithNonce(stolen, thief));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_dpop_proof',
        error_description: "the DPoP proof's key is not the key the token is bound to (cnf.jkt)",
      });
      expect(res.challenge).toMatch(/^DPoP realm="messages", .*error="invalid_dpop_proof"/);

      // The second key does work with a token of its own: the refusal is the key mismatch.
      const { access_token: own } = await requestToken(thief);
      const ok = await settle(getMeWithNonce(own, thief));
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject(meBody());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'never prints a token or a proof it was given',
    () => {
      expect(app.output()).not.toMatch(/ey[\w-]+\.[\w-]*\.[\w-]+/);
    },
    TEST_TIMEOUT_MS,
  );
});
