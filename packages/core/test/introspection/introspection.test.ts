/**
 * Token introspection (RFC 7662) through createVerifier against a real authorization server on
 * 127.0.0.1: the request and both client authentication methods as the server checks them, every
 * response rule (each bad answer a 401 or a 503 with its exact code, never an acceptance, a 500
 * or a hang), the routing of opaque tokens and JWTs, discovery of the endpoint, and the error
 * boundary (realm, challenge, onRejection).
 */
import {
  createVerifier,
  IntrospectionUnavailableError,
  ServiceUnavailableError,
  type RejectionEvent,
} from '@tokenward/core';
import type { FetchJSONError } from '../../src/lib/fetch-json';
import { json, raw, stall, startAuthorizationServer, type Answer } from './authorization-server';
import {
  AUDIENCE,
  nowSeconds,
  opaqueToken,
  outcome,
  refusal,
  useSetup,
  type Setup,
} from './fixtures';

const setup: Setup = useSetup();

describe('the introspection request', () => {
  it('POSTs the token with client_secret_basic (form-urlencoded id and secret) and maps the answer', async () => {
    const { as } = setup;
    const token = opaqueToken();
    const response = setup.active({ scope: 'messages:read  admin', client_id: 'web-app' });
    as.answer(token, response);
    const accessToken = await setup.verifier().verify(token);

    expect(as.requests(token)).toBe(1);
    const seen = as.last!;
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers.accept).toBe('application/json');
    // The server decoded the Basic credentials it knows; nothing of them is in the body.
    expect(seen.headers.authorization).toMatch(/^Basic /);
    expect([...seen.form.keys()].sort()).toEqual(['token', 'token_type_hint']);
    expect(seen.form.get('token_type_hint')).toBe('access_token');
    expect(accessToken).toMatchObject({
      token,
      issuer: as.url,
      subject: 'alice',
      clientId: 'web-app',
      audience: [AUDIENCE],
      binding: { scheme: 'bearer' },
      header: {},
    });
    expect([...accessToken.scopes]).toEqual(['messages:read', 'admin']);
    expect(accessToken.expiresAt.getTime()).toBe((response.exp as number) * 1000);
    expect(accessToken.issuedAt?.getTime()).toBe((response.iat as number) * 1000);
    expect(accessToken.claims).toEqual(response);
    expect(Object.isFrozen(accessToken)).toBe(true);
  });

  it('client_secret_post: the id and secret in the body, no Authorization header', async () => {
    const { as } = setup;
    as.authMethod = 'client_secret_post';
    const token = opaqueToken();
    as.answer(token, setup.active());
    const verifier = setup.verifier({ clientAuthentication: 'client_secret_post' });
    expect(await outcome(verifier.verify(token))).toBe('accepted');
    expect(as.last!.headers.authorization).toBeUndefined();
    expect(as.last!.form.get('client_id')).toBe(as.clientId);
    expect(as.last!.form.get('client_secret')).toBe(as.clientSecret);
  });

  it.each([
    ['client_secret_basic', 'client_secret_post', {}],
    ['client_secret_post', 'client_secret_basic', {}],
    ['client_secret_basic', 'client_secret_basic', { clientSecret: 'not-the-secret' }],
    ['client_secret_basic', 'client_secret_basic', { clientId: 'resource server' }],
  ] as const)(
    'the server refusing the client (%s sent, %s expected, %j) is a 503, not an active',
    async (sent, expected, credentials) => {
      const { as } = setup;
      as.authMethod = expected;
      const token = opaqueToken();
      as.answer(token, setup.active());
      const verifier = setup.verifier({ clientAuthentication: sent, ...credentials });
      const error = await refusal(verifier.verify(token));
      expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
      expect((error.cause as FetchJSONError).status).toBe(401);
      expect(as.requests(token)).toBe(0);
    },
  );
});

