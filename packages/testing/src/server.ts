/**
 * The test issuer's HTTP server: JWKS and authorization server metadata on 127.0.0.1, an
 * ephemeral port, plain node:http. Plain http is fine here: verifiers accept http key URLs for
 * loopback hosts only (SECURITY.md, remote keys).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from '@tokenward/core';

/** Path of the JWK Set document, relative to the issuer URL. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** OpenID Connect Discovery 1.0 §4 metadata path. */
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
/** RFC 8414 §3 metadata path (for an issuer URL without a path component). */
export const OAUTH_METADATA_PATH = '/.well-known/oauth-authorization-server';

/** How many requests each endpoint has answered; lets tests assert caching behaviour. */
export interface TestIssuerRequestCounts {
  jwks: number;
  openidConfiguration: number;
  oauthAuthorizationServer: number;
}

/** What the server publishes, read on every request so key rotation shows up at once. */
export interface PublishedState {
  readonly issuer: () => string;
  readonly jwks: () => JSONWebKeySet;
  readonly signingAlgorithms: () => readonly string[];
}

/** A started metadata server. */
export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Builds the authorization server metadata document (RFC 8414 §2, OIDC Discovery §3). */
export function buildMetadata(issuer: string, signingAlgorithms: readonly string[]) {
  return {
    issuer,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    // This issuer mints tokens in-process; it has no authorization or token endpoint, so it
    // advertises no response or grant types rather than pretending to.
    response_types_supported: [],
    grant_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...signingAlgorithms],
    // RFC 9068 §2.1: access tokens are JWTs of type at+jwt signed with these algorithms.
    access_token_signing_alg_values_supported: [...signingAlgorithms],
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // Tests rotate keys; nothing between the verifier and this server should hold on to them.
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

function handler(state: PublishedState, counts: TestIssuerRequestCounts) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const known = [JWKS_PATH, OPENID_CONFIGURATION_PATH, OAUTH_METADATA_PATH];
    if (!known.includes(path)) {
      send(response, 404, { error: 'not_found' });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
      return;
    }
    if (path === JWKS_PATH) {
      counts.jwks += 1;
      // RFC 7517 §5 JWK Set. Served as application/json, which every JWKS client accepts.
      send(response, 200, state.jwks());
      return;
    }
    if (path === OPENID_CONFIGURATION_PATH) counts.openidConfiguration += 1;
    else counts.oauthAuthorizationServer += 1;
    send(response, 200, buildMetadata(state.issuer(), state.signingAlgorithms()));
  };
}

/** Starts the server on 127.0.0.1, port 0 (the OS picks a free one). */
export async function startServer(
  state: PublishedState,
  counts: TestIssuerRequestCounts,
): Promise<RunningServer> {
  const server: Server = createServer(handler(state, counts));
  // Test clients keep connections alive; without this, close() would wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
