/**
 * JWT introspection responses (RFC 9701, option `introspection.responseFormat: 'jwt'`) against
 * the real test authorization server on 127.0.0.1, which signs its answers with jose and
 * publishes its key at /jwks: a signed answer and a signed-then-encrypted one are accepted and
 * their `token_introspection` member becomes the AccessToken; every answer that breaks one rule
 * of RFC 9701 §5 (or of the option) is a 503 ERR_INTROSPECTION_UNAVAILABLE whose cause names the
 * broken check, never an acceptance.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  createVerifier,
  IntrospectionUnavailableError,
  KeysUnavailableError,
  type IntrospectionOptions,
  type VerifierOptions,
} from '@tokenward/core';
import type { FetchJSONError } from '../../src/lib/fetch-json';
import type { JWTResponseCheck, JWTResponseError } from '../../src/introspection/jwt-response';
import {
  JWT_MEDIA_TYPE,
  json,
  startAuthorizationServer,
  type Answer,
  type TestAuthorizationServer,
} from './authorization-server';
import { activeAnswer, AUDIENCE, nowSeconds, opaqueToken, outcome, refusal } from './fixtures';

let as: TestAuthorizationServer;
/** The resource server's own RSA key pair: its decryptionKeys, and what the server encrypts to. */
let ours: { publicKey: KeyObject; privateKey: KeyObject };
const OUR_KID = 'rs-enc-1';

beforeAll(async () => {
  as = await startAuthorizationServer();
  ours = generateKeyPairSync('rsa', { modulusLength: 2048 });
});
afterAll(() => as.close());

/** An RFC 7662 active answer from the server's issuer for this API, `overrides` merged over it. */
const active = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  activeAnswer(as.url, overrides);

/** A verifier trusting the server as its one issuer (keys from /jwks), asking for JWT answers. */
const verifier = (
  introspection: Partial<IntrospectionOptions> = {},
  overrides: Partial<VerifierOptions> = {},
) =>
  createVerifier({
    issuer: as.url,
    audience: AUDIENCE,
    jwksUri: as.jwksUri,
    decryptionKeys: { ...ours.privateKey.export({ format: 'jwk' }), kid: OUR_KID },
    metrics: false,
    introspection: {
      endpoint: as.endpoint,
      clientId: as.clientId,
      clientSecret: as.clientSecret,
      responseFormat: 'jwt',
      ...introspection,
    },
    ...overrides,
  });

/** The server's answer to a new opaque token is `answer`; resolves with that token. */
const answering = (answer: Record<string, unknown> | Answer): string => {
  const token = opaqueToken();
  as.answer(token, answer);
  return token;
};

const encryptedToUs = () => ({ key: ours.publicKey, kid: OUR_KID });

/** base64url of a JSON value, for hand-made JWTs. */
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Swaps the claims of a compact JWS for `claims`, keeping its header and signature. */
const withClaims =
  (claims: (original: Record<string, unknown>) => Record<string, unknown>) => (jwt: string) => {
    const [header, payload, signature] = jwt.split('.');
    const original = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    return `${header}.${segment(claims(original as Record<string, unknown>))}.${signature}`;
  };

