/** The request shape tokenward reads, and what extraction reports about the token it found. */
import type { AuthScheme } from '../errors/errors';

/** The parts of an HTTP request tokenward reads; Express, Nest and node:http requests fit. */
export interface RequestLike {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Parsed query parameters, when the framework has them; otherwise `url` is parsed. Read only
   * when `url` is not a string or contains a `?`: a request-target without one has no query
   * (Express computes `req.query` anew on every read).
   */
  readonly query?: unknown;
  /** Parsed body, when the framework has parsed one. */
  readonly body?: unknown;
  /**
   * The header lines as received, names and values alternating (Node's
   * `IncomingMessage.rawHeaders`; Express and Nest requests have it). Node keeps only the first
   * `authorization` line in `headers` and drops the others, so this is the only place a repeated
   * Authorization header shows.
   */
  readonly rawHeaders?: readonly string[];
  /**
   * The Node request a framework wraps, when it keeps it as `raw` (Fastify, and Nest on Fastify):
   * its `rawHeaders` and `socket` are read when the request has none of its own.
   */
  readonly raw?: { readonly rawHeaders?: readonly string[]; readonly socket?: RequestSocket };
  /**
   * The connection the request came on (Node's `IncomingMessage.socket`; Express, Nest and
   * node:http requests have it, Fastify's is `raw.socket`): its peer address decides whether a
   * forwarded client-certificate header is believed, and a TLS socket's peer certificate is the
   * client certificate of a certificate-bound token (option `mtls`).
   */
  readonly socket?: RequestSocket;
  /**
   * The client address as the framework determined it (Express `req.ip` and Fastify
   * `request.ip` apply their trust-proxy settings), for the audit trail. Never read from a raw
   * `X-Forwarded-For` header.
   */
  readonly ip?: string;
  /** The framework's request id (Fastify `request.id`, pino-http `req.id`), for the audit trail. */
  readonly id?: unknown;
  /**
   * The request-target as received, before any router rewrote `url` (Express and Fastify
   * `originalUrl`): the path a DPoP proof's `htu` is compared with.
   */
  readonly originalUrl?: string;
}

/**
 * The parts of a request's connection tokenward reads (a `net.Socket`, or a `tls.TLSSocket`
 * with `getPeerCertificate`).
 */
export interface RequestSocket {
  /** The peer's IP address, as the operating system reports it (never a forwarded header). */
  readonly remoteAddress?: string | undefined;
  /** The TLS peer's certificate; `raw` holds its DER (`{}` when the client sent none). */
  getPeerCertificate?(detailed?: boolean): { raw?: Buffer } | object | null;
}

/** Where, besides the Authorization header, a token may be sent. Both off by default. */
export interface TokenSourcesOptions {
  /** Accept `?access_token=` (RFC 6750 §2.3; discouraged: URLs end up in logs). Default false. */
  query?: boolean;
  /** Accept an `access_token` form field (RFC 6750 §2.2). Default false. */
  body?: boolean;
}

/**
 * Where a token was found (RFC 6750 §2.1 header, §2.2 form body, §2.3 query), or `custom`: the
 * application's `getToken`.
 */
export type TokenLocation = 'header' | 'query' | 'body' | 'custom';

/** What extraction found in a request: the token, its scheme and where it was. */
export interface ExtractedToken {
  /** The credentials as sent. */
  readonly token: string;
  /**
   * The authentication scheme (RFC 9110 §11.1): `DPoP` for an Authorization header of that
   * scheme when DPoP is enabled (RFC 9449 §7.1), `Bearer` otherwise and for every other location.
   */
  readonly scheme: AuthScheme;
  readonly source: TokenLocation;
  /**
   * False for Authorization header credentials whose RFC 6750 §2.1 b64token syntax is not yet
   * checked: the scan of a long token is deferred to a later syntax check, which the pipeline
   * skips on a verified-token cache hit (every cached token passed the compact-serialization
   * checks, whose alphabet, base64url and '.', lies inside b64token).
   */
  readonly syntaxChecked: boolean;
}

/**
 * A header of `request` by lower-case `name`, whatever the case of the framework's keys.
 *
 * @example
 * ```ts
 * readHeader(req, 'content-type')
 * ```
 */
export function readHeader(request: RequestLike, name: string): string | string[] | undefined {
  const direct = request.headers[name];
  if (direct !== undefined) return direct;
  for (const key of Object.keys(request.headers)) {
    if (key.toLowerCase() === name) return request.headers[key];
  }
  return undefined;
}
