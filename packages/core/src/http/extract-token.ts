/**
 * Finds the access token in a request per RFC 6750 §2: the Authorization header by default, the
 * `access_token` query parameter or form field only when enabled, and never more than one.
 */
import { InvalidRequestError, MissingTokenError } from '../errors/errors';

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
   * its `rawHeaders` are read when the request has none of its own.
   */
  readonly raw?: { readonly rawHeaders?: readonly string[] };
}

/** Where, besides the Authorization header, a token may be sent. Both off by default. */
export interface TokenSourcesOptions {
  /** Accept `?access_token=` (RFC 6750 §2.3; discouraged: URLs end up in logs). Default false. */
  query?: boolean;
  /** Accept an `access_token` form field (RFC 6750 §2.2). Default false. */
  body?: boolean;
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function header(request: RequestLike, name: string): string | string[] | undefined {
  const direct = request.headers[name];
  if (direct !== undefined) return direct;
  for (const key of Object.keys(request.headers)) {
    if (key.toLowerCase() === name) return request.headers[key];
  }
  return undefined;
}

/** How many Authorization header lines the request arrived with, per `rawHeaders`. */
function authorizationLines(request: RequestLike): number {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (!Array.isArray(raw)) return 0;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name: unknown = raw[i];
    // The length test first spares a lower-cased copy of every other header name.
    if (typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'authorization')
      count++;
  }
  return count;
}

/** Where a token was found (RFC 6750 §2.1 header, §2.2 form body, §2.3 query). */
export type TokenLocation = 'header' | 'query' | 'body';

/** What extraction found in a request: the token, its scheme and where it was. */
export interface ExtractedToken {
  /** The credentials as sent. */
  readonly token: string;
  /** The authentication scheme (RFC 9110 §11.1); `Bearer` for every location today. */
  readonly scheme: 'Bearer';
  readonly source: TokenLocation;
  /**
   * False for Authorization header credentials whose RFC 6750 §2.1 b64token syntax is not yet
   * checked: the scan of a long token is deferred to {@link checkTokenSyntax}, which the pipeline
   * skips on a verified-token cache hit (every cached token passed the compact-serialization
   * checks, whose alphabet, base64url and '.', lies inside b64token).
   */
  readonly syntaxChecked: boolean;
}

/**
 * Refuses a request that arrived with more than one `Authorization` header line (read from
 * `rawHeaders`; Node keeps only the first in `headers`). `extractBearerToken` does this itself;
 * call it before reading a token your own way (a passport-jwt extractor, say).
 *
 * @throws InvalidRequestError `ERR_REQUEST_MULTIPLE_TOKENS` (400) for two lines or more.
 * @example
 * ```ts
 * assertSingleAuthorizationHeader(req) // then read the token from req.headers.authorization
 * ```
 */
export function assertSingleAuthorizationHeader(request: RequestLike): void {
  // RFC 9110 §5.3: Authorization is not a list, so two lines make the request malformed. Which
  // one counts would otherwise depend on the component reading it (Node keeps the first; a
  // proxy or WAF may check the last), letting a token slip past a check made on the other.
  if (authorizationLines(request) > 1) {
    throw new InvalidRequestError(
      'ERR_REQUEST_MULTIPLE_TOKENS',
      'the request has more than one Authorization header',
    );
  }
}

function fromAuthorization(request: RequestLike): string | undefined {
  assertSingleAuthorizationHeader(request);
  const value = header(request, 'authorization');
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) {
      throw new InvalidRequestError(
        'ERR_REQUEST_MULTIPLE_TOKENS',
        'the request has more than one Authorization header',
      );
    }
    return value.length === 1 ? fromCredentials(value[0] as string) : undefined;
  }
  return fromCredentials(value);
}

/** The bearer credentials of an Authorization header value, their b64token syntax unchecked. */
function fromCredentials(value: string): string | undefined {
  if (value.startsWith('Bearer ')) {
    // The usual spelling, without the regular expression below: it would copy the whole token
    // twice. Same result: the scheme is 'Bearer', and the rest, trimmed, is the credentials.
    return value.slice(7).trim();
  }
  const trimmed = value.trim();
  const match = /^(\S+)(?: +(.*))?$/s.exec(trimmed);
  if (!match) {
    // RFC 7235 §2.1: the scheme and the credentials are separated by spaces only. A bearer
    // credential written another way (`Bearer<TAB>token`) is malformed, not absent: a 401
    // would tell the client to fetch a new token that would fail the same way.
    if (/^bearer\s/i.test(trimmed)) throw malformedHeader();
    return undefined;
  }
  // RFC 7235 §2.1: the auth scheme is case-insensitive. Another scheme (Basic, DPoP, …) is not
  // a bearer token; the request is then treated as carrying none.
  if ((match[1] as string).toLowerCase() !== 'bearer') return undefined;
  return (match[2] ?? '').trim();
}

const malformedHeader = (): InvalidRequestError =>
  new InvalidRequestError(
    'ERR_REQUEST_MALFORMED',
    "the Authorization header is not 'Bearer <token>'",
  );

/**
 * Checks the RFC 6750 §2.1 b64token syntax of header credentials that {@link extractToken} left
 * unchecked (see {@link ExtractedToken.syntaxChecked}).
 *
 * @throws InvalidRequestError `ERR_REQUEST_MALFORMED` (400) when the syntax is wrong.
 * @example
 * ```ts
 * const found = extractToken(request, sources)
 * if (cache.get(found.token) === undefined) checkTokenSyntax(found)
 * ```
 */
