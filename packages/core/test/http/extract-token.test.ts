/**
 * Bearer token extraction (bearer.ts) per RFC 6750 §2, through `extractBearerToken` and
 * `verifier.verifyRequest`.
 */
import {
  extractBearerToken,
  InvalidRequestError,
  MissingTokenError,
  type RequestLike,
  type TokenSourcesOptions,
  type TokenwardError,
} from '@tokenward/core';
import { AUDIENCE, claims, mint, NOW, rejection, verifier } from '../helpers/keys';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';

function thrown(request: RequestLike, sources?: TokenSourcesOptions): TokenwardError {
  try {
    extractBearerToken(request, sources);
  } catch (error) {
    return error as TokenwardError;
  }
  throw new Error('expected extractBearerToken to throw');
}

function expectMissing(error: TokenwardError, realm = 'api') {
  expect(error).toBeInstanceOf(MissingTokenError);
  expect(error.code).toBe('ERR_TOKEN_MISSING');
  expect(error.status).toBe(401);
  expect(error.error).toBeUndefined();
  // RFC 6750 §3.1: no error code when the request carried no credentials.
  expect(error.headers).toEqual({ 'WWW-Authenticate': `Bearer realm="${realm}"` });
  expect(error.toJSON()).toEqual({});
}

function expectInvalidRequest(error: TokenwardError, code: string) {
  expect(error).toBeInstanceOf(InvalidRequestError);
  expect(error.code).toBe(code);
  expect(error.status).toBe(400);
  expect(error.error).toBe('invalid_request');
  expect(error.headers['WWW-Authenticate']).toMatch(
    /^Bearer realm="[^"]+", error="invalid_request", error_description="(?:[^"\\]|\\.)+"$/,
  );
  expect(error.toJSON()).toEqual({ error: 'invalid_request', error_description: error.message });
}

const get = (headers: RequestLike['headers'], extra: Partial<RequestLike> = {}): RequestLike => ({
  method: 'GET',
  url: '/orders',
  headers,
  ...extra,
});

/** A request whose query the framework parsed (its url, as always, still has the `?`). */
const parsed = (query: unknown): Partial<RequestLike> => ({ url: '/orders?(parsed)', query });

const FORM = 'application/x-www-form-urlencoded';

describe('Authorization header', () => {
  it('extracts the token of a Bearer credential', () => {
    expect(extractBearerToken(get({ authorization: `Bearer ${TOKEN}` }))).toBe(TOKEN);
  });

  // RFC 7235 §2.1: the auth scheme is case-insensitive.
  it.each(['bearer', 'BEARER', 'BeArEr'])('accepts the scheme spelled %s', (scheme) => {
    expect(extractBearerToken(get({ authorization: `${scheme} ${TOKEN}` }))).toBe(TOKEN);
  });

  it('finds the header whatever the case of its name', () => {
    expect(extractBearerToken(get({ Authorization: `Bearer ${TOKEN}` }))).toBe(TOKEN);
    expect(extractBearerToken(get({ AUTHORIZATION: `Bearer ${TOKEN}` }))).toBe(TOKEN);
  });

  it('tolerates several spaces and surrounding whitespace', () => {
    expect(extractBearerToken(get({ authorization: `  Bearer   ${TOKEN}  ` }))).toBe(TOKEN);
  });

  // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  it('accepts every b64token character and trailing padding', () => {
    const token = 'aZ09-._~+/==';
    expect(extractBearerToken(get({ authorization: `Bearer ${token}` }))).toBe(token);
  });

  it('accepts a one-element header array', () => {
    expect(extractBearerToken(get({ authorization: [`Bearer ${TOKEN}`] }))).toBe(TOKEN);
  });

  it('answers 401 ERR_TOKEN_MISSING with a bare challenge when there is no header', () => {
    expectMissing(thrown(get({})));
    expectMissing(thrown(get({ authorization: undefined })));
    expectMissing(thrown(get({ authorization: [] })));
    expectMissing(thrown(get({ authorization: '' })));
  });

  it.each(['Basic dXNlcjpwYXNz', 'DPoP abc.def.ghi', 'Digest username="x"', 'Bearerx abc'])(
    'treats another scheme (%s) as no token',
    (authorization) => {
      expectMissing(thrown(get({ authorization })));
    },
  );

  it.each([`Bearer\t${TOKEN}`, `bearer\t\t${TOKEN}`, `BEARER\v${TOKEN}`])(
    'answers 400 to a bearer credential not separated by spaces %j (RFC 7235 §2.1)',
    (authorization) => {
      expectInvalidRequest(thrown(get({ authorization })), 'ERR_REQUEST_MALFORMED');
    },
  );

  it('still treats another scheme followed by a tab as no bearer token', () => {
    expectMissing(thrown(get({ authorization: 'Basic\tdXNlcjpwYXNz' })));
  });

  it.each(['Bearer', 'Bearer ', 'Bearer    ', 'bearer'])(
    'answers 400 to an empty bearer credential %j',
    (authorization) => {
      expectInvalidRequest(thrown(get({ authorization })), 'ERR_REQUEST_MALFORMED');
    },
  );

  it.each([
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['a comma list', `Bearer ${TOKEN},${TOKEN}`],
    ['a quoted token', `Bearer "${TOKEN}"`],
    ['padding in the middle', 'Bearer abc=def'],
    ['a non-ASCII character', 'Bearer abc\u00e9'],
    ['an auth-param', 'Bearer token="abc"'],
  ])('answers 400 to malformed credentials: %s', (_, authorization) => {
    const error = thrown(get({ authorization }));
    expectInvalidRequest(error, 'ERR_REQUEST_MALFORMED');
    expect(error.message).not.toContain(TOKEN);
  });

  it('SD-29: answers 400 to two Authorization headers', () => {
    const error = thrown(get({ authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] }));
    expectInvalidRequest(error, 'ERR_REQUEST_MULTIPLE_TOKENS');
  });

  it('answers 400 to two Authorization headers even when neither is Bearer', () => {
    const error = thrown(get({ authorization: ['Basic a', 'Basic b'] }));
    expectInvalidRequest(error, 'ERR_REQUEST_MULTIPLE_TOKENS');
  });
});

