/**
 * The `mtls` option (RFC 8705 §3, certificate-bound access tokens), validated once into the plan
 * every client-certificate look-up reads: which peers are proxies whose forwarded certificate
 * header is believed, and which header (and format) they set.
 */
import { BlockList, isIP } from 'node:net';

/**
 * The formats a TLS-terminating proxy forwards the client certificate in, by the header that
 * names each:
 *
 * - `'client-cert'`: RFC 9440 `Client-Cert`, the DER as a structured-field byte sequence
 *   (`:MIIB…:`);
 * - `'x-forwarded-client-cert'`: Envoy's `x-forwarded-client-cert` (its last element's `Cert`,
 *   else its `Hash`);
 * - `'ssl-client-cert'`: nginx's `$ssl_client_escaped_cert`, a URL-encoded PEM, in a header of
 *   your choosing (name it with `headerName`);
 * - `'x-amzn-mtls-clientcert'`: the AWS Application Load Balancer's `X-Amzn-Mtls-Clientcert`
 *   (mutual TLS passthrough: the chain the client presented, leaf first) or, with `headerName`
 *   `x-amzn-mtls-clientcert-leaf`, its verify-mode leaf header: URL-encoded PEM in which `+`,
 *   `=` and `/` may appear unencoded. The first certificate is the client's.
 */
export type ForwardedCertificateFormat =
  'client-cert' | 'x-forwarded-client-cert' | 'ssl-client-cert' | 'x-amzn-mtls-clientcert';

const FORMATS: readonly ForwardedCertificateFormat[] = [
  'client-cert',
  'x-forwarded-client-cert',
  'ssl-client-cert',
  'x-amzn-mtls-clientcert',
];

/**
 * Options of certificate-bound access tokens (RFC 8705 §3): a token whose `cnf` claim carries
 * `x5t#S256` is accepted only from a client that presents that certificate. The certificate is
 * read from the TLS connection, or, when the connection comes from a trusted proxy that
 * terminated TLS, from the one header that proxy sets.
 *
 * @example
 * ```ts
 * // TLS terminated by Node itself (https.createServer({ requestCert: true, … })):
 * createVerifier({ ...options, mtls: {} })
 * // Behind Envoy on 10.0.0.0/24:
 * createVerifier({
 *   ...options,
 *   mtls: { trustedProxies: ['10.0.0.0/24'], forwardedHeader: 'x-forwarded-client-cert' },
 * })
 * ```
 */
export interface MtlsOptions {
  /**
   * The addresses (`10.0.0.7`, `fd00::7`) or CIDR ranges (`10.0.0.0/24`, `fd00::/64`) of the
   * proxies whose forwarded certificate header is believed, matched against the connection's
   * peer address (never against `X-Forwarded-For` or the framework's `req.ip`). An IPv4 entry
   * also matches the same address written as IPv4-mapped IPv6 (`::ffff:10.0.0.7`). A request
   * from one of them is judged by the header alone; from any other peer, the header is ignored
   * and only the TLS connection's own client certificate counts. Default: none.
   */
  trustedProxies?: readonly string[];
  /**
   * The format trusted proxies forward the certificate in; see
   * {@link ForwardedCertificateFormat}. Required when `trustedProxies` is non-empty, and
   * meaningless (so refused) without it.
   */
  forwardedHeader?: ForwardedCertificateFormat;
  /**
   * The name of the header to read, when the proxy uses another name than the format's
   * (nginx setups often send `$ssl_client_escaped_cert` as `x-ssl-client-cert`). Default: the
   * `forwardedHeader` value itself. Compared case-insensitively.
   */
  headerName?: string;
}

/** The header a trusted proxy forwards the client certificate in. */
export interface ForwardedCertificate {
  readonly format: ForwardedCertificateFormat;
  /** The header's name, in lower case. */
  readonly name: string;
}

/** The `mtls` option after validation. */
export interface MtlsPlan {
  /** The header trusted proxies set, or undefined when no proxy is trusted. */
  readonly forwarded: ForwardedCertificate | undefined;
  /** Whether `address`, a connection's peer address, is one of the trusted proxies. */
  isTrustedProxy(address: unknown): boolean;
}

const KNOWN = new Set(['trustedProxies', 'forwardedHeader', 'headerName']);
// RFC 9110 §5.1: a field name is a token.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// An IPv4-mapped IPv6 address in dotted form, as dual-stack sockets report IPv4 peers.
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const PLANS = new WeakSet<MtlsPlan>();