describe('accepted JWT answers', () => {
  it('asks for application/token-introspection+jwt and maps a signed answer like a JSON one', async () => {
    const response = active({ scope: 'orders:read orders:write', sub: 'bob', client_id: 'shop' });
    const token = answering(as.jwt(response));
    const v = verifier();
    const accessToken = await v.verify(token);

    expect(as.last!.headers.accept).toBe(JWT_MEDIA_TYPE);
    expect(accessToken).toMatchObject({
      token,
      issuer: as.url,
      subject: 'bob',
      clientId: 'shop',
      audience: [AUDIENCE],
      header: {},
    });
    expect([...accessToken.scopes]).toEqual(['orders:read', 'orders:write']);
    // The claims are the token_introspection member, not the JWT that carried it.
    expect(accessToken.claims).toEqual(response);
    // The answer is cached as a JSON one is: the second verification asks nobody.
    expect(await outcome(v.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(1);
  });

  it('accepts a signed-then-encrypted answer (JWE with cty JWT, iss and aud replicated)', async () => {
    const token = answering(
      as.jwt(active({ sub: 'carol' }), {
        encryptTo: { ...encryptedToUs(), header: { iss: as.url, aud: as.clientId } },
      }),
    );
    const accessToken = await verifier().verify(token);
    expect(accessToken.subject).toBe('carol');
    expect([...accessToken.scopes]).toEqual(['messages:read', 'messages:write']);
  });

  it('requireEncryptedResponse: an encrypted answer passes, a signed-only one is refused', async () => {
    const v = verifier({ requireEncryptedResponse: true });
    const encrypted = answering(as.jwt(active(), { encryptTo: encryptedToUs() }));
    expect(await outcome(v.verify(encrypted))).toBe('accepted');
    const signedOnly = answering(as.jwt(active()));
    expect(await unavailableCheck(v.verify(signedOnly))).toBe('encryption-required');
  });

  it('accepts an aud array holding our client id, a media type with parameters, and application/ in typ', async () => {
    const token = answering(
      as.jwt(active(), {
        claims: { aud: ['https://other.tokenward.test', as.clientId] },
        header: { typ: 'application/token-introspection+jwt' },
        contentType: 'application/token-introspection+jwt; charset=utf-8',
      }),
    );
    expect(await outcome(verifier().verify(token))).toBe('accepted');
  });

  it('discovers both the endpoint and the signing keys from the metadata', async () => {
    const token = answering(as.jwt(active()));
    const v = verifier({ endpoint: undefined }, { jwksUri: undefined, discovery: true });
    expect(await outcome(v.verify(token))).toBe('accepted');
  });

  it('concurrent verifications of one token share one request', async () => {
    const token = answering(as.jwt(active()));
    const v = verifier();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => outcome(v.verify(token))));
    expect(new Set(outcomes)).toEqual(new Set(['accepted']));
    expect(as.requests(token)).toBe(1);
  });
});

/** The check a verification refused with: a 503 whose cause is a JWTResponseError. */
async function unavailableCheck(pending: Promise<unknown>): Promise<JWTResponseCheck> {
  const error = await refusal(pending);
  expect(error).toBeInstanceOf(IntrospectionUnavailableError);
  expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
  expect(error.headers).toEqual({ 'Retry-After': '1' });
  const cause = error.cause as JWTResponseError;
  expect(cause.name).toBe('JWTResponseError');
  expect(cause.message).toContain(as.endpoint);
  return cause.check;
}