export function checkTokenSyntax(found: ExtractedToken): void {
  if (!found.syntaxChecked && !B64TOKEN.test(found.token)) throw malformedHeader();
}

function fromRecord(record: unknown, where: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  if (!Object.prototype.hasOwnProperty.call(record, 'access_token')) return undefined;
  const value = (record as Record<string, unknown>).access_token;
  if (typeof value === 'string') return value;
  throw new InvalidRequestError(
    'ERR_REQUEST_MULTIPLE_TOKENS',
    `the ${where} has more than one access_token, or one that is not a string`,
  );
}

function fromQuery(request: RequestLike): string | undefined {
  const url = request.url;
  const q = typeof url === 'string' ? url.indexOf('?') : -1;
  // RFC 3986 §3.4: the query starts at the first '?'; without one there is none to read.
  if (typeof url === 'string' && q < 0) return undefined;
  const query = request.query; // one read: a framework's getter may parse anew each time
  if (query !== undefined) return fromRecord(query, 'query string');
  if (url === undefined || q < 0) return undefined;
  const all = new URLSearchParams(url.slice(q + 1)).getAll('access_token');
  if (all.length > 1) {
    throw new InvalidRequestError(
      'ERR_REQUEST_MULTIPLE_TOKENS',
      'the query string has more than one access_token',
    );
  }
  return all[0];
}

function fromBody(request: RequestLike): string | undefined {
  // RFC 6750 §2.2 defines the access_token parameter of form-encoded bodies only. In any other
  // body (JSON, say) an access_token member is application data, not a token location: it must
  // not clash with the Authorization header nor stand in for it.
  // Only a parsed object can hold a field; checked first, it spares the header look-up.
  if (typeof request.body !== 'object' || request.body === null) return undefined;
  const type = header(request, 'content-type');
  if (
    typeof type !== 'string' ||
    !type.toLowerCase().startsWith('application/x-www-form-urlencoded')
  )
    return undefined;
  return fromRecord(request.body, 'request body');
}

/**
 * Extracts the bearer token from a request.
 *
 * @param sources Places besides the Authorization header that may carry the token.
 * @throws MissingTokenError when there is none (401, bare challenge).
 * @throws InvalidRequestError when the header is malformed, when the token is in more than one
 *   place (even a place that is not enabled), or when it is only in a place that is not enabled.
 * @example
 * ```ts
 * const token = extractBearerToken(req, { query: false, body: true })
 * ```
 */
export function extractBearerToken(
  request: RequestLike,
  sources: TokenSourcesOptions = {},
): string {
  const found = extractToken(request, sources);
  checkTokenSyntax(found);
  return found.token;
}

/**
 * Finds the one token of a request (RFC 6750 §2) and says where it was; the b64token syntax of
 * header credentials is left to {@link checkTokenSyntax}. Calls nothing outside this folder.
 *
 * @throws MissingTokenError or InvalidRequestError, as {@link extractBearerToken}.
 * @example
 * ```ts
 * const { token, source } = extractToken(request, { query: false, body: false })
 * ```
 */
export function extractToken(request: RequestLike, sources: TokenSourcesOptions): ExtractedToken {
  const fromHeader = fromAuthorization(request);
  try {
    return locate(request, sources, fromHeader);
  } catch (error) {
    // Malformed header credentials are reported first, as when they are checked on reading.
    if (fromHeader !== undefined && !B64TOKEN.test(fromHeader)) throw malformedHeader();
    throw error;
  }
}

function locate(
  request: RequestLike,
  sources: TokenSourcesOptions,
  fromHeader: string | undefined,
): ExtractedToken {
  const found: { where: TokenLocation; token: string }[] = [];
  if (fromHeader !== undefined) found.push({ where: 'header', token: fromHeader });
  const fromQueryString = fromQuery(request);
  if (fromQueryString !== undefined) found.push({ where: 'query', token: fromQueryString });
  const fromForm = fromBody(request);
  if (fromForm !== undefined) found.push({ where: 'body', token: fromForm });

  if (found.length > 1) {
    // RFC 6750 §2: clients MUST NOT use more than one method to transmit the token.
    throw new InvalidRequestError(
      'ERR_REQUEST_MULTIPLE_TOKENS',
      'the request carries an access token in more than one place',
    );
  }
  const [only] = found;
  if (only === undefined) throw new MissingTokenError();
  if (only.where === 'query' && !sources.query) {
    throw new InvalidRequestError(
      'ERR_REQUEST_TOKEN_LOCATION_DISABLED',
      'access tokens in the query string are not accepted (option tokenSources.query)',
    );
  }
  if (only.where === 'body' && !sources.body) {
    throw new InvalidRequestError(
      'ERR_REQUEST_TOKEN_LOCATION_DISABLED',
      'access tokens in the request body are not accepted (option tokenSources.body)',
    );
  }
  // RFC 6750 §2.2: the form body must belong to a method whose body has semantics, never GET.
  if (only.where === 'body' && request.method === 'GET') {
    throw new InvalidRequestError(
      'ERR_REQUEST_MALFORMED',
      'a form body may carry the token only on a request method with a body, never GET',
    );
  }
  if (only.token === '') {
    throw new InvalidRequestError('ERR_REQUEST_MALFORMED', 'the access_token parameter is empty');
  }
  return {
    token: only.token,
    scheme: 'Bearer',
    source: only.where,
    syntaxChecked: only.where !== 'header',
  };
}
