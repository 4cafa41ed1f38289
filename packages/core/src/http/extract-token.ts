/**
 * Finds the access token in a request per RFC 6750 §2: the Authorization header by default, the
 * `access_token` query parameter or form field only when enabled, and never more than one.
 */
import { InvalidRequestError, MissingTokenError } from '../errors/errors';
import {
  checkTokenSyntax,
  isB64Token,
  malformedHeader,
  readAuthorization,
  type HeaderCredentials,
} from './authorization';
import {
  readHeader,
  type ExtractedToken,
  type RequestLike,
  type TokenSourcesOptions,
} from './request';

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
  const type = readHeader(request, 'content-type');
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
export function extractToken(
  request: RequestLike,
  sources: TokenSourcesOptions,
  getToken?: (request: RequestLike) => string | null | undefined,
  acceptDPoP = false,
): ExtractedToken {
  const header = readAuthorization(request, acceptDPoP);
  const fromHeader = header?.token;
  try {
    const custom = getToken === undefined ? undefined : getToken(request);
    if (custom !== undefined && custom !== null) return fromGetter(request, custom, fromHeader);
    return locate(request, sources, header);
  } catch (error) {
    // Malformed header credentials are reported first, as when they are checked on reading.
    if (fromHeader !== undefined && !isB64Token(fromHeader)) throw malformedHeader();
    throw error;
  }
}

/**
 * A token the application's getter found: the same RFC 6750 rules as any other location (one
 * method, §2; b64token syntax, §2.1), checked here since no later step knows where it came from.
 */
function fromGetter(
  request: RequestLike,
  custom: unknown,
  fromHeader: string | undefined,
): ExtractedToken {
  if (typeof custom !== 'string' || custom === '' || !isB64Token(custom)) {
    throw new InvalidRequestError(
      'ERR_REQUEST_MALFORMED',
      'the token found by getToken is not an RFC 6750 b64token',
    );
  }
  // RFC 6750 §2: clients MUST NOT use more than one method, whichever places are enabled.
  if (
    fromHeader !== undefined ||
    fromQuery(request) !== undefined ||
    fromBody(request) !== undefined
  ) {
    throw new InvalidRequestError(
      'ERR_REQUEST_MULTIPLE_TOKENS',
      'the request carries an access token in more than one place',
    );
  }
  return { token: custom, scheme: 'Bearer', source: 'custom', syntaxChecked: true };
}

function locate(
  request: RequestLike,
  sources: TokenSourcesOptions,
  header: HeaderCredentials | undefined,
): ExtractedToken {
  // Counted, not collected: the common request (one Authorization header) allocates only its
  // answer.
  const fromQueryString = fromQuery(request);
  const fromForm = fromBody(request);
  const places =
    (header === undefined ? 0 : 1) +
    (fromQueryString === undefined ? 0 : 1) +
    (fromForm === undefined ? 0 : 1);
  if (places > 1) {
    // RFC 6750 §2: clients MUST NOT use more than one method to transmit the token.
    throw new InvalidRequestError(
      'ERR_REQUEST_MULTIPLE_TOKENS',
      'the request carries an access token in more than one place',
    );
  }
  if (header !== undefined) {
    if (header.token === '') throw emptyToken();
    return { token: header.token, scheme: header.scheme, source: 'header', syntaxChecked: false };
  }
  if (fromQueryString !== undefined) {
    if (!sources.query) {
      throw new InvalidRequestError(
        'ERR_REQUEST_TOKEN_LOCATION_DISABLED',
        'access tokens in the query string are not accepted (option tokenSources.query)',
      );
    }
    if (fromQueryString === '') throw emptyToken();
    return { token: fromQueryString, scheme: 'Bearer', source: 'query', syntaxChecked: true };
  }
  if (fromForm !== undefined) {
    if (!sources.body) {
      throw new InvalidRequestError(
        'ERR_REQUEST_TOKEN_LOCATION_DISABLED',
        'access tokens in the request body are not accepted (option tokenSources.body)',
      );
    }
    // RFC 6750 §2.2: the form body must belong to a method whose body has semantics, never GET.
    if (request.method === 'GET') {
      throw new InvalidRequestError(
        'ERR_REQUEST_MALFORMED',
        'a form body may carry the token only on a request method with a body, never GET',
      );
    }
    if (fromForm === '') throw emptyToken();
    return { token: fromForm, scheme: 'Bearer', source: 'body', syntaxChecked: true };
  }
  throw new MissingTokenError();
}

function emptyToken(): InvalidRequestError {
  return new InvalidRequestError('ERR_REQUEST_MALFORMED', 'the access_token parameter is empty');
}
