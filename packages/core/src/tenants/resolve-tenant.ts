/**
 * Which tenant a request is for: from its `Host`, from a path prefix, from a header that only
 * trusted proxies may set, or from a function. Each resolver answers a well-formed tenant id or
 * nothing; nothing is a refusal (`ERR_TENANT_UNKNOWN`), never a fall-back to another tenant.
 */
import type { RequestLike } from '../http/request';
import { ipInNetworks, parseNetworks } from '../traffic/ip-address';
import { isTenantId } from './tenant-id';

/** Names the tenant of a request, or `undefined` when it names none. */
export type TenantResolver = (request: RequestLike) => string | undefined;

/** A hostname as DNS writes it: labels of letters, digits and `-`, dot-separated. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The one value of a header, or `undefined` when it is absent or sent more than once. */
function singleHeader(request: RequestLike, name: string): string | undefined {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (raw !== undefined) {
    let seen = 0;
    for (let i = 0; i < raw.length; i += 2) {
      if ((raw[i] as string).toLowerCase() === name) seen += 1;
    }
    // Node keeps the first of repeated lines for some headers and joins others: two lines are
    // two claims, and neither is believed.
    if (seen > 1) return undefined;
  }
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Resolves the tenant from the request's `Host` header (port ignored, case-insensitive) by an
 * exact host → tenant map. Only `Host` is read, never `X-Forwarded-Host`: a proxy in front must
 * pass the original `Host` on. A host not in the map, a malformed or repeated `Host`, or none,
 * names no tenant.
 *
 * @param hosts Hostnames (no port, no wildcard) and the tenant each serves.
 * @throws TypeError for a malformed hostname or tenant id.
 * @example `tenantFromHost({ 'acme.api.example.com': 'acme', 'globex.api.example.com': 'globex' })`
 */
export function tenantFromHost(hosts: Readonly<Record<string, string>>): TenantResolver {
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) {
    throw new TypeError('tenantFromHost: expected an object { hostname: tenantId }');
  }
  const map = new Map<string, string>();
  for (const [host, tenant] of Object.entries(hosts)) {
    const name = host.toLowerCase();
    if (!HOSTNAME.test(name)) {
      throw new TypeError(`tenantFromHost: ${JSON.stringify(host)} is not a hostname`);
    }
    if (!isTenantId(tenant)) {
      throw new TypeError(`tenantFromHost: ${JSON.stringify(tenant)} is not a tenant id`);
    }
    map.set(name, tenant);
  }
  if (map.size === 0) throw new TypeError('tenantFromHost: expected at least one host');
  return (request) => {
    const host = singleHeader(request, 'host');
    if (host === undefined) return undefined;
    // `name:port`, or `[v6]:port` (never a tenant host: IPv6 literals are not in the map).
    const match = /^([^:[\]]+)(?::\d{1,5})?$/.exec(host);
    const name = match?.[1]?.toLowerCase();
    return name !== undefined && HOSTNAME.test(name) ? map.get(name) : undefined;
  };
}

/**
 * Resolves the tenant from the first path segment after `prefix` (`/tenants/acme/messages` →
 * `acme`). The path is read as received (`originalUrl`, else `url`); a path with an encoded
 * character in the segment, a dot segment (`.`, `..`), an empty segment (`//`) or a backslash
 * anywhere names no tenant, so no router or proxy normalisation can make the request reach
 * another tenant's routes than the one resolved.
 *
 * @param prefix Starts and ends with `/`. Default `/tenants/`.
 * @throws TypeError for a malformed prefix.
 * @example `tenantFromPath('/t/')`
 */
export function tenantFromPath(prefix = '/tenants/'): TenantResolver {
  if (typeof prefix !== 'string' || !/^\/(?:[A-Za-z0-9_-]+\/)*$/.test(prefix)) {
    throw new TypeError(
      'tenantFromPath: expected a prefix of plain segments that starts and ends with "/", like "/tenants/"',
    );
  }
  return (request) => {
    const target = request.originalUrl ?? request.url;
    if (typeof target !== 'string') return undefined;
    const path = target.split(/[?#]/, 1)[0] as string;
    if (!path.startsWith(prefix) || path.includes('\\') || path.includes('//')) return undefined;
    const segments = path.split('/');
    if (segments.some((s) => s === '.' || s === '..' || /%2e|%2f|%5c/i.test(s))) return undefined;
    const tenant = path.slice(prefix.length).split('/', 1)[0];
    return isTenantId(tenant) ? tenant : undefined;
  };
}

/**
 * Resolves the tenant from a request header that only the listed proxies may set: the header is
 * believed only when the connection's peer address (the socket's, never a forwarded one) is in
 * `trustedProxies`; from anyone else, and when repeated, it names no tenant.
 *
 * @param name The header name (`x-tenant-id`, say).
 * @param options.trustedProxies CIDR blocks or addresses of the proxies that set the header.
 * @throws TypeError for a bad name or network list.
 * @example `tenantFromHeader('x-tenant-id', { trustedProxies: ['10.0.0.0/8'] })`
 */
export function tenantFromHeader(
  name: string,
  options: { readonly trustedProxies: readonly string[] },
): TenantResolver {
  if (typeof name !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(name)) {
    throw new TypeError('tenantFromHeader: expected a header name');
  }
  const header = name.toLowerCase();
  const proxies = parseNetworks(options?.trustedProxies, 'tenantFromHeader.trustedProxies');
  return (request) => {
    const peer = (request.socket ?? request.raw?.socket)?.remoteAddress;
    if (!ipInNetworks(proxies, peer)) return undefined;
    const value = singleHeader(request, header)?.trim();
    return isTenantId(value) ? value : undefined;
  };
}