describe('refused JWT answers (503, never active)', () => {
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const notOurs = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const unsigned = (claims: Record<string, unknown>, signature: string) =>
    `${segment({ alg: 'none', typ: 'token-introspection+jwt' })}.${segment(claims)}.${signature}`;
  const raw =
    (text: string): Answer =>
    (_request, response) => {
      response.writeHead(200, { 'content-type': JWT_MEDIA_TYPE });
      response.end(text);
    };

  const cases: Array<[string, JWTResponseCheck, () => Answer, Partial<VerifierOptions>?]> = [
    ['a plain JSON answer', 'content-type', () => json(active())],
    [
      'a JWT sent as application/jwt',
      'content-type',
      () => as.jwt(active(), { contentType: 'application/jwt' }),
    ],
    ['a JWT sent without a content type', 'content-type', () => noContentType(as.jwt(active()))],
    ['typ JWT', 'typ', () => as.jwt(active(), { header: { typ: 'JWT' } })],
    ['typ at+jwt', 'typ', () => as.jwt(active(), { header: { typ: 'at+jwt' } })],
    ['no typ', 'typ', () => as.jwt(active(), { header: { typ: undefined } })],
    [
      'another iss',
      'iss',
      () => as.jwt(active(), { claims: { iss: 'https://evil.tokenward.test' } }),
    ],
    ['no iss', 'iss', () => as.jwt(active(), { claims: { iss: undefined } })],
    [
      'an aud of another client',
      'aud',
      () => as.jwt(active(), { claims: { aud: 'another-client' } }),
    ],
    ['the API as aud', 'aud', () => as.jwt(active(), { claims: { aud: [AUDIENCE] } })],
    ['no aud', 'aud', () => as.jwt(active(), { claims: { aud: undefined } })],
    [
      'alg none, unsigned',
      'compact',
      () =>
        raw(
          unsigned(
            { iss: as.url, aud: as.clientId, iat: nowSeconds(), token_introspection: active() },
            '',
          ),
        ),
    ],
    [
      'alg none with a signature segment',
      'signature',
      () =>
        raw(
          unsigned(
            { iss: as.url, aud: as.clientId, iat: nowSeconds(), token_introspection: active() },
            'c2ln',
          ),
        ),
    ],
    [
      'a signature by a key not at /jwks (same kid)',
      'signature',
      () => as.jwt(active(), { signWith: stranger }),
    ],
    [
      'a signature by a key not at /jwks (unknown kid)',
      'signature',
      () => as.jwt(active(), { signWith: stranger, header: { kid: 'elsewhere' } }),
    ],
    [
      'a tampered payload (scope widened after signing)',
      'signature',
      () =>
        as.jwt(active({ scope: 'messages:read' }), {
          alter: withClaims((claims) => ({
            ...claims,
            token_introspection: {
              ...(claims.token_introspection as object),
              scope: 'messages:read admin',
            },
          })),
        }),
    ],
    [
      'a key in the header (jwk)',
      'signature',
      () => as.jwt(active(), { header: { jwk: { kty: 'EC' } } }),
    ],
    [
      'no token_introspection member',
      'token_introspection',
      () => as.jwt(active(), { claims: { token_introspection: undefined } }),
    ],
    [
      'the answer at the top level instead',
      'token_introspection',
      () => as.jwt(undefined, { claims: active({ iss: as.url, aud: as.clientId }) }),
    ],
    ['token_introspection a string', 'token_introspection', () => as.jwt('{"active":true}')],
    ['token_introspection an array', 'token_introspection', () => as.jwt([active()])],
    ['iat 10 minutes old', 'iat', () => as.jwt(active(), { claims: { iat: nowSeconds() - 600 } })],
    [
      'iat 10 minutes ahead',
      'iat',
      () => as.jwt(active(), { claims: { iat: nowSeconds() + 600 } }),
    ],
    ['no iat', 'iat', () => as.jwt(active(), { claims: { iat: undefined } })],
    ['iat a string', 'iat', () => as.jwt(active(), { claims: { iat: String(nowSeconds()) } })],
    [
      'an exp that has passed',
      'exp',
      () => as.jwt(active(), { claims: { exp: nowSeconds() - 600 } }),
    ],
    ['a garbage body', 'compact', () => raw('<html>introspection</html>')],
    ['an empty body', 'compact', () => raw('')],
    [
      'a JWE encrypted to a key we do not hold',
      'decryption',
      () => as.jwt(active(), { encryptTo: { key: notOurs, kid: OUR_KID } }),
    ],
    [
      'a JWE that does not announce a JWT inside (no cty)',
      'decryption',
      () => as.jwt(active(), { encryptTo: { ...encryptedToUs(), header: { cty: undefined } } }),
    ],
    [
      'a JWE whose header replicates another iss',
      'replicated-claims',
      () =>
        as.jwt(active(), {
          encryptTo: { ...encryptedToUs(), header: { iss: 'https://evil.tokenward.test' } },
        }),
    ],
    [
      'a JWE whose key management algorithm keyManagementAlgorithms does not list',
      'decryption',
      () => as.jwt(active(), { encryptTo: encryptedToUs() }),
      { keyManagementAlgorithms: ['RSA-OAEP'] },
    ],
    [
      'a signature algorithm the issuer is not configured with',
      'signature',
      () => as.jwt(active()),
      { algorithms: ['RS256'] },
    ],
  ];

  it.each(cases)('%s: refused at check %s', async (_name, check, answer, overrides = {}) => {
    const token = answering(answer());
    expect(await unavailableCheck(verifier({}, overrides).verify(token))).toBe(check);
    expect(as.requests(token)).toBe(1);
  });

  it('a JWE is refused when the verifier has no decryption keys', async () => {
    const token = answering(as.jwt(active(), { encryptTo: encryptedToUs() }));
    const v = verifier({}, { decryptionKeys: undefined });
    expect(await unavailableCheck(v.verify(token))).toBe('decryption');
  });

  it('a failed answer is not cached: the next verification asks again', async () => {
    const token = answering(as.jwt(active(), { claims: { aud: 'another-client' } }));
    const v = verifier();
    expect(await unavailableCheck(v.verify(token))).toBe('aud');
    as.answer(token, as.jwt(active()));
    expect(await outcome(v.verify(token))).toBe('accepted');
    expect(as.requests(token)).toBe(2);
  });

  it('responseMaxAge bounds the age of iat (beyond clockTolerance)', async () => {
    const twentySecondsOld = () => as.jwt(active(), { claims: { iat: nowSeconds() - 20 } });
    const strict = verifier({ responseMaxAge: 5 }, { clockTolerance: 0 });
    expect(await unavailableCheck(strict.verify(answering(twentySecondsOld())))).toBe('iat');
    const lenient = verifier({ responseMaxAge: 30 }, { clockTolerance: 0 });
    expect(await outcome(lenient.verify(answering(twentySecondsOld())))).toBe('accepted');
    // The default is `timeout` (5 s) plus clockTolerance (30 s).
    expect(await outcome(verifier().verify(answering(twentySecondsOld())))).toBe('accepted');
    const fortySecondsOld = as.jwt(active(), { claims: { iat: nowSeconds() - 40 } });
    expect(await unavailableCheck(verifier().verify(answering(fortySecondsOld)))).toBe('iat');
  });

  it('signing keys that cannot be fetched are a 503 too', async () => {
    const token = answering(as.jwt(active()));
    const keys = as.jwks;
    as.jwks = undefined;
    try {
      const error = await refusal(verifier().verify(token));
      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      const cause = error.cause as JWTResponseError;
      expect(cause.check).toBe('signature');
      expect(cause.cause).toBeInstanceOf(KeysUnavailableError);
    } finally {
      as.jwks = keys;
    }
  });

  it('an error status is a 503, as for a JSON answer', async () => {
    const token = answering(json({ error: 'server_error' }, 500));
    const error = await refusal(verifier().verify(token));
    expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect((error.cause as FetchJSONError).reason).toBe('status');
  });

  it('no error repeats the token, the secret or a claim of the answer', async () => {
    const marker = `subject-${randomBytes(6).toString('hex')}`;
    const answers = [
      as.jwt(active({ sub: marker }), { claims: { aud: marker } }),
      as.jwt(active({ sub: marker }), { claims: { iss: marker } }),
      as.jwt(active({ sub: marker }), { header: { typ: marker } }),
      as.jwt(active({ sub: marker }), { signWith: stranger, header: { kid: marker } }),
    ];
    for (const answer of answers) {
      const token = answering(answer);
      const error = await refusal(verifier().verify(token));
      const messages: string[] = [JSON.stringify(error)];
      for (let e: unknown = error; e instanceof Error; e = e.cause) messages.push(e.message);
      const text = messages.join(' ');
      expect(text).not.toContain(marker);
      expect(text).not.toContain(token);
      expect(text).not.toContain(as.clientSecret);
    }
  });
});

describe('the active member of a JWT answer (RFC 7662 §2.2)', () => {
  it.each([
    ['active: "true" (a string)', { active: 'true' }],
    ['active: false', { active: false }],
    ['no active member', { active: undefined }],
  ])('%s in a valid signed answer is 401 ERR_TOKEN_INACTIVE', async (_name, change) => {
    const token = answering(as.jwt(active(change)));
    const error = await refusal(verifier().verify(token));
    expect(`${error.status} ${error.code}`).toBe('401 ERR_TOKEN_INACTIVE');
  });
});

/** `answer` with its Content-Type header removed. */
function noContentType(answer: Answer): Answer {
  return (request, response) => {
    const writeHead = response.writeHead.bind(response);
    response.writeHead = ((status: number) => writeHead(status)) as typeof response.writeHead;
    return answer(request, response);
  };
}
