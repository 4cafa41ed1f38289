/**
 * Certificate-bound access tokens (RFC 8705 §3) over real connections on loopback: a node:https
 * API reading the TLS client certificate itself; a node:http API behind a TLS-terminating proxy
 * that forwards the certificate in RFC 9440 `Client-Cert`; and forged headers sent straight to
 * an API that does not trust the sender.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { makeCertificate, type TestCertificate } from '../helpers/certificates';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createVerifier, TokenwardError, type MtlsOptions } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

let dir: string;
let client: TestCertificate;
let other: TestCertificate;
let server: TestCertificate;
let issuer: TestIssuer;
/** Every server a test started, closed after it. */
const servers: Array<http.Server | https.Server> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokenward-mtls-server-'));
  client = makeCertificate(dir, 'client');
  other = makeCertificate(dir, 'other-client');
  server = makeCertificate(dir, 'localhost');
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
});

/** Answers 200 with the token's thumbprint, or the error's status and code. */
function apiHandler(mtls: MtlsOptions) {
  const verifier = createVerifier(issuer.verifierOptions({ mtls, metrics: false }));
  return (req: IncomingMessage, res: ServerResponse) => {
    verifier.verifyRequest(req).then(
      (token) => res.writeHead(200).end(token.binding.x5t),
      (error: unknown) =>
        res
          .writeHead(error instanceof TokenwardError ? error.status : 500)
          .end(error instanceof TokenwardError ? error.code : String(error)),
    );
  };
}

async function listen<T extends http.Server | https.Server>(s: T): Promise<number> {
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

/** A node:https API that asks every client for a certificate but lets it decline. */
function httpsApi(mtls: MtlsOptions): Promise<number> {
  return listen(
    https.createServer(
      { key: server.key, cert: server.pem, requestCert: true, rejectUnauthorized: false },
      apiHandler(mtls),
    ),
  );
}

/** A plain node:http API: TLS ends before it. */
function httpApi(mtls: MtlsOptions): Promise<number> {
  return listen(http.createServer(apiHandler(mtls)));
}

/**
 * A TLS-terminating proxy to the API on `apiPort`: it drops whatever Client-Cert the client sent
 * and sets its own from the TLS peer certificate, as RFC 9440 §2 says a proxy must.
 */
function tlsProxy(apiPort: number): Promise<number> {
  return listen(
    https.createServer(
      { key: server.key, cert: server.pem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const headers = { ...req.headers };
        delete headers['client-cert'];
        const peer = (req.socket as TLSSocket).getPeerCertificate(false);
        if (peer.raw !== undefined) headers['client-cert'] = `:${peer.raw.toString('base64')}:`;
        const upstream = http.request(
          { host: '127.0.0.1', port: apiPort, method: req.method, path: req.url, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.writeHead(502).end());
        req.pipe(upstream);
      },
    ),
  );
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on a fresh connection (no agent: no reused socket or TLS session). */
function call(
  protocol: 'http' | 'https',
  port: number,
  token: string,
  options: {
    certificate?: TestCertificate;
    headers?: Readonly<Record<string, string | string[]>>;
  } = {},
): Promise<Answer> {
  const { certificate, headers = {} } = options;
  return new Promise((resolve, reject) => {
    const request = (protocol === 'https' ? https : http).request(
      {
        host: '127.0.0.1',
        port,
        path: '/messages',
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(protocol === 'https' && { rejectUnauthorized: false }),
        ...(certificate !== undefined && { key: certificate.key, cert: certificate.pem }),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const boundTo = (certificate: TestCertificate) =>
  issuer.issueSigned({ scope: 'read', cnf: { 'x5t#S256': certificate.x5t } });
const refused = (code: string): Answer => ({ status: 401, body: code });

describe('mTLS terminated by the API (node:https)', () => {
  it('accepts the bound certificate, refuses another one and none', async () => {
    const port = await httpsApi({});
    const token = await boundTo(client);
    expect(await call('https', port, token, { certificate: client })).toEqual({
      status: 200,
      body: client.x5t,
    });
    expect(await call('https', port, token, { certificate: other })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISMATCH'),
    );
    expect(await call('https', port, token)).toEqual(refused('ERR_MTLS_CERTIFICATE_MISSING'));
  });

  it('refuses the token without the mtls option, whatever certificate the client presents', async () => {
    const port = await listen(
      https.createServer(
        { key: server.key, cert: server.pem, requestCert: true, rejectUnauthorized: false },
        (req, res) => {
          createVerifier(issuer.verifierOptions({ metrics: false }))
            .verifyRequest(req)
            .then(
              () => res.writeHead(200).end(),
              (error: TokenwardError) => res.writeHead(error.status).end(error.code),
            );
        },
      ),
    );
    const token = await boundTo(client);
    expect(await call('https', port, token, { certificate: client })).toEqual(
      refused('ERR_TOKEN_BOUND'),
    );
  });

  it('does not let a header stand in for the connection certificate', async () => {
    const port = await httpsApi({});
    const token = await boundTo(client);
    const forged = { 'client-cert': `:${client.der.toString('base64')}:` };
    expect(await call('https', port, token, { certificate: other, headers: forged })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISMATCH'),
    );
    expect(await call('https', port, token, { headers: forged })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISSING'),
    );
  });

  it("from a trusted proxy, reads only the header, never the proxy's own certificate", async () => {
    const port = await httpsApi({ trustedProxies: ['127.0.0.1'], forwardedHeader: 'client-cert' });
    const token = await boundTo(client);
    expect(await call('https', port, token, { certificate: client })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISSING'),
    );
  });
});

describe('mTLS terminated by a proxy (RFC 9440 Client-Cert)', () => {
  const behindLoopbackProxy = {
    trustedProxies: ['127.0.0.1'],
    forwardedHeader: 'client-cert',
  } as const;

  it("accepts the client's bound certificate forwarded by the trusted proxy", async () => {
    const proxy = await tlsProxy(await httpApi(behindLoopbackProxy));
    const token = await boundTo(client);
    expect(await call('https', proxy, token, { certificate: client })).toEqual({
      status: 200,
      body: client.x5t,
    });
  });

  it('refuses another certificate and none, whatever header the client adds', async () => {
    const proxy = await tlsProxy(await httpApi(behindLoopbackProxy));
    const token = await boundTo(client);
    const forged = { 'client-cert': `:${client.der.toString('base64')}:` };
    expect(await call('https', proxy, token, { certificate: other, headers: forged })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISMATCH'),
    );
    expect(await call('https', proxy, token, { headers: forged })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISSING'),
    );
  });

  it('refuses a request carrying two Client-Cert lines, even from the trusted address', async () => {
    const api = await httpApi(behindLoopbackProxy);
    const token = await boundTo(client);
    const line = `:${client.der.toString('base64')}:`;
    expect(await call('http', api, token, { headers: { 'client-cert': line } })).toEqual({
      status: 200,
      body: client.x5t,
    });
    expect(await call('http', api, token, { headers: { 'client-cert': [line, line] } })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISSING'),
    );
  });

  it('ignores a forged Client-Cert sent straight to the API from an untrusted address', async () => {
    const api = await httpApi({ trustedProxies: ['10.0.0.1'], forwardedHeader: 'client-cert' });
    const token = await boundTo(client);
    const forged = { 'client-cert': `:${client.der.toString('base64')}:` };
    expect(await call('http', api, token, { headers: forged })).toEqual(
      refused('ERR_MTLS_CERTIFICATE_MISSING'),
    );
  });
});
