/**
 * A misbehaving identity provider for the remote key tests: a real node:http server on
 * 127.0.0.1, port 0, whose answer on each path is swapped by the test (valid JSON, an error
 * status, a stall, garbage, a huge body, a redirect, a reset connection), and which counts every
 * request per path so tests can assert how many fetches the verifier made.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** Answers one request. */
export type Behaviour = (request: IncomingMessage, response: ServerResponse) => void;

/** A started fake identity provider. */
export interface FakeIdP {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Sets what `path` answers from now on. */
  on(path: string, behaviour: Behaviour): void;
  /** Requests seen on `path`. */
  hits(path: string): number;
  /** Requests seen on every path. */
  total(): number;
  /** Stops the server, dropping stalled connections. */
  close(): Promise<void>;
}

/** Answers `body` as JSON. */
export const json =
  (body: unknown, status = 200): Behaviour =>
  (_request, response) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };

/** Answers `text` verbatim. */
export const raw =
  (text: string | Buffer, headers: Record<string, string> = {}): Behaviour =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };

/** Never answers (the connection stays open until the server closes). */
export const stall: Behaviour = () => {};

/** Resets the connection without answering. */
export const reset: Behaviour = (request) => {
  request.socket.destroy();
};

/** Redirects to `location`. */
export const redirect =
  (location: string, status = 302): Behaviour =>
  (_request, response) => {
    response.writeHead(status, { location });
    response.end();
  };

/**
 * Streams `bytes` bytes of a JSON-looking body, with or without a `content-length`; stops writing
 * once the client goes away. `sent()` tells how many bytes were actually written.
 */
export function huge(bytes: number, declareLength: boolean): Behaviour & { sent(): number } {
  let sent = 0;
  const behaviour: Behaviour = (_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(declareLength && { 'content-length': String(bytes) }),
    });
    response.on('error', () => {});
    const chunk = Buffer.alloc(64 * 1024, 0x20); // spaces: valid JSON whitespace
    const pump = () => {
      while (sent < bytes && !response.destroyed) {
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (!response.write(chunk.subarray(0, size))) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    pump();
  };
  return Object.assign(behaviour, { sent: () => sent });
}

/** Starts a fake identity provider; unknown paths answer 404. */
export async function startIdP(): Promise<FakeIdP> {
  const routes = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    (routes.get(path) ?? json({ error: 'not_found' }, 404))(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    on: (path, behaviour) => routes.set(path, behaviour),
    hits: (path) => counts.get(path) ?? 0,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A signing key pair with its public JWK. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly publicJwk: JWK;
}

/** Generates a signing key (ES256 by default: fast) with `kid`. */
export async function signingKey(kid: string, alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** A JWK Set of the public halves of `keys`. */
export const jwks = (...keys: SigningKey[]) => ({ keys: keys.map((k) => k.publicJwk) });

/** The frozen clock of these tests (2025-01-15T12:00:00Z). */
export const NOW = new Date('2025-01-15T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
/** The audience of every test token. */
export const AUDIENCE = 'https://api.example.com';

/** Mints an RFC 9068 access token of `issuer`, valid at {@link NOW}, signed with `key`. */
export function mint(
  key: SigningKey,
  issuer: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ sub: 'user-1', client_id: 'client-1', scope: 'read', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .setIssuer(issuer)
    .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
    .setIssuedAt(NOW_S - 60)
    .setExpirationTime(NOW_S + 3600)
    .sign(key.privateKey);
}

/**
 * A controllable wall clock for cache ages: replaces `Date.now` (only) while a test runs. Token
 * claims are checked against `currentDate: NOW`, independently.
 */
export function useClock(): { advance(seconds: number): void; now(): number } {
  let now = NOW.getTime();
  beforeEach(() => {
    now = NOW.getTime();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());
  return {
    advance: (seconds) => {
      now += seconds * 1000;
    },
    now: () => now,
  };
}
