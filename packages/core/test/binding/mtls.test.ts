/**
 * Certificate-bound access tokens (RFC 8705 §3) without a network: the `mtls` option's
 * validation, which peers a forwarded certificate header is believed from (IPv4-mapped addresses
 * included), each header format (RFC 9440 Client-Cert, Envoy XFCC, nginx escaped PEM, AWS ALB),
 * hostile values, and the binding stage's outcomes. Certificates are real, made by openssl.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeCertificate, type TestCertificate } from '../helpers/certificates';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  clientCertificateThumbprint,
  createVerifier,
  TokenwardError,
  type MtlsOptions,
  type RequestLike,
} from '@tokenward/core';
import { createDPoPKey, createDPoPProof, createTestIssuer } from '@tokenward/testing';

let dir: string;
let certA: TestCertificate;
let certB: TestCertificate;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenward-mtls-'));
  certA = makeCertificate(dir, 'client-a');
  certB = makeCertificate(dir, 'client-b');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PROXY = '10.0.0.7';
const PUBLIC_JWK = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  format: 'jwk',
});

/**
 * A request as Node delivers it: header lines in `rawHeaders`, repeated lines joined with ", "
 * in `headers`, and the connection's peer address on `socket` (`null`: a socket without one).
 */
function request(
  lines: ReadonlyArray<readonly [string, string]>,
  peer: string | null = PROXY,
  extra: Partial<RequestLike> = {},
): RequestLike {
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return {
    method: 'GET',
    url: '/messages',
    headers,
    rawHeaders: lines.flat(),
    socket: peer === null ? {} : { remoteAddress: peer },
    ...extra,
  };
}

const clientCert = (cert: TestCertificate) => `:${cert.der.toString('base64')}:`;
const hex = (cert: TestCertificate) => Buffer.from(cert.x5t, 'base64url').toString('hex');
/** The ALB's encoding: URL-encoded, with `+`, `=` and `/` left as they are. */
const albEncoded = (pem: string) =>
  encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');

const behind = (
  forwardedHeader: NonNullable<MtlsOptions['forwardedHeader']>,
  extra: MtlsOptions = {},
): MtlsOptions => ({ trustedProxies: [PROXY], forwardedHeader, ...extra });

