/**
 * The client certificate of a request, as the RFC 8705 §3.1 thumbprint a certificate-bound
 * token's `cnf["x5t#S256"]` is compared with: from the one header a trusted proxy sets when the
 * connection comes from one, else from the TLS connection itself. Hostile input never throws;
 * anything that is not exactly one well-formed certificate is no certificate.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readHeader, type RequestLike, type RequestSocket } from '../../http/request';
import {
  isMtlsPlan,
  resolveMtls,
  type ForwardedCertificate,
  type MtlsOptions,
  type MtlsPlan,
} from './mtls-options';

/**
 * The longest forwarded certificate header read, in characters: a URL-encoded certificate with a
 * 4096-bit RSA key is about 2 KiB, so an ALB chain of a few fits; anything longer is not read.
 */
export const MAX_CERTIFICATE_HEADER_LENGTH = 16 * 1024;

// RFC 8941 §3.3.5 sf-binary: base64 between colons (padding may be missing, §4.2.7).
const SF_BINARY = /^:([A-Za-z0-9+/]+={0,2}):$/;
// A PEM certificate block; the body cannot contain '-', so a match never runs past its END line.
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SHA256_HEX = /^[0-9A-Fa-f]{64}$/;
const DER_SEQUENCE = 0x30;

/**
 * The base64url SHA-256 thumbprint of the request's client certificate (the value of
 * `cnf["x5t#S256"]`, RFC 8705 §3.1), or `undefined` when it presented none that can be believed.
 *
 * When the connection's peer address (the socket's, never `X-Forwarded-For`) is a trusted proxy,
 * only the configured forwarded header is read: one header line holding one certificate in the
 * configured format; two lines, a value over {@link MAX_CERTIFICATE_HEADER_LENGTH} or anything
 * unparsable is `undefined`. From any other peer, a certificate header is ignored and the TLS
 * connection's own peer certificate is used.
 *
 * @param request The request; its `socket` (or Fastify's `raw.socket`) is read.
 * @param mtls The verifier's `mtls` options (validated on each call), or a plan already resolved.
 * @throws TypeError only for invalid `mtls` options; never for anything the client sends.
 * @example
 * ```ts
 * // In a node:https handler with requestCert: true:
 * clientCertificateThumbprint(req) // 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 * // Behind Envoy:
 * clientCertificateThumbprint(req, {
 *   trustedProxies: ['10.0.0.0/24'],
 *   forwardedHeader: 'x-forwarded-client-cert',
 * })
 * ```
 */
export function clientCertificateThumbprint(
  request: RequestLike,
  mtls: MtlsPlan | MtlsOptions = {},
): string | undefined {
  const plan = isMtlsPlan(mtls) ? mtls : (resolveMtls(mtls) as MtlsPlan);
  try {
    const socket = request.socket ?? request.raw?.socket;
    if (plan.forwarded !== undefined && plan.isTrustedProxy(socket?.remoteAddress)) {
      // The proxy terminated TLS: its own connection says nothing about the client, so the
      // header is the only source, and its absence means no certificate.
      return forwardedThumbprint(request, plan.forwarded);
    }
    return socketThumbprint(socket);
  } catch {
    // A request object whose getters throw is as good as one without a certificate.
    return undefined;
  }
}

/** The thumbprint of the certificate the TLS peer presented, if it presented one. */
function socketThumbprint(socket: RequestSocket | undefined): string | undefined {
  if (typeof socket?.getPeerCertificate !== 'function') return undefined;
  // Not detailed: only the peer's own certificate, not the chain the client sent with it.
  const peer: unknown = socket.getPeerCertificate(false);
  if (typeof peer !== 'object' || peer === null) return undefined;
  const raw = (peer as { raw?: unknown }).raw;
  // isView, not instanceof: the Buffer may come from another realm (a test sandbox, say).
  if (!ArrayBuffer.isView(raw) || raw.byteLength === 0) return undefined;
  return thumbprint(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
}

/** The thumbprint in the forwarded header, read as `forwarded.format`. */
function forwardedThumbprint(
  request: RequestLike,
  forwarded: ForwardedCertificate,
): string | undefined {
  const value = singleHeader(request, forwarded.name);
  if (value === undefined || value.length > MAX_CERTIFICATE_HEADER_LENGTH) return undefined;
  switch (forwarded.format) {
    case 'client-cert':
      return fromClientCert(value);
    case 'x-forwarded-client-cert':
      return fromEnvoy(value);
    // nginx's $ssl_client_escaped_cert encodes every reserved character; the ALB leaves `+`,
    // `=` and `/` as they are. decodeURIComponent reads both (it keeps `+` a plus).
    case 'ssl-client-cert':
      return fromEscapedPem(value.trim(), false);
    case 'x-amzn-mtls-clientcert':
      // In passthrough mode the ALB sends the whole chain the client presented, leaf first.
      return fromEscapedPem(value.trim(), true);
  }
}

/**
 * The value of the request's one `name` header line, or undefined for none or several: a second
 * line could only come from the client (a proxy sets one), so neither can be believed.
 */
function singleHeader(request: RequestLike, name: string): string | undefined {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (Array.isArray(raw)) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const field: unknown = raw[i];
      if (typeof field === 'string' && field.length === name.length && field.toLowerCase() === name)
        count++;
    }
    if (count > 1) return undefined;
  }
  const value = readHeader(request, name);
  if (Array.isArray(value)) return value.length === 1 ? stringOrUndefined(value[0]) : undefined;
  return stringOrUndefined(value);
}