describe('the response rules', () => {
  const bigAnswer: Answer = json({ active: true, padding: 'x'.repeat(300 * 1024) });
  const redirectAway: Answer = (_request, response) => {
    response.writeHead(302, { location: `${setup.as.url}/elsewhere` });
    response.end();
  };
  const unavailable: Array<[string, () => Answer, FetchJSONError['reason']]> = [
    ['a body that is not JSON', () => raw('{"active": true'), 'invalid-json'],
    ['a JSON array', () => json([{ active: true }]), 'invalid-json'],
    ['two active members', () => raw('{"active": true, "active": false}'), 'invalid-json'],
    ['a body over the size cap', () => bigAnswer, 'too-large'],
    ['a 302 redirect', () => redirectAway, 'redirect'],
    ['a 500', () => json({ active: true }, 500), 'status'],
    ['a hang past the timeout', () => stall, 'timeout'],
  ];

  it.each(unavailable)('%s is 503 ERR_INTROSPECTION_UNAVAILABLE', async (_name, answer, reason) => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, answer());
    const verifier = setup.verifier({ timeout: 0.3 });
    const started = Date.now();
    const error = await refusal(verifier.verify(token));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect(error.headers).toEqual({ 'Retry-After': '1' });
    expect((error.cause as FetchJSONError).reason).toBe(reason);
    expect(as.requests(token)).toBe(1);
    // A redirect is not followed: its target would have said "active".
    expect(as.hits('/elsewhere')).toBe(0);
  });

  it('an endpoint that is down is 503 ERR_INTROSPECTION_UNAVAILABLE', async () => {
    const gone = await startAuthorizationServer();
    await gone.close();
    const verifier = setup.verifier({ endpoint: gone.endpoint });
    const error = await refusal(verifier.verify(opaqueToken()));
    expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect((error.cause as FetchJSONError).reason).toBe('network');
  });

  const refused: Array<[string, string, () => Record<string, unknown>]> = [
    ['active: false', '401 ERR_TOKEN_INACTIVE', () => setup.active({ active: false })],
    ['active: "true" (a string)', '401 ERR_TOKEN_INACTIVE', () => setup.active({ active: 'true' })],
    ['active: 1', '401 ERR_TOKEN_INACTIVE', () => setup.active({ active: 1 })],
    ['no active member', '401 ERR_TOKEN_INACTIVE', () => setup.active({ active: undefined })],
    ['exp in the past', '401 ERR_TOKEN_EXPIRED', () => setup.active({ exp: nowSeconds() - 3600 })],
    ['no exp', '401 ERR_CLAIM_MISSING', () => setup.active({ exp: undefined })],
    [
      'an untrusted iss',
      '401 ERR_ISSUER_INVALID',
      () => setup.active({ iss: 'https://evil.tokenward.test' }),
    ],
    ['no iss', '401 ERR_ISSUER_INVALID', () => setup.active({ iss: undefined })],
    [
      'a wrong aud',
      '401 ERR_AUDIENCE_INVALID',
      () => setup.active({ aud: ['https://other-api.tokenward.test'] }),
    ],
    ['no aud', '401 ERR_CLAIM_MISSING', () => setup.active({ aud: undefined })],
    ['a scope that is not a string', '401 ERR_CLAIM_INVALID', () => setup.active({ scope: 7 })],
    ['a malformed cnf', '401 ERR_CLAIM_INVALID', () => setup.active({ cnf: { jkt: 'short' } })],
  ];

  it.each(refused)('%s is %s', async (_name, expected, response) => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, response());
    const error = await refusal(setup.verifier().verify(token));
    expect(`${error.status} ${error.code}`).toBe(expected);
    expect(error.error).toBe('invalid_token');
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });

  it('applies the claim rules of the issuer the answer names (its own audience)', async () => {
    const { as, issuer } = setup;
    const TENANT_A = 'https://tenant-a.tokenward.test';
    const TENANT_B_API = 'https://tenant-b.tokenward.test';
    const verifier = setup.verifier(
      {},
      {
        issuers: [
          { issuer: TENANT_A, keys: issuer.jwks, audience: AUDIENCE },
          { issuer: as.url, keys: issuer.jwks, audience: TENANT_B_API },
        ],
      },
    );
    const answers = [
      [{ iss: as.url, aud: TENANT_B_API }, 'accepted'],
      [{ iss: TENANT_A, aud: TENANT_B_API }, '401 ERR_AUDIENCE_INVALID'],
      [{ iss: TENANT_A, aud: AUDIENCE }, 'accepted'],
    ] as const;
    for (const [claims, expected] of answers) {
      const token = opaqueToken();
      as.answer(token, setup.active(claims));
      expect(await outcome(verifier.verify(token))).toBe(expected);
    }
  });

  it('requiredClaims and maxTokenLifetime hold for an introspected token as for a JWT', async () => {
    const { as } = setup;
    const noTenant = opaqueToken();
    as.answer(noTenant, setup.active());
    const tooLong = opaqueToken();
    as.answer(tooLong, setup.active({ tenant: 't1', exp: nowSeconds() + 7200 }));
    const verifier = setup.verifier({}, { requiredClaims: ['tenant'], maxTokenLifetime: 3600 });
    expect(await outcome(verifier.verify(noTenant))).toBe('401 ERR_CLAIM_MISSING');
    expect(await outcome(verifier.verify(tooLong))).toBe('401 ERR_TOKEN_LIFETIME_TOO_LONG');
  });

  it('an answer about a token that is not an access token (a refresh token presented) is refused', async () => {
    const { as } = setup;
    const verifier = setup.verifier();
    const cases: [Record<string, unknown>, string][] = [
      [{ token_type: 'refresh_token' }, '401 ERR_TOKEN_TYPE_INVALID'],
      [{ token_type: 42 }, '401 ERR_TOKEN_TYPE_INVALID'],
      [{ token_use: 'refresh_token' }, '401 ERR_TOKEN_TYPE_INVALID'], // Ory Hydra
      [{ typ: 'Refresh' }, '401 ERR_TOKEN_TYPE_INVALID'], // Keycloak
      [{ typ: 'Offline' }, '401 ERR_TOKEN_TYPE_INVALID'],
      [{ token_type: 'Bearer', typ: 'Bearer' }, 'accepted'],
      [{ token_type: 'DPoP', cnf: undefined }, 'accepted'],
      [{ token_use: 'access_token', token_type: undefined }, 'accepted'],
    ];
    for (const [members, expected] of cases) {
      const token = opaqueToken();
      as.answer(token, setup.active(members));
      expect([members, await outcome(verifier.verify(token))]).toEqual([members, expected]);
    }
  });

  it('scopes and client id: the RFC 7662 members first, then the claims profile', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(
      token,
      setup.active({ scope: 'a b', scp: ['c'], client_id: 'rfc7662', cid: 'okta', groups: ['g'] }),
    );
    const accessToken = await setup.verifier({}, { claims: 'okta' }).verify(token);
    expect([...accessToken.scopes].sort()).toEqual(['a', 'b', 'c']);
    expect(accessToken.clientId).toBe('rfc7662');
    expect([...accessToken.roles]).toEqual(['g']);
  });
});