describe('mtls option validation', () => {
  const invalid = (mtls: unknown) => () =>
    createVerifier({
      issuer: 'https://issuer.example',
      audience: 'https://api.example',
      keys: PUBLIC_JWK,
      mtls: mtls as MtlsOptions,
    });

  it('refuses what is not an options object, and unknown members', () => {
    expect(invalid(true)).toThrow(new TypeError('mtls: expected an options object'));
    expect(invalid(null)).toThrow(new TypeError('mtls: expected an options object'));
    expect(invalid([])).toThrow(new TypeError('mtls: expected an options object'));
    expect(invalid({ trustedProxy: ['10.0.0.1'] })).toThrow(
      new TypeError('mtls.trustedProxy: unknown option'),
    );
  });

  it.each([
    ['a lone string', '10.0.0.1', /^mtls\.trustedProxies: expected an array/],
    ['a host name', ['localhost'], /^mtls\.trustedProxies: "localhost" is not an IP address/],
    ['whitespace', [' 10.0.0.1'], /is not an IP address or CIDR range/],
    ['a zone index', ['fe80::1%eth0'], /is not an IP address or CIDR range/],
    ['a number', [167772161], /^mtls\.trustedProxies: 167772161 is not a string/],
    ['an IPv4 prefix over 32', ['10.0.0.0/33'], /prefix length outside 0 to 32/],
    ['an IPv6 prefix over 128', ['fd00::/129'], /prefix length outside 0 to 128/],
    ['a non-numeric prefix', ['10.0.0.0/x'], /prefix length outside 0 to 32/],
    ['every IPv4 address', ['0.0.0.0/0'], /"0.0.0.0\/0" trusts every address/],
    ['every IPv6 address', ['::/0'], /"::\/0" trusts every address/],
  ])('refuses trustedProxies with %s', (_, trustedProxies, message) => {
    expect(invalid({ trustedProxies, forwardedHeader: 'client-cert' })).toThrow(message);
  });

  it('needs forwardedHeader with trusted proxies, and trusted proxies with forwardedHeader', () => {
    expect(invalid({ trustedProxies: ['10.0.0.1'] })).toThrow(
      /^mtls\.forwardedHeader: required with mtls\.trustedProxies/,
    );
    expect(invalid({ forwardedHeader: 'client-cert' })).toThrow(
      /^mtls\.forwardedHeader: needs mtls\.trustedProxies/,
    );
    expect(invalid({ trustedProxies: [], forwardedHeader: 'client-cert' })).toThrow(
      /^mtls\.forwardedHeader: needs mtls\.trustedProxies/,
    );
    expect(invalid({ trustedProxies: ['10.0.0.1'], forwardedHeader: 'x-client-cert' })).toThrow(
      /^mtls\.forwardedHeader: expected one of 'client-cert', 'x-forwarded-client-cert'/,
    );
  });

  it('refuses a headerName that is no header name, or that comes without a format', () => {
    for (const headerName of ['', 'x ssl cert', 'x-cert:', 42]) {
      expect(invalid(behind('ssl-client-cert', { headerName } as MtlsOptions))).toThrow(
        new TypeError('mtls.headerName: expected an HTTP header name'),
      );
    }
    expect(invalid({ headerName: 'x-ssl-client-cert' })).toThrow(
      /^mtls\.headerName: needs mtls\.forwardedHeader/,
    );
  });

  it('accepts addresses and ranges of both families, and an empty option', () => {
    for (const mtls of [
      {},
      { trustedProxies: [] },
      {
        trustedProxies: ['10.0.0.1', '10.1.0.0/16', '::1', 'fd00::/64', '::ffff:192.0.2.1'],
        forwardedHeader: 'x-forwarded-client-cert',
      },
    ]) {
      expect(invalid(mtls)).not.toThrow();
    }
  });

  it('validates options handed to clientCertificateThumbprint', () => {
    expect(() => clientCertificateThumbprint(request([]), { trustedProxies: ['nope'] })).toThrow(
      TypeError,
    );
  });
});