describe('query string (RFC 6750 §2.3)', () => {
  it('is off by default: a token only there is a 400', () => {
    const fromUrl = thrown(get({}, { url: `/orders?access_token=${TOKEN}` }));
    expectInvalidRequest(fromUrl, 'ERR_REQUEST_TOKEN_LOCATION_DISABLED');
    expect(fromUrl.message).toContain('tokenSources.query');
    const fromQuery = thrown(get({}, parsed({ access_token: TOKEN })));
    expectInvalidRequest(fromQuery, 'ERR_REQUEST_TOKEN_LOCATION_DISABLED');
  });

  it('when enabled, reads request.query', () => {
    const request = get({}, parsed({ access_token: TOKEN, page: '2' }));
    expect(extractBearerToken(request, { query: true })).toBe(TOKEN);
  });

  it('when enabled, reads a null-prototype query object (Express 5)', () => {
    const query = Object.assign(Object.create(null) as object, { access_token: TOKEN });
    expect(extractBearerToken(get({}, parsed(query)), { query: true })).toBe(TOKEN);
  });

  it('when enabled and there is no request.query, parses the url', () => {
    const request = get({}, { url: `/orders?page=2&access_token=${encodeURIComponent(TOKEN)}` });
    expect(extractBearerToken(request, { query: true })).toBe(TOKEN);
  });

  it('prefers request.query over the url', () => {
    // A framework that parsed the query owns it; the raw url is not read twice.
    const request = get({}, { url: `/orders?access_token=${TOKEN}`, query: {} });
    expectMissing(thrown(request, { query: true }));
  });

  it('treats a url without a query, or a query without access_token, as no token', () => {
    expectMissing(thrown(get({}, { url: '/orders' }), { query: true }));
    expectMissing(thrown(get({}, { url: '/orders?page=1' }), { query: true }));
    expectMissing(thrown({ headers: {} }, { query: true }));
  });

  it('does not read request.query when the url has no query', () => {
    // Express computes req.query on every read; a request-target without '?' has no query.
    let reads = 0;
    const request = (url: string | undefined): RequestLike => ({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${TOKEN}` },
      get query() {
        reads++;
        return { access_token: TOKEN };
      },
    });
    expect(extractBearerToken(request('/orders'), { query: true })).toBe(TOKEN);
    expect(reads).toBe(0);
    // With a '?' (or no url to look at), the parsed query is read and the clash is found.
    expectInvalidRequest(thrown(request('/orders?x')), 'ERR_REQUEST_MULTIPLE_TOKENS');
    expect(reads).toBe(1);
    expectInvalidRequest(thrown(request(undefined)), 'ERR_REQUEST_MULTIPLE_TOKENS');
    expect(reads).toBe(2);
  });

  it('does not read an inherited access_token', () => {
    const query = Object.create({ access_token: TOKEN }) as object;
    expectMissing(thrown(get({}, parsed(query)), { query: true }));
  });

  it('answers 400 to duplicate access_token parameters in the url', () => {
    const request = get({}, { url: `/orders?access_token=${TOKEN}&access_token=${TOKEN}` });
    expectInvalidRequest(thrown(request, { query: true }), 'ERR_REQUEST_MULTIPLE_TOKENS');
    // Even when the source is off: the request is ambiguous either way.
    expectInvalidRequest(thrown(request), 'ERR_REQUEST_MULTIPLE_TOKENS');
  });

  it.each([
    ['an array (duplicates parsed by qs)', [TOKEN, TOKEN]],
    ['an object', { a: TOKEN }],
    ['a number', 1],
  ])('answers 400 to a parsed access_token that is %s', (_, access_token) => {
    const error = thrown(get({}, parsed({ access_token })), { query: true });
    expectInvalidRequest(error, 'ERR_REQUEST_MULTIPLE_TOKENS');
  });

  it('answers 400 to an empty access_token', () => {
    const error = thrown(get({}, { url: '/orders?access_token=' }), { query: true });
    expectInvalidRequest(error, 'ERR_REQUEST_MALFORMED');
  });
});

describe('form body (RFC 6750 §2.2)', () => {
  const post = (body: unknown, contentType: string | undefined = FORM, method = 'POST') =>
    ({
      method,
      url: '/orders',
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body,
    }) satisfies RequestLike;

  it('is off by default: a token only there is a 400', () => {
    const error = thrown(post({ access_token: TOKEN }));
    expectInvalidRequest(error, 'ERR_REQUEST_TOKEN_LOCATION_DISABLED');
    expect(error.message).toContain('tokenSources.body');
  });

  it('when enabled, reads a form-urlencoded POST body', () => {
    expect(extractBearerToken(post({ access_token: TOKEN }), { body: true })).toBe(TOKEN);
    expect(
      extractBearerToken(post({ access_token: TOKEN }, `${FORM}; charset=UTF-8`), { body: true }),
    ).toBe(TOKEN);
    expect(
      extractBearerToken(post({ access_token: TOKEN }, 'Application/X-WWW-Form-Urlencoded'), {
        body: true,
      }),
    ).toBe(TOKEN);
  });

  it('when enabled, refuses a form body on GET', () => {
    const error = thrown(post({ access_token: TOKEN }, FORM, 'GET'), { body: true });
    expectInvalidRequest(error, 'ERR_REQUEST_MALFORMED');
  });

  it('treats a body without access_token, or no body, as no token', () => {
    expectMissing(thrown(post({ name: 'x' }), { body: true }));
    expectMissing(thrown(post(undefined), { body: true }));
    expectMissing(thrown(post('access_token=abc'), { body: true }));
  });

  it('answers 400 to duplicate form fields', () => {
    const error = thrown(post({ access_token: [TOKEN, TOKEN] }), { body: true });
    expectInvalidRequest(error, 'ERR_REQUEST_MULTIPLE_TOKENS');
  });
});

describe('a body that is not form-encoded', () => {
  // RFC 6750 §2.2 defines the access_token *form* parameter only. In a JSON body, an
  // access_token member is application data (say, a third-party token the API stores), not a
  // token location, so it must neither clash with the header nor stand in for it.
  const json = (headers: RequestLike['headers']): RequestLike => ({
    method: 'POST',
    url: '/integrations',
    headers: { 'content-type': 'application/json', ...headers },
    body: { access_token: 'third-party-token' },
  });

  it('does not clash with the Authorization header', () => {
    const request = json({ authorization: `Bearer ${TOKEN}` });
    expect(extractBearerToken(request)).toBe(TOKEN);
    expect(extractBearerToken(request, { body: true })).toBe(TOKEN);
  });

  it('is no token at all without a header (401, not 400)', () => {
    expectMissing(thrown(json({})));
    expectMissing(thrown(json({}), { body: true }));
    expectMissing(thrown({ ...json({}), headers: {} }, { body: true }));
  });
});

describe('more than one place (RFC 6750 §2)', () => {
  const header = { authorization: `Bearer ${TOKEN}` };

  it.each<[string, Partial<RequestLike>, TokenSourcesOptions]>([
    ['header and query, query off', { url: `/o?access_token=${TOKEN}` }, {}],
    ['header and query, query on', parsed({ access_token: TOKEN }), { query: true }],
    ['header and form body, body off', { method: 'POST', body: { access_token: TOKEN } }, {}],
    [
      'query and form body',
      { method: 'POST', url: `/o?access_token=${TOKEN}`, body: { access_token: TOKEN } },
      { query: true, body: true },
    ],
  ])('answers 400 ERR_REQUEST_MULTIPLE_TOKENS: %s', (_, extra, sources) => {
    const withForm = { ...header, 'content-type': FORM };
    const error = thrown(get(withForm, extra), sources);
    expectInvalidRequest(error, 'ERR_REQUEST_MULTIPLE_TOKENS');
  });

  it('SD-29: answers 400 for a token in the query and in the body with no header at all', () => {
    const request = get(
      { 'content-type': FORM },
      { method: 'POST', url: `/o?access_token=${TOKEN}`, body: { access_token: TOKEN } },
    );
    expectInvalidRequest(thrown(request), 'ERR_REQUEST_MULTIPLE_TOKENS');
  });
});

describe('verifier.verifyRequest', () => {
  it('verifies the token from the Authorization header', async () => {
    const v = await verifier();
    const token = await mint(claims());
    const result = await v.verifyRequest(get({ authorization: `Bearer ${token}` }), {
      currentDate: NOW,
    });
    expect(result.token).toBe(token);
    expect(result.audience).toEqual([AUDIENCE]);
  });

  it('verifies a token from an enabled query source', async () => {
    const v = await verifier({ tokenSources: { query: true } });
    const token = await mint(claims());
    const result = await v.verifyRequest(get({}, { url: `/orders?access_token=${token}` }), {
      currentDate: NOW,
    });
    expect(result.token).toBe(token);
  });

  it('verifies a token from an enabled form body', async () => {
    const v = await verifier({ tokenSources: { body: true } });
    const token = await mint(claims());
    const request = {
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': FORM },
      body: { access_token: token },
    };
    await expect(v.verifyRequest(request, { currentDate: NOW })).resolves.toMatchObject({
      token,
    });
  });

  it('keeps query and body off unless asked', async () => {
    const v = await verifier();
    const token = await mint(claims());
    const error = await rejection(v.verifyRequest(get({}, parsed({ access_token: token }))));
    expectInvalidRequest(error, 'ERR_REQUEST_TOKEN_LOCATION_DISABLED');
  });

  it('sets the verifier realm on extraction errors', async () => {
    const v = await verifier({ realm: 'orders' });
    expect(v.realm).toBe('orders');
    expectMissing(await rejection(v.verifyRequest(get({}))), 'orders');
    const malformed = await rejection(v.verifyRequest(get({ authorization: 'Bearer' })));
    expect(malformed.headers['WWW-Authenticate']).toMatch(/^Bearer realm="orders", error=/);
  });

  it('answers 401 invalid_token for a bad token, with the realm', async () => {
    const v = await verifier({ realm: 'orders' });
    const error = await rejection(v.verifyRequest(get({ authorization: `Bearer ${TOKEN}` })));
    expect(error.status).toBe(401);
    expect(error.error).toBe('invalid_token');
    expect(error.headers['WWW-Authenticate']).toMatch(
      /^Bearer realm="orders", error="invalid_token", error_description="/,
    );
    expect(error.headers['WWW-Authenticate']).not.toContain(TOKEN);
  });

  it('rejects a realm option that is empty or not a string', async () => {
    await expect(verifier({ realm: '' })).rejects.toThrow(/^realm:/);
    await expect(verifier({ realm: 1 as unknown as string })).rejects.toThrow(/^realm:/);
  });
});