/** `value` when it is a string (a framework may hand anything back). */
function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** RFC 9440 §2.2 `Client-Cert`: the DER as a byte sequence. */
function fromClientCert(value: string): string | undefined {
  const match = SF_BINARY.exec(value.trim());
  return match === null ? undefined : fromDer(Buffer.from(match[1] as string, 'base64'));
}

/**
 * Envoy's `x-forwarded-client-cert`: comma-separated elements, one per proxy that appended one,
 * the last added by the proxy in front of this server; in it, `Cert` (a URL-encoded PEM) or,
 * without one, `Hash` (the hex SHA-256 of the DER). With both, they must agree.
 */
function fromEnvoy(value: string): string | undefined {
  const elements = splitOutsideQuotes(value, ',');
  const last = elements?.[elements.length - 1];
  if (last === undefined) return undefined;
  const pairs = splitOutsideQuotes(last, ';');
  if (pairs === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals < 1) return undefined;
    const key = pair.slice(0, equals).trim().toLowerCase();
    const field = unquote(pair.slice(equals + 1).trim());
    if (field === undefined) return undefined;
    // URI and DNS repeat, one pair per SAN; a second Cert or Hash is not Envoy's doing.
    if ((key === 'cert' || key === 'hash') && fields.has(key)) return undefined;
    fields.set(key, field);
  }
  const cert = fields.get('cert');
  const hash = fields.get('hash');
  if (hash !== undefined && !SHA256_HEX.test(hash)) return undefined;
  const fromHash = hash === undefined ? undefined : Buffer.from(hash, 'hex').toString('base64url');
  if (cert === undefined) return fromHash;
  const fromCert = fromEscapedPem(cert, false);
  return fromHash === undefined || fromHash === fromCert ? fromCert : undefined;
}

/**
 * `value` split at each `separator` outside double quotes (where `\` escapes the next character),
 * or undefined when a quote is left open.
 */
function splitOutsideQuotes(value: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === separator) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(value.slice(start));
  return parts;
}

/** A field value without its double quotes and escapes; undefined for a stray quote. */
function unquote(value: string): string | undefined {
  if (!value.startsWith('"')) return value.includes('"') ? undefined : value;
  if (value.length < 2 || !value.endsWith('"')) return undefined;
  let unescaped = '';
  for (let i = 1; i < value.length - 1; i++) {
    let char = value[i] as string;
    if (char === '\\') {
      i++;
      if (i === value.length - 1) return undefined;
      char = value[i] as string;
    } else if (char === '"') {
      // An unescaped quote inside: two quoted strings run together, not one value.
      return undefined;
    }
    unescaped += char;
  }
  return unescaped;
}

/**
 * A URL-encoded PEM certificate, or with `chain`, the first of one or more (the client's own;
 * the others are only checked to be PEM blocks). Nothing but whitespace may surround them.
 */
function fromEscapedPem(value: string, chain: boolean): string | undefined {
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const bodies: string[] = [];
  const rest = pem.replace(PEM_BLOCK, (_, body: string) => {
    bodies.push(body.replace(/\s+/g, ''));
    return '';
  });
  const first = bodies[0];
  if (first === undefined || rest.trim() !== '' || (!chain && bodies.length > 1)) return undefined;
  if (!bodies.every((body) => BASE64.test(body))) return undefined;
  return fromDer(Buffer.from(first, 'base64'));
}

/**
 * The thumbprint of `der` when it is exactly one X.509 certificate: parsed by node:crypto, and
 * nothing before or after it (the hash must be of what the proxy received, not of a part of it).
 */
function fromDer(der: Buffer): string | undefined {
  if (der.length === 0 || der[0] !== DER_SEQUENCE) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return undefined;
  }
  return certificate.raw.equals(der) ? thumbprint(der) : undefined;
}

/** The base64url SHA-256 of `der`: the form of `cnf["x5t#S256"]`. */
function thumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}