describe('which peers a forwarded header is believed from', () => {
  const withHeader = (address: string | null) =>
    request([['Client-Cert', clientCert(certA)]], address);

  it('a listed address, also written as IPv4-mapped IPv6', () => {
    const options = { trustedProxies: ['127.0.0.1'], forwardedHeader: 'client-cert' } as const;
    expect(clientCertificateThumbprint(withHeader('127.0.0.1'), options)).toBe(certA.x5t);
    expect(clientCertificateThumbprint(withHeader('::ffff:127.0.0.1'), options)).toBe(certA.x5t);
    expect(clientCertificateThumbprint(withHeader('::FFFF:127.0.0.1'), options)).toBe(certA.x5t);
    expect(clientCertificateThumbprint(withHeader('127.0.0.2'), options)).toBeUndefined();
    expect(clientCertificateThumbprint(withHeader('::1'), options)).toBeUndefined();
    expect(clientCertificateThumbprint(withHeader('::ffff:127.0.0.2'), options)).toBeUndefined();
  });

  it('an address inside a listed IPv4 or IPv6 range, and nothing outside', () => {
    const options = {
      trustedProxies: ['10.0.0.0/8', 'fd00::/64'],
      forwardedHeader: 'client-cert',
    } as const;
    for (const inside of ['10.1.2.3', '::ffff:10.1.2.3', 'fd00::7', 'fd00::ffff:1']) {
      expect(clientCertificateThumbprint(withHeader(inside), options)).toBe(certA.x5t);
    }
    for (const outside of ['11.0.0.1', '::ffff:11.0.0.1', 'fd00:0:0:1::7', '::1', 'not-an-ip']) {
      expect(clientCertificateThumbprint(withHeader(outside), options)).toBeUndefined();
    }
  });

  it('never from an unknown peer: no socket, or no address on it', () => {
    const options = behind('client-cert');
    expect(clientCertificateThumbprint(withHeader(null), options)).toBeUndefined();
    const { socket: _socket, ...withoutSocket } = withHeader(PROXY);
    expect(clientCertificateThumbprint(withoutSocket, options)).toBeUndefined();
    // The framework's client address is not the peer's: it may come from X-Forwarded-For.
    expect(clientCertificateThumbprint({ ...withoutSocket, ip: PROXY }, options)).toBeUndefined();
  });

  it("reads Fastify's raw.socket when the request has no socket of its own", () => {
    const { socket: _socket, ...fastify } = withHeader(PROXY);
    const raw = { rawHeaders: fastify.rawHeaders, socket: { remoteAddress: PROXY } };
    expect(clientCertificateThumbprint({ ...fastify, raw }, behind('client-cert'))).toBe(certA.x5t);
  });

  it('ignores every certificate header without trusted proxies', () => {
    const headers = [
      ['Client-Cert', clientCert(certA)],
      ['X-Forwarded-Client-Cert', `Hash=${hex(certA)}`],
      ['Ssl-Client-Cert', encodeURIComponent(certA.pem)],
      ['X-Amzn-Mtls-Clientcert', albEncoded(certA.pem)],
    ] as const;
    expect(clientCertificateThumbprint(request(headers, '127.0.0.1'))).toBeUndefined();
    expect(clientCertificateThumbprint(request(headers, '127.0.0.1'), {})).toBeUndefined();
  });
});

describe('RFC 9440 Client-Cert', () => {
  const read = (...values: string[]) =>
    clientCertificateThumbprint(
      request(values.map((v) => ['Client-Cert', v] as const)),
      behind('client-cert'),
    );

  it('reads the DER of a byte sequence, padded or not, whatever the name case', () => {
    expect(read(clientCert(certA))).toBe(certA.x5t);
    expect(read(clientCert(certB))).toBe(certB.x5t);
    expect(read(`:${certA.der.toString('base64').replace(/=+$/, '')}:`)).toBe(certA.x5t);
    const lower = request([['client-cert', clientCert(certA)]]);
    expect(clientCertificateThumbprint(lower, behind('client-cert'))).toBe(certA.x5t);
  });

  it('refuses two header lines, and the value Node joins them into', () => {
    expect(read(clientCert(certA), clientCert(certA))).toBeUndefined();
    const joined = request([]);
    const headers = { 'client-cert': [clientCert(certA), clientCert(certB)] };
    expect(clientCertificateThumbprint({ ...joined, headers }, behind('client-cert'))).toBe(
      undefined,
    );
    const { rawHeaders: _raw, ...noRaw } = request([
      ['Client-Cert', clientCert(certA)],
      ['Client-Cert', clientCert(certA)],
    ]);
    expect(clientCertificateThumbprint(noRaw, behind('client-cert'))).toBeUndefined();
  });

  it.each([
    ['no colons', () => certA.der.toString('base64')],
    ['one colon', () => `:${certA.der.toString('base64')}`],
    ['an empty byte sequence', () => '::'],
    ['characters outside base64', () => ':MII!B:'],
    ['base64url', () => `:${certA.der.toString('base64url')}:`],
    ['a parameter', () => `${clientCert(certA)};v=1`],
    ['the PEM text', () => `:${Buffer.from(certA.pem).toString('base64')}:`],
    [
      'trailing bytes',
      () => `:${Buffer.concat([certA.der, Buffer.from([0])]).toString('base64')}:`,
    ],
    ['a truncated DER', () => `:${certA.der.subarray(0, 200).toString('base64')}:`],
    [
      'a DER that is not a certificate',
      () => `:${Buffer.from([0x30, 0x03, 2, 1, 1]).toString('base64')}:`,
    ],
  ])('refuses %s', (_, valueOf) => {
    const value = valueOf();
    expect(read(value)).toBeUndefined();
  });

  it(`refuses a value over 16 KiB, even one that holds a certificate`, () => {
    // Header whitespace around a valid value: parsed, it would be certificate A.
    const padding = ' '.repeat(16 * 1024);
    expect(read(`${padding}${clientCert(certA)}`)).toBeUndefined();
    expect(read(`${' '.repeat(64)}${clientCert(certA)}`)).toBe(certA.x5t);
  });

  it('does not read another format from the same proxy', () => {
    const forwarded = request([['X-Forwarded-Client-Cert', `Hash=${hex(certA)}`]]);
    expect(clientCertificateThumbprint(forwarded, behind('client-cert'))).toBeUndefined();
  });
});

