/**
 * Interop of RFC 9728 protected resource metadata with the official MCP TypeScript SDK
 * (`@modelcontextprotocol/sdk`) as the client. On 127.0.0.1: `oidc-provider` 9 is the
 * authorization server (client_credentials, RFC 8707 resource indicators, ES256 JWT access
 * tokens), and an Express app guarded by tokenward (`resource` set, keys found by discovery)
 * serves the metadata and an MCP server (the SDK's own, stateless Streamable HTTP). The SDK
 * client's first request gets the 401, reads `resource_metadata` from its challenge, fetches the
 * metadata, discovers the authorization server it names, gets a token for the resource and
 * retries: the MCP session then works with a token tokenward verified.
 */
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { errors } from 'oidc-provider';
import { createVerifier, protectedResourceMetadataUrl } from '@tokenward/core';
import { authenticate, protectedResourceMetadata, requireScopes } from '@tokenward/express';
import { providerListener } from './interop-kit';

const CLIENT_ID = 'mcp-agent';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const SCOPE = 'mcp:tools';
const TEST_TIMEOUT_MS = 30_000;

/** Listens on 127.0.0.1, port 0, with a listener mounted once the URL is known. */
async function listen(): Promise<{
  server: Server;
  url: string;
  mount: (listener: (req: IncomingMessage, res: ServerResponse) => void) => void;
}> {
  let listener = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mount: (next) => (listener = next),
  };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
}

/** The SDK's client_credentials provider, keeping what discovery found (RFC 9728, RFC 8414). */
class RecordingProvider extends ClientCredentialsProvider {
  discovered: OAuthDiscoveryState | undefined;
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovered = state;
  }
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovered;
  }
}

describe('MCP SDK client against a tokenward resource server with RFC 9728 metadata', () => {
  let as: Awaited<ReturnType<typeof listen>>;
  let api: Awaited<ReturnType<typeof listen>>;
  let resource: string;
  let metadataUrl: string;

  beforeAll(async () => {
    as = await listen();
    api = await listen();
    resource = `${api.url}/mcp`;

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'as-1', alg: 'ES256' };
    as.mount(
      providerListener(as.url, {
        jwks: { keys: [{ ...signingKey, use: 'sig' }] },
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
        scopes: [SCOPE],
        features: {
          devInteractions: { enabled: false },
          clientCredentials: { enabled: true },
          resourceIndicators: {
            enabled: true,
            getResourceServerInfo: (_ctx: unknown, indicator: string) => {
              if (indicator !== resource) throw new errors.InvalidTarget('unknown resource');
              return {
                scope: SCOPE,
                accessTokenFormat: 'jwt',
                accessTokenTTL: 300,
                audience: indicator,
                jwt: { sign: { alg: 'ES256' } },
              };
            },
          },
        },
        ttl: { ClientCredentials: () => 300 },
      }),
    );

    const verifier = createVerifier({
      issuer: as.url,
      audience: resource,
      discovery: true,
      resource,
      metrics: false,
    });
    metadataUrl = protectedResourceMetadataUrl(verifier) as string;
    const app = express();
    app.use(protectedResourceMetadata(verifier, { scopes: [SCOPE], resourceName: 'Interop MCP' }));
    app.use(express.json());
    app.post('/mcp', authenticate(verifier), requireScopes(SCOPE), async (req, res) => {
      // Stateless Streamable HTTP: one server and transport per request.
      const server = new McpServer({ name: 'tokenward-interop', version: '1.0.0' });
      server.registerTool('whoami', { description: 'The verified token' }, () => ({
        content: [
          {
            type: 'text',
            text: JSON.stringify({
              clientId: req.auth?.clientId,
              scopes: [...(req.auth?.scopes ?? [])],
            }),
          },
        ],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      // `req.auth` is tokenward's AccessToken, not the SDK's AuthInfo: the tool reads the
      // verified token from this handler instead, so the request goes in as a plain one.
      await transport.handleRequest(req as IncomingMessage, res, req.body);
    });
    // Stateless: no server-initiated stream to open.
    app.get('/mcp', authenticate(verifier), (_req, res) => {
      res.status(405).set('Allow', 'POST').end();
    });
    api.mount(app);
  });

  afterAll(async () => {
    await close(api.server);
    await close(as.server);
  });

  it(
    'finds the metadata from the 401, reaches the configured authorization server and connects',
    async () => {
      // The SDK's client_credentials flow asks for the scope its provider is configured with, and
      // sends its credentials only to the expected issuer.
      const provider = new RecordingProvider({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scope: SCOPE,
        expectedIssuer: as.url,
      });
      const seen: string[] = [];
      const recording: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const url = new URL(input instanceof Request ? input.url : String(input));
        seen.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname} ${response.status}`);
        return response;
      };
      const transport = new StreamableHTTPClientTransport(new URL(resource), {
        authProvider: provider,
        fetch: recording,
      });
      const client = new Client({ name: 'tokenward-interop-client', version: '1.0.0' });
      try {
        await client.connect(transport);

        // Discovery went from the challenge's resource_metadata to the issuer tokenward trusts.
        const discovered = provider.discovered;
        expect(discovered?.resourceMetadataUrl).toBe(metadataUrl);
        expect(discovered?.resourceMetadata).toEqual({
          resource,
          authorization_servers: [as.url],
          scopes_supported: [SCOPE],
          bearer_methods_supported: ['header'],
          resource_name: 'Interop MCP',
        });
        expect(discovered?.authorizationServerUrl).toBe(as.url);
        expect(discovered?.authorizationServerMetadata?.issuer).toBe(as.url);

        // In order: the refused request, the metadata, the AS metadata (RFC 8414), the token
        // request to the endpoint that metadata names, and the retry, accepted.
        const tokenEndpoint = discovered?.authorizationServerMetadata?.token_endpoint;
        expect(tokenEndpoint).toBe(`${as.url}/token`);
        expect(seen.slice(0, 5)).toEqual([
          `POST ${resource} 401`,
          `GET ${metadataUrl} 200`,
          `GET ${as.url}/.well-known/oauth-authorization-server 200`,
          `POST ${tokenEndpoint} 200`,
          `POST ${resource} 200`,
        ]);

        // The MCP session runs on a token tokenward verified, for this resource and scope.
        const result = await client.callTool({ name: 'whoami' });
        const [content] = result.content as { type: string; text: string }[];
        expect(JSON.parse(content?.text ?? '{}')).toEqual({ clientId: CLIENT_ID, scopes: [SCOPE] });
        expect(provider.tokens()?.access_token).toMatch(/^eyJ/);
      } finally {
        await client.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it('answers the SDK a challenge whose resource_metadata it can read, without error', async () => {
    const { extractWWWAuthenticateParams } =
      await import('@modelcontextprotocol/sdk/client/auth.js');
    const response = await fetch(resource, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(extractWWWAuthenticateParams(response)).toEqual({
      resourceMetadataUrl: new URL(metadataUrl),
      scope: undefined,
      error: undefined,
    });
    await response.body?.cancel();
  });
});