/**
 * Validates the `mtls` option.
 *
 * @returns undefined when the option is not set (certificate-bound tokens are then refused).
 * @throws TypeError naming the offending `mtls.*` option.
 * @example
 * ```ts
 * const plan = resolveMtls({ trustedProxies: ['127.0.0.1'], forwardedHeader: 'client-cert' })
 * plan?.isTrustedProxy('::ffff:127.0.0.1') // true
 * ```
 */
export function resolveMtls(options: MtlsOptions | undefined): MtlsPlan | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('mtls: expected an options object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`mtls.${key}: unknown option`);
  }
  const proxies = trustedProxyList(options.trustedProxies);
  const { forwardedHeader, headerName } = options;
  if (forwardedHeader !== undefined && !FORMATS.includes(forwardedHeader)) {
    throw new TypeError(`mtls.forwardedHeader: expected one of '${FORMATS.join("', '")}'`);
  }
  if (headerName !== undefined && (typeof headerName !== 'string' || !FIELD_NAME.test(headerName)))
    throw new TypeError('mtls.headerName: expected an HTTP header name');
  if (headerName !== undefined && forwardedHeader === undefined) {
    throw new TypeError('mtls.headerName: needs mtls.forwardedHeader (the format of the header)');
  }
  if (proxies === undefined) {
    // A header option without a proxy to believe it from would never be read: say so now rather
    // than refuse every request for a missing certificate.
    if (forwardedHeader !== undefined) {
      throw new TypeError(
        'mtls.forwardedHeader: needs mtls.trustedProxies (the header is believed only from them)',
      );
    }
    return remember({ forwarded: undefined, isTrustedProxy: () => false });
  }
  if (forwardedHeader === undefined) {
    throw new TypeError(
      'mtls.forwardedHeader: required with mtls.trustedProxies (the header the proxies set)',
    );
  }
  const forwarded = Object.freeze({
    format: forwardedHeader,
    name: (headerName ?? forwardedHeader).toLowerCase(),
  });
  return remember({ forwarded, isTrustedProxy: (address) => matches(proxies, address) });
}

/** Whether `value` is a plan {@link resolveMtls} returned (not options shaped like one). */
export function isMtlsPlan(value: unknown): value is MtlsPlan {
  return typeof value === 'object' && value !== null && PLANS.has(value as MtlsPlan);
}

/** `plan`, frozen and recorded as one {@link isMtlsPlan} recognises. */
function remember(plan: MtlsPlan): MtlsPlan {
  const frozen = Object.freeze(plan);
  PLANS.add(frozen);
  return frozen;
}

/** The trusted proxies as a BlockList, or undefined when there are none. */
function trustedProxyList(value: unknown): BlockList | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError('mtls.trustedProxies: expected an array of IP addresses or CIDR ranges');
  }
  if (value.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of value as unknown[]) {
    const shown = typeof entry === 'string' ? JSON.stringify(entry) : String(entry);
    const invalid = (why: string) => new TypeError(`mtls.trustedProxies: ${shown} ${why}`);
    if (typeof entry !== 'string') throw invalid('is not a string');
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    // isIP accepts a zone index (fe80::1%eth0), which BlockList cannot match: refused.
    const family = address.includes('%') ? 0 : isIP(address);
    if (family === 0) throw invalid('is not an IP address or CIDR range');
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = entry.slice(slash + 1);
    const bits = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
      throw invalid(`has a prefix length outside 0 to ${bits}`);
    }
    // A /0 range trusts every client to forge the header: never what was meant.
    if (Number(prefix) === 0) throw invalid('trusts every address; list the proxies');
    list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** Whether the peer address `address` lies in `list`, an IPv4-mapped address as its IPv4 form. */
function matches(list: BlockList, address: unknown): boolean {
  if (typeof address !== 'string' || address.length > 64) return false;
  const family = isIP(address);
  if (family === 0) return false;
  try {
    if (list.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    // Node's BlockList already matches mapped addresses against IPv4 rules; this keeps the rule
    // (a dual-stack server reports IPv4 peers as ::ffff:a.b.c.d) independent of that.
    const mapped = family === 6 ? MAPPED_IPV4.exec(address) : null;
    return mapped !== null && isIP(mapped[1] as string) === 4 && list.check(mapped[1] as string);
  } catch {
    return false;
  }
}