describe("Envoy's x-forwarded-client-cert", () => {
  const read = (value: string) =>
    clientCertificateThumbprint(
      request([['x-forwarded-client-cert', value]]),
      behind('x-forwarded-client-cert'),
    );
  const cert = (c: TestCertificate) => `Cert="${encodeURIComponent(c.pem)}"`;

  it('reads Cert, with the other fields Envoy sets', () => {
    const value = [
      'By=spiffe://cluster.local/ns/default/sa/api',
      `Hash=${hex(certA)}`,
      cert(certA),
      'Subject="CN=client-a,O=Example\\, Inc.,L=\\"Here\\""',
      'URI=spiffe://cluster.local/ns/default/sa/client',
      'DNS=a.example',
      'DNS=b.example',
    ].join(';');
    expect(read(value)).toBe(certA.x5t);
    expect(read(`cert="${encodeURIComponent(certB.pem)}"`)).toBe(certB.x5t);
    expect(read(`Cert=${encodeURIComponent(certA.pem)}`)).toBe(certA.x5t);
  });

  it('reads the last element: the one the proxy in front of us appended', () => {
    expect(read(`${cert(certB)},By=spiffe://edge;${cert(certA)}`)).toBe(certA.x5t);
    expect(read(`${cert(certA)};Subject="a, b",By=spiffe://edge;${cert(certB)}`)).toBe(certB.x5t);
    // The last element has no certificate: an earlier one is never used instead.
    expect(read(`${cert(certA)},By=spiffe://edge`)).toBeUndefined();
  });

  it('reads Hash when there is no Cert, and refuses the two disagreeing', () => {
    expect(read(`By=spiffe://edge;Hash=${hex(certA)}`)).toBe(certA.x5t);
    expect(read(`Hash=${hex(certA).toUpperCase()}`)).toBe(certA.x5t);
    expect(read(`Hash=${hex(certB)};${cert(certA)}`)).toBeUndefined();
  });

  it.each([
    ['two Cert fields', () => `${cert(certA)};${cert(certA)}`],
    ['two Hash fields', () => `Hash=${hex(certA)};Hash=${hex(certA)}`],
    ['a short Hash', () => `Hash=${hex(certA).slice(2)}`],
    ['a non-hex Hash', () => `Hash=${'z'.repeat(64)}`],
    ['an open quote', () => `${cert(certA)};Subject="CN=a`],
    ['a stray quote', () => `Cert=a"b;Hash=${hex(certA)}`],
    ['two quoted strings run together', () => `Subject="a""b";${cert(certA)}`],
    ['a field without =', () => `${cert(certA)};Hash`],
    ['a Cert that is not URL-encoded PEM', () => 'Cert="MIIB"'],
    ['a Cert holding a chain', () => `Cert="${encodeURIComponent(certA.pem + certB.pem)}"`],
    ['a bad percent escape', () => `Cert="${encodeURIComponent(certA.pem).replace('%0A', '%ZZ')}"`],
    ['an empty value', () => ''],
    ['a trailing comma', () => `${cert(certA)},`],
  ])('refuses %s', (_, valueOf) => {
    const value = valueOf();
    expect(read(value)).toBeUndefined();
  });

  it('refuses two header lines, though Node joins them into one valid list', () => {
    const twice = request([
      ['x-forwarded-client-cert', cert(certB)],
      ['X-Forwarded-Client-Cert', cert(certA)],
    ]);
    expect(twice.headers['x-forwarded-client-cert']).toBe(`${cert(certB)}, ${cert(certA)}`);
    expect(clientCertificateThumbprint(twice, behind('x-forwarded-client-cert'))).toBeUndefined();
    expect(read(`${cert(certB)}, ${cert(certA)}`)).toBe(certA.x5t);
  });

  it('refuses a value over 16 KiB, even one whose last element holds a certificate', () => {
    const earlier = 'By=spiffe://hop;Hash=' + '0'.repeat(64) + ',';
    const long = earlier.repeat(Math.ceil((16 * 1024) / earlier.length)) + cert(certA);
    expect(long.length).toBeGreaterThan(16 * 1024);
    expect(read(long)).toBeUndefined();
    expect(read(earlier.repeat(10) + cert(certA))).toBe(certA.x5t);
  });
});

