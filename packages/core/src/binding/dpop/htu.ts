/**
 * The `htu` comparison of RFC 9449 §4.3 check 9: the proof's URI and the request's, both without
 * query and fragment, normalised per RFC 3986 §6.2.2–6.2.3 where it is safe (scheme and host
 * case, default ports, an empty path) and compared exactly otherwise (the path's case, its
 * trailing slash, its percent-encoding).
 */

// scheme "://" authority path; no query, no fragment (the proof's htu must have neither).
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?$/;
// host [":" port]: a registered name or IPv4 address, or a bracketed IPv6 literal.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::(\d{1,5}))?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * The normal form of an absolute http(s) URI without query or fragment: lower-case scheme and
 * host, no default port, `/` for an empty path; `undefined` for anything else (another scheme,
 * user information, a query, a fragment, a bad port).
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://API.Example.com:443/Messages') // 'https://api.example.com/Messages'
 * normalizeHtu('https://api.example.com/x?y=1')        // undefined
 * ```
 */
export function normalizeHtu(value: string): string | undefined {
  const match = ABSOLUTE_URI.exec(value);
  if (match === null) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const authority = AUTHORITY.exec(match[2] as string);
  if (authority === null) return undefined;
  const host = (authority[1] as string).toLowerCase();
  let port = authority[2];
  if (port !== undefined) {
    const number = Number(port);
    if (number < 1 || number > 65_535) return undefined;
    port = String(number);
    if (port === DEFAULT_PORTS[scheme]) port = undefined;
  }
  const path = match[3] ?? '/';
  return `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}`;
}

// The last origin normalised and its normal form: one slot, since an API is usually reached
// under one origin, so most requests normalise only their path's concatenation. A request under
// another origin (a hostile Host header, say) costs one normalisation, as without the slot.
let lastOrigin: string | undefined;
let lastNormalOrigin: string | undefined;

/** `origin` (scheme and authority, perhaps with trailing slashes) in normal form, no slash. */
function normalOrigin(origin: string): string | undefined {
  if (origin === lastOrigin) return lastNormalOrigin;
  // normalizeHtu keeps the path as it is, so normalising `origin/` and appending the path gives
  // what normalising the whole URI gives; the '/' is the path the origin alone is given.
  const normal = normalizeHtu(`${origin.replace(/\/+$/, '')}/`)?.slice(0, -1);
  lastOrigin = origin;
  lastNormalOrigin = normal;
  return normal;
}

/**
 * The request's own `htu`: its public origin and its path (the request-target without query and
 * fragment), normalised like the proof's.
 *
 * @param origin The API's public origin (`https://api.example.com`), without a path.
 * @param target The request-target as received (`/messages/7?x=1`).
 * @returns the normal form, or `undefined` when the origin or target cannot form one.
 * @example
 * ```ts
 * requestHtu('https://api.example.com', '/messages?page=2') // 'https://api.example.com/messages'
 * ```
 */
export function requestHtu(origin: string, target: string): string | undefined {
  if (!target.startsWith('/')) return undefined;
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  const base = normalOrigin(origin);
  return base === undefined ? undefined : `${base}${path}`;
}
