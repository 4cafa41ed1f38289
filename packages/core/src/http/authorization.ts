/**
 * The Authorization header (RFC 9110 §11.6.2, RFC 6750 §2.1): one line only, the `Bearer` scheme,
 * b64token credentials.
 */
import { InvalidRequestError, type AuthScheme } from '../errors/errors';
import { readHeader, type ExtractedToken, type RequestLike } from './request';

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

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

/** The credentials of an Authorization header and the scheme they came under. */
export interface HeaderCredentials {
  readonly scheme: AuthScheme;
  /** The credentials, their b64token syntax unchecked. */
  readonly token: string;
}

/**
 * The access token credentials of the request's Authorization header: `Bearer`, and `DPoP` when
 * `acceptDPoP` (RFC 9449 §7.1); undefined when it has none (or another scheme). Their b64token
 * syntax is left to {@link checkTokenSyntax}.
 *
 * @throws InvalidRequestError for repeated header lines or a malformed header of an accepted
 *   scheme.
 * @example
 * ```ts
 * readAuthorization({ headers: { authorization: 'Bearer abc' } }) // { scheme: 'Bearer', token: 'abc' }
 * ```
 */
export function readAuthorization(
  request: RequestLike,
  acceptDPoP = false,
): HeaderCredentials | undefined {
  assertSingleAuthorizationHeader(request);
  const value = readHeader(request, 'authorization');
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) {
      throw new InvalidRequestError(
        'ERR_REQUEST_MULTIPLE_TOKENS',
        'the request has more than one Authorization header',
      );
    }
    return value.length === 1 ? fromCredentials(value[0] as string, acceptDPoP) : undefined;
  }
  return fromCredentials(value, acceptDPoP);
}

/** The credentials of an Authorization header value, their b64token syntax unchecked. */
function fromCredentials(value: string, acceptDPoP: boolean): HeaderCredentials | undefined {
  if (value.startsWith('Bearer ')) {
    // The usual spelling, without the regular expression below: it would copy the whole token
    // twice. Same result: the scheme is 'Bearer', and the rest, trimmed, is the credentials.
    return { scheme: 'Bearer', token: value.slice(7).trim() };
  }
  if (acceptDPoP && value.startsWith('DPoP ')) {
    return { scheme: 'DPoP', token: value.slice(5).trim() };
  }
  const trimmed = value.trim();
  const match = /^(\S+)(?: +(.*))?$/s.exec(trimmed);
  if (!match) {
    // RFC 7235 §2.1: the scheme and the credentials are separated by spaces only. A bearer
    // credential written another way (`Bearer<TAB>token`) is malformed, not absent: a 401
    // would tell the client to fetch a new token that would fail the same way.
    if (/^bearer\s/i.test(trimmed) || (acceptDPoP && /^dpop\s/i.test(trimmed))) {
      throw malformedHeader();
    }
    return undefined;
  }
  // RFC 7235 §2.1: the auth scheme is case-insensitive. Another scheme (Basic, or DPoP when it
  // is not enabled) is not an access token; the request is then treated as carrying none.
  const scheme = (match[1] as string).toLowerCase();
  const token = (match[2] ?? '').trim();
  if (scheme === 'bearer') return { scheme: 'Bearer', token };
  if (acceptDPoP && scheme === 'dpop') return { scheme: 'DPoP', token };
  return undefined;
}

/** The 400 of a malformed Authorization header. */
export const malformedHeader = (): InvalidRequestError =>
  new InvalidRequestError(
    'ERR_REQUEST_MALFORMED',
    "the Authorization header is not 'Bearer <token>' (or 'DPoP <token>')",
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
  if (!found.syntaxChecked && !isB64Token(found.token)) throw malformedHeader();
}

/** Whether `credentials` match RFC 6750 §2.1 b64token. */
export function isB64Token(credentials: string): boolean {
  return B64TOKEN.test(credentials);
}