describe("nginx's $ssl_client_escaped_cert and the ALB's X-Amzn-Mtls-Clientcert", () => {
  it('reads a URL-encoded PEM under the format name or the configured headerName', () => {
    const nginx = encodeURIComponent(certA.pem);
    expect(
      clientCertificateThumbprint(request([['Ssl-Client-Cert', nginx]]), behind('ssl-client-cert')),
    ).toBe(certA.x5t);
    const renamed = behind('ssl-client-cert', { headerName: 'X-SSL-Client-Cert' });
    expect(clientCertificateThumbprint(request([['x-ssl-client-cert', nginx]]), renamed)).toBe(
      certA.x5t,
    );
    // Renamed: the format's own name is no longer read.
    expect(
      clientCertificateThumbprint(request([['ssl-client-cert', nginx]]), renamed),
    ).toBeUndefined();
  });

  it("reads the ALB's encoding, where + = / stay unencoded", () => {
    const alb = albEncoded(certA.pem);
    expect(alb).toMatch(/[+=/]/);
    const options = behind('x-amzn-mtls-clientcert');
    expect(clientCertificateThumbprint(request([['X-Amzn-Mtls-Clientcert', alb]]), options)).toBe(
      certA.x5t,
    );
    expect(
      clientCertificateThumbprint(
        request([['X-Amzn-Mtls-Clientcert', encodeURIComponent(certB.pem)]]),
        options,
      ),
    ).toBe(certB.x5t);
  });

  it.each([
    ['text around the PEM', () => encodeURIComponent(`subject=client-a\n${certA.pem}`)],
    ['a private key', () => encodeURIComponent(certA.pem.replace(/CERTIFICATE/g, 'PRIVATE KEY'))],
    ['a broken base64 body', () => encodeURIComponent(certA.pem.replace(/\n[A-Za-z]/, '\n*'))],
    ['a bad percent escape', () => '%E0%A4%A'],
    ['the DER in base64', () => certA.der.toString('base64')],
  ])('refuses %s', (_, valueOf) => {
    const value = valueOf();
    for (const format of ['ssl-client-cert', 'x-amzn-mtls-clientcert'] as const) {
      expect(
        clientCertificateThumbprint(request([[format, value]]), behind(format)),
      ).toBeUndefined();
    }
  });

  it("reads the client's certificate, the first, from the ALB's passthrough chain", () => {
    const options = behind('x-amzn-mtls-clientcert');
    const read = (value: string) =>
      clientCertificateThumbprint(request([['X-Amzn-Mtls-Clientcert', value]]), options);
    expect(read(albEncoded(certA.pem + certB.pem))).toBe(certA.x5t);
    expect(read(albEncoded(`${certB.pem}\n${certA.pem}`))).toBe(certB.x5t);
    // Every block must be a PEM block, with nothing but whitespace between them.
    expect(read(albEncoded(`${certA.pem}issuer=ca\n${certB.pem}`))).toBeUndefined();
    const broken = certB.pem.replace(/\n[A-Za-z0-9]{4}/, '\n====');
    expect(read(albEncoded(certA.pem + broken))).toBeUndefined();
  });

  it("reads the ALB's verify-mode leaf header when named", () => {
    const leaf = behind('x-amzn-mtls-clientcert', { headerName: 'X-Amzn-Mtls-Clientcert-Leaf' });
    const sent = request([
      ['X-Amzn-Mtls-Clientcert-Serial-Number', '01'],
      ['X-Amzn-Mtls-Clientcert-Leaf', albEncoded(certA.pem)],
    ]);
    expect(clientCertificateThumbprint(sent, leaf)).toBe(certA.x5t);
  });

  it('refuses a chain from nginx, which sends the leaf alone', () => {
    const chain = encodeURIComponent(certA.pem + certB.pem);
    expect(
      clientCertificateThumbprint(request([['ssl-client-cert', chain]]), behind('ssl-client-cert')),
    ).toBeUndefined();
  });

  it('refuses two header lines', () => {
    const value = encodeURIComponent(certA.pem);
    const twice = request([
      ['x-amzn-mtls-clientcert', value],
      ['X-Amzn-Mtls-Clientcert', value],
    ]);
    expect(clientCertificateThumbprint(twice, behind('x-amzn-mtls-clientcert'))).toBeUndefined();
  });
});