describe('which tokens are introspected', () => {
  it("mode 'opaque' (default): a JWT is verified locally and never sent", async () => {
    const { as, issuer } = setup;
    const jwt = await issuer.issueSigned({ scope: 'messages:read' });
    const before = as.requests();
    expect(await outcome(setup.verifier().verify(jwt))).toBe('accepted');
    // A JWT that fails is not sent either: it is no opaque token.
    expect(await outcome(setup.verifier().verify(`${jwt.slice(0, -4)}AAAA`))).toBe(
      '401 ERR_JWS_SIGNATURE_INVALID',
    );
    expect(as.requests()).toBe(before);
  });

  it('without the option an opaque token fails as it always did, and nothing is sent', async () => {
    const { as, issuer } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active());
    const verifier = createVerifier(issuer.verifierOptions({ metrics: false }));
    expect(await outcome(verifier.verify(token))).toBe('401 ERR_TOKEN_MALFORMED');
    expect(as.requests(token)).toBe(0);
  });

  it('a string no server can have issued is refused without a request; an over-long one too', async () => {
    const { as } = setup;
    const before = as.requests();
    const verifier = setup.verifier({}, { maxTokenLength: 64 });
    expect(await outcome(verifier.verify('not a b64token'))).toBe('401 ERR_TOKEN_MALFORMED');
    expect(await outcome(verifier.verify(''))).toBe('401 ERR_TOKEN_MALFORMED');
    expect(await outcome(verifier.verify('x'.repeat(65)))).toBe('401 ERR_TOKEN_TOO_LONG');
    expect(as.requests()).toBe(before);
  });

  it('verifyRequest introspects a Bearer token from the Authorization header', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, setup.active());
    const verifier = setup.verifier();
    const accessToken = await verifier.verifyRequest({
      headers: { authorization: `Bearer ${token}` },
    });
    expect(accessToken.token).toBe(token);
    expect(as.requests(token)).toBe(1);
  });

  it("mode 'always': a JWT is verified, then must be active at the server", async () => {
    const { as, issuer } = setup;
    const verifier = setup.verifier({ mode: 'always' });
    const jwt = await issuer.issueSigned({ scope: 'messages:read' });
    as.answer(jwt, { active: true });
    const accessToken = await verifier.verify(jwt);
    expect(as.requests(jwt)).toBe(1);
    // The result is the verified JWT's, not the answer's.
    expect(accessToken.header.alg).toBe('RS256');
    expect([...accessToken.scopes]).toEqual(['messages:read']);

    const revokedThere = await issuer.issueSigned({});
    as.answer(revokedThere, { active: false });
    expect(await outcome(verifier.verify(revokedThere))).toBe('401 ERR_TOKEN_INACTIVE');
    const unanswered = await issuer.issueSigned({});
    as.answer(unanswered, json({ active: true }, 503));
    expect(await outcome(verifier.verify(unanswered))).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    // Its own verification comes first: a forged JWT is never sent.
    const forged = `${jwt.slice(0, -4)}AAAA`;
    expect(await outcome(verifier.verify(forged))).toBe('401 ERR_JWS_SIGNATURE_INVALID');
    expect(as.requests(forged)).toBe(0);
    // Opaque tokens are introspected as in 'opaque' mode.
    const token = opaqueToken();
    as.answer(token, setup.active());
    expect(await outcome(verifier.verify(token))).toBe('accepted');
  });
});

