/**
 * The public origin of a request (`https://api.example.com:8443`) as the web framework
 * determined it, for the DPoP `htu` check: the protocol and host the framework derived under its
 * own trust-proxy setting, never a raw `X-Forwarded-*` header read here.
 */
import { readHeader, type RequestLike } from './request';

/** The members of an Express or Fastify request the origin is read from. */
export interface FrameworkRequest extends RequestLike {
  /** Express and Fastify: `http` or `https`, X-Forwarded-Proto honoured only from trusted proxies. */
  readonly protocol?: unknown;
  /** Express: the host name without port (X-Forwarded-Host only from trusted proxies); Fastify 4: with port. */
  readonly hostname?: unknown;
  /** Fastify 5: the host with its port (X-Forwarded-Host only from trusted proxies). */
  readonly host?: unknown;
  /** Express: the application (a function), which tells an Express request from a Fastify one. */
  readonly app?: unknown;
}

// host [":" port], a registered name, IPv4 address or bracketed IPv6 literal.
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)(?::(\d{1,5}))?$/;

/**
 * The request's public origin, or `undefined` when the framework does not say (a bare
 * `node:http` request: set `dpop.origin` then).
 *
 * Express's `req.hostname` drops the port; the `Host` header supplies it when it names the same
 * host (a forwarded host arrives without one). Fastify's `request.host` (5) or `hostname` (4)
 * keeps it.
 *
 * @example
 * ```ts
 * frameworkOrigin(req) // 'https://api.example.com'
 * ```
 */
export function frameworkOrigin(request: FrameworkRequest): string | undefined {
  const protocol = request.protocol;
  if (protocol !== 'http' && protocol !== 'https') return undefined;
  let host: unknown;
  if (typeof request.app === 'function') {
    const hostname = request.hostname;
    if (typeof hostname !== 'string' || hostname === '') return undefined;
    const header = readHeader(request, 'host');
    const fromHeader = typeof header === 'string' ? HOST.exec(header) : null;
    host =
      fromHeader !== null && (fromHeader[1] as string).toLowerCase() === hostname.toLowerCase()
        ? header
        : hostname;
  } else {
    host = request.host ?? request.hostname;
  }
  if (typeof host !== 'string' || !HOST.test(host)) return undefined;
  return `${protocol}://${host}`;
}
