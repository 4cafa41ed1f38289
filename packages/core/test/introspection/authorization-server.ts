/**
 * A real RFC 7662 introspection endpoint for the introspection tests: node:http on 127.0.0.1,
 * port 0. It checks every request as an authorization server must (POST, form body, the one
 * configured client authentication method, the client's id and secret form-urlencoded, the
 * `token_type_hint`), answers each token the way the test set for it (an introspection
 * response, or a misbehaviour: garbage, a huge body, a redirect, a stall, an error status),
 * counts requests per token, and serves RFC 8414 metadata naming its endpoint. With `failWith`
 * set it answers every introspection with that error status (an outage), whatever the token. For RFC 9701 it
 * has an ES256 signing key of its own, published at `/jwks` (the metadata's `jwks_uri`), and
 * {@link TestAuthorizationServer.jwt} answers with a JWT signed (and optionally encrypted) with
 * jose, or deliberately malformed in one respect.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, CompactSign, type JWK } from 'jose';

/** Answers one introspection request. */
export type Answer = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** The media type of an RFC 9701 answer. */
export const JWT_MEDIA_TYPE = 'application/token-introspection+jwt';

/** How {@link TestAuthorizationServer.jwt} builds its answer; each member changes one thing. */
export interface JWTAnswerOptions {
  /**
   * Merged over the JWT claims `{ iss: <url>, aud: <clientId>, iat: now, token_introspection }`;
   * a member set to `undefined` is left out.
   */
  claims?: Record<string, unknown>;
  /** Merged over the protected header `{ alg: 'ES256', typ: 'token-introspection+jwt', kid }`. */
  header?: Record<string, unknown>;
  /** Signs with this private key instead of the server's (one the resource server does not know). */
  signWith?: KeyObject;
  /**
   * Encrypts the signed JWT to `key` (compact JWE, `cty: 'JWT'`, RSA-OAEP-256 and A256GCM unless
   * `header` says otherwise), as RFC 9701 §5 nests it.
   */
  encryptTo?: { key: KeyObject; kid?: string; header?: Record<string, unknown> };
  /** The Content-Type sent. Default `application/token-introspection+jwt`. */
  contentType?: string;
  /** Changes the compact serialization before it is sent (tampering). */
  alter?: (jwt: string) => string;
}

/** How the server expects the resource server to authenticate. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** What one accepted introspection request carried. */
export interface SeenRequest {
  readonly headers: IncomingMessage['headers'];
  readonly form: URLSearchParams;
}

/** A started authorization server. */
export interface TestAuthorizationServer {
  /** `http://127.0.0.1:<port>`: also its issuer identifier. */
  readonly url: string;
  /** `<url>/introspect`. */
  readonly endpoint: string;
  /** The client the server knows. Special characters on purpose: `:` `%` `+` space, non-ASCII. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The method it accepts; any other (or both at once) is answered 401 invalid_client. */
  authMethod: ClientAuthMethod;
  /** The metadata it serves at /.well-known/oauth-authorization-server (OIDC's path is 404). */
  metadata: Record<string, unknown>;
  /**
   * When set, every introspection request (counted as usual) is answered with this status and
   * `{ error: 'server_error' }`, whatever answer its token has: an endpoint that is failing.
   */
  failWith: number | undefined;
  /** Sets the answer for `token` (a response object is sent as JSON). Default `{ active: false }`. */
  answer(token: string, answer: Record<string, unknown> | Answer): void;
  /** `<url>/jwks`: where the public half of its signing key is published. */
  readonly jwksUri: string;
  /** What `/jwks` serves (its public signing key, `kid` `as-sig-1`); `undefined`: 404. */
  jwks: { keys: JWK[] } | undefined;
  /**
   * An RFC 9701 answer: `response` as the `token_introspection` member of a JWT signed with the
   * server's key at request time (so `iat` is the time of the request), changed by `options`.
   */
  jwt(response: unknown, options?: JWTAnswerOptions): Answer;
  /** Introspection requests that reached the token check, for `token` or in all. */
  requests(token?: string): number;
  /** Requests per path (metadata, redirect targets). */
  hits(path: string): number;
  /** The last introspection request that passed client authentication. */
  readonly last: SeenRequest | undefined;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Sends `body` as JSON with `status`. */
export const json =
  (body: unknown, status = 200): Answer =>
  (_request, response) =>
    send(response, status, body);

/** Sends `text` verbatim as application/json. */
export const raw =
  (text: string): Answer =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(text);
  };

/** Never answers. */
export const stall: Answer = () => {};