describe('discovery of the introspection endpoint', () => {
  it('reads introspection_endpoint from the RFC 8414 metadata once, for concurrent tokens too', async () => {
    const { as } = setup;
    const metadataHits = as.hits('/.well-known/oauth-authorization-server');
    const tokens = Array.from({ length: 20 }, opaqueToken);
    for (const token of tokens) as.answer(token, setup.active());
    const verifier = setup.verifier({ endpoint: undefined });
    const outcomes = await Promise.all(tokens.map((token) => outcome(verifier.verify(token))));
    expect(new Set(outcomes)).toEqual(new Set(['accepted']));
    expect(await outcome(verifier.verify(tokens[0]!))).toBe('accepted');
    expect(as.hits('/.well-known/oauth-authorization-server') - metadataHits).toBe(1);
    expect(tokens.map((token) => as.requests(token))).toEqual(tokens.map(() => 1));
  });

  it.each([
    ['another issuer', { issuer: 'https://other.tokenward.test' }, 'issuer mismatch'],
    [
      'no introspection_endpoint',
      { introspection_endpoint: undefined },
      'no introspection_endpoint',
    ],
    [
      'an endpoint elsewhere over plain http',
      { introspection_endpoint: 'http://introspect.tokenward.test/' },
      'must use https',
    ],
  ])('metadata naming %s is a 503, and nothing is sent', async (_name, change, message) => {
    const { as } = setup;
    as.metadata = { ...as.metadata, ...change };
    const before = as.requests();
    const error = await refusal(setup.verifier({ endpoint: undefined }).verify(opaqueToken()));
    expect(`${error.status} ${error.code}`).toBe('503 ERR_INTROSPECTION_UNAVAILABLE');
    expect((error.cause as Error).message).toContain(message);
    expect(as.requests()).toBe(before);
  });
});

describe('the error boundary', () => {
  it('a refusal carries the realm and reaches onRejection, the 503 without a challenge', async () => {
    const { as } = setup;
    const events: RejectionEvent[] = [];
    const verifier = setup.verifier(
      { timeout: 0.2 },
      { realm: 'orders', onRejection: (event) => void events.push(event) },
    );
    const inactive = opaqueToken();
    const hanging = opaqueToken();
    as.answer(hanging, stall);
    const first = await refusal(verifier.verify(inactive));
    expect(first.headers['WWW-Authenticate']).toBe(
      'Bearer realm="orders", error="invalid_token", error_description="the authorization server says the token is not active (token introspection)"',
    );
    const second = await refusal(
      verifier.verifyRequest({
        method: 'GET',
        url: '/orders',
        headers: { authorization: `Bearer ${hanging}` },
      }),
    );
    expect(second.headers).toEqual({ 'Retry-After': '1' });
    expect(second.toJSON()).toEqual({ error_description: second.message });
    expect(events).toEqual([
      { code: 'ERR_TOKEN_INACTIVE', status: 401, error: 'invalid_token' },
      {
        code: 'ERR_INTROSPECTION_UNAVAILABLE',
        status: 503,
        error: undefined,
        request: { method: 'GET', path: '/orders' },
      },
    ]);
  });

  it('the client secret and the token never appear in an error', async () => {
    const { as } = setup;
    const token = opaqueToken();
    as.answer(token, json({ error: 'server_error' }, 500));
    const error = await refusal(setup.verifier().verify(token));
    const text = [error.message, (error.cause as Error).message, JSON.stringify(error)].join(' ');
    expect(text).not.toContain(as.clientSecret);
    expect(text).not.toContain(token);
  });
});