describe('hostile values', () => {
  const formats = [
    'client-cert',
    'x-forwarded-client-cert',
    'ssl-client-cert',
    'x-amzn-mtls-clientcert',
  ] as const;

  it('never throw', () => {
    const fragments = fc.constantFrom(
      ':',
      ',',
      ';',
      '=',
      '"',
      '\\',
      '%',
      '%0A',
      'Cert=',
      'Hash=',
      '-----BEGIN CERTIFICATE-----',
      '-----END CERTIFICATE-----',
      'MII',
      '\u0000',
      '\uD800',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .array(fc.oneof(fragments, fc.string({ maxLength: 8 })), { maxLength: 40 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(fc.constantFrom(...formats), value, (format, v) => {
        const result = clientCertificateThumbprint(request([[format, v]]), behind(format));
        return result === undefined || /^[A-Za-z0-9_-]{43}$/.test(result);
      }),
      { seed: 8705, numRuns: 2000 },
    );
  });

  it('survive a request whose members throw', () => {
    const hostile = request([['client-cert', clientCert(certA)]]);
    Object.defineProperty(hostile, 'socket', {
      get() {
        throw new Error('no socket for you');
      },
    });
    expect(clientCertificateThumbprint(hostile, behind('client-cert'))).toBeUndefined();
  });
});

describe('the binding stage', () => {
  async function setup(mtls: MtlsOptions | null = behind('client-cert'), dpop = false) {
    const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    const verifier = createVerifier(
      issuer.verifierOptions({
        ...(mtls !== null && { mtls }),
        ...(dpop && { dpop: { origin: 'https://api.example.com' } }),
        cache: { admission: 'always' },
        metrics: false,
      }),
    );
    const bound = await issuer.issueSigned({ scope: 'read', cnf: { 'x5t#S256': certA.x5t } });
    return { issuer, verifier, bound };
  }
  const presenting = (token: string, cert?: TestCertificate, scheme = 'Bearer') =>
    request([
      ['Authorization', `${scheme} ${token}`],
      ...(cert === undefined ? [] : [['Client-Cert', clientCert(cert)] as const]),
    ]);
  const codeOf = async (pending: Promise<unknown>) => {
    try {
      await pending;
    } catch (error) {
      if (error instanceof TokenwardError) return error.code;
      throw error;
    }
    return 'accepted';
  };

  it('accepts the bound certificate and states the binding', async () => {
    const { verifier, bound } = await setup();
    const token = await verifier.verifyRequest(presenting(bound, certA));
    expect(token.binding).toEqual({ scheme: 'mtls', x5t: certA.x5t });
  });

  it('refuses another certificate, and no certificate, on every request, cached or not', async () => {
    const { verifier, bound } = await setup();
    expect(await codeOf(verifier.verifyRequest(presenting(bound, certB)))).toBe(
      'ERR_MTLS_CERTIFICATE_MISMATCH',
    );
    expect(await codeOf(verifier.verifyRequest(presenting(bound)))).toBe(
      'ERR_MTLS_CERTIFICATE_MISSING',
    );
    // Now from the cache (admission 'always'): still checked.
    await verifier.verifyRequest(presenting(bound, certA));
    expect(await codeOf(verifier.verifyRequest(presenting(bound, certB)))).toBe(
      'ERR_MTLS_CERTIFICATE_MISMATCH',
    );
    expect(await codeOf(verifier.verifyRequest(presenting(bound)))).toBe(
      'ERR_MTLS_CERTIFICATE_MISSING',
    );
  });

  it('answers 401 invalid_token for a missing or foreign certificate', async () => {
    const { verifier, bound } = await setup();
    const error = await verifier.verifyRequest(presenting(bound, certB)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('refuses plain verify(): there is no request to read a certificate from', async () => {
    const { verifier, bound } = await setup();
    expect(await codeOf(verifier.verify(bound))).toBe('ERR_MTLS_CERTIFICATE_MISSING');
  });

  it('refuses a certificate-bound token without the mtls option, naming it', async () => {
    const { verifier, bound } = await setup(null);
    const error = await verifier.verifyRequest(presenting(bound, certA)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_BOUND', status: 401 });
    expect((error as Error).message).toMatch(/option mtls/);
  });

  it('leaves unbound bearer tokens alone', async () => {
    const { verifier, issuer } = await setup();
    const bearer = await issuer.issueSigned({ scope: 'read' });
    expect(await codeOf(verifier.verifyRequest(presenting(bearer)))).toBe('accepted');
  });

  it('holds a token bound to a certificate and a DPoP key to both', async () => {
    const { verifier, issuer } = await setup(behind('client-cert'), true);
    const key = await createDPoPKey('ES256');
    const token = await issuer.issueSigned({
      scope: 'read',
      cnf: { jkt: key.jkt, 'x5t#S256': certA.x5t },
    });
    const proof = () =>
      createDPoPProof(key, {
        method: 'GET',
        url: 'https://api.example.com/messages',
        accessToken: token,
      });
    const withProof = async (cert?: TestCertificate) => {
      const base = presenting(token, cert, 'DPoP');
      const value = await proof();
      return {
        ...base,
        headers: { ...base.headers, dpop: value },
        rawHeaders: [...(base.rawHeaders as string[]), 'DPoP', value],
      };
    };
    expect(await codeOf(verifier.verifyRequest(await withProof(certA)))).toBe('accepted');
    expect(await codeOf(verifier.verifyRequest(await withProof(certB)))).toBe(
      'ERR_MTLS_CERTIFICATE_MISMATCH',
    );
    expect(await codeOf(verifier.verifyRequest(await withProof()))).toBe(
      'ERR_MTLS_CERTIFICATE_MISSING',
    );
    // The certificate without the proof: a DPoP-bound token under Bearer.
    expect(await codeOf(verifier.verifyRequest(presenting(token, certA)))).toBe('ERR_TOKEN_BOUND');
    // The proof without a valid one: the DPoP checks still run after the certificate passed.
    const base = presenting(token, certA, 'DPoP');
    expect(await codeOf(verifier.verifyRequest(base))).toBe('ERR_DPOP_PROOF_MISSING');
  });
});