/** A form-urlencoded value decoded (RFC 6749 Appendix B): `+` is a space. */
const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, ' '));

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The client id and secret of a Basic header, or undefined when there is none or it is garbled. */
function basicCredentials(header: string | undefined): [string, string] | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded, so a `:` in the id cannot split it.
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}

/** Starts the server. */
export async function startAuthorizationServer(
  authMethod: ClientAuthMethod = 'client_secret_basic',
): Promise<TestAuthorizationServer> {
  const answers = new Map<string, Record<string, unknown> | Answer>();
  const perToken = new Map<string, number>();
  const perPath = new Map<string, number>();
  let total = 0;
  let url = '';
  const { privateKey: signingKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'as-sig-1';

  const as: TestAuthorizationServer = {
    get url() {
      return url;
    },
    get endpoint() {
      return `${url}/introspect`;
    },
    clientId: 'resource server:1',
    clientSecret: 'p@ss:w%rd+é',
    authMethod,
    metadata: {},
    failWith: undefined,
    answer: (token, answer) => void answers.set(token, answer),
    get jwksUri() {
      return `${url}/jwks`;
    },
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] },
    jwt:
      (response, options = {}) =>
      async (_request, reply) => {
        const claims = {
          iss: url,
          aud: as.clientId,
          iat: Math.floor(Date.now() / 1000),
          token_introspection: response,
          ...options.claims,
        };
        const header = { alg: 'ES256', typ: 'token-introspection+jwt', kid, ...options.header };
        let text = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
          .setProtectedHeader(header)
          .sign(options.signWith ?? signingKey);
        const { encryptTo } = options;
        if (encryptTo !== undefined) {
          text = await new CompactEncrypt(new TextEncoder().encode(text))
            .setProtectedHeader({
              alg: 'RSA-OAEP-256',
              enc: 'A256GCM',
              cty: 'JWT',
              ...(encryptTo.kid !== undefined && { kid: encryptTo.kid }),
              ...encryptTo.header,
            })
            .encrypt(encryptTo.key);
        }
        text = options.alter?.(text) ?? text;
        reply.writeHead(200, { 'content-type': options.contentType ?? JWT_MEDIA_TYPE });
        reply.end(text);
      },
    requests: (token) => (token === undefined ? total : (perToken.get(token) ?? 0)),
    hits: (path) => perPath.get(path) ?? 0,
    last: undefined,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  const refuse = (response: ServerResponse, status: number, error: string) =>
    send(response, status, { error });

  const introspect = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') return refuse(response, 405, 'method_not_allowed');
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return refuse(response, 400, 'invalid_request');
    }
    const accept = request.headers.accept;
    if (accept !== 'application/json' && accept !== JWT_MEDIA_TYPE) {
      return refuse(response, 406, 'not_acceptable');
    }
    const form = new URLSearchParams(await readBody(request));
    const basic = basicCredentials(request.headers.authorization);
    const posted = form.has('client_secret') || form.has('client_id');
    // Exactly the configured method, and never two at once (RFC 6749 §2.3).
    const [id, secret] =
      as.authMethod === 'client_secret_basic'
        ? posted
          ? []
          : (basic ?? [])
        : request.headers.authorization !== undefined
          ? []
          : [form.get('client_id'), form.get('client_secret')];
    if (id !== as.clientId || secret !== as.clientSecret) {
      return refuse(response, 401, 'invalid_client');
    }
    const token = form.get('token');
    if (token === null || form.get('token_type_hint') !== 'access_token') {
      return refuse(response, 400, 'invalid_request');
    }
    (as as { last: SeenRequest }).last = { headers: request.headers, form };
    total += 1;
    perToken.set(token, (perToken.get(token) ?? 0) + 1);
    if (as.failWith !== undefined) return refuse(response, as.failWith, 'server_error');
    const answer = answers.get(token) ?? { active: false };
    await (typeof answer === 'function' ? answer : json(answer))(request, response);
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    perPath.set(path, (perPath.get(path) ?? 0) + 1);
    if (path === '/introspect') {
      introspect(request, response).catch(() => response.destroy());
      return;
    }
    if (path === '/.well-known/oauth-authorization-server') {
      send(response, 200, as.metadata);
      return;
    }
    if (path === '/jwks' && as.jwks !== undefined) {
      send(response, 200, as.jwks);
      return;
    }
    if (path === '/elsewhere') {
      // Where a redirect points: it would say "active" to anyone who followed.
      send(response, 200, { active: true });
      return;
    }
    refuse(response, 404, 'not_found');
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  as.metadata = {
    issuer: url,
    introspection_endpoint: `${url}/introspect`,
    jwks_uri: `${url}/jwks`,
  };
  return as;
}
