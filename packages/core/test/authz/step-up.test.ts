/**
 * Step-up authentication (authz/step-up.ts, RFC 9470): `requireStepUp` passes a token whose `acr`
 * is accepted and whose `auth_time` is recent enough, and otherwise throws
 * InsufficientUserAuthenticationError (401 `insufficient_user_authentication`) whose challenge
 * carries the route's `acr_values` and `max_age`. Tokens shaped like each preset's IdP are read
 * where that IdP puts the claims.
 */
import {
  createVerifier,
  InsufficientUserAuthenticationError,
  InvalidTokenError,
  requireStepUp,
  TokenwardError,
  type AccessToken,
  type Policy,
  type VerifierOptions,
} from '@tokenward/core';
import { claims, mint, NOW, NOW_S, testKey } from '../helpers/keys';

function accessToken(tokenClaims: Record<string, unknown>): AccessToken {
  return Object.freeze({
    token: 'not-a-real-token',
    claims: Object.freeze({ iss: 'https://issuer.example.com/', ...tokenClaims }),
    header: Object.freeze({ alg: 'RS256', typ: 'at+jwt' }),
    issuer: 'https://issuer.example.com/',
    binding: { scheme: 'bearer' } as const,
    audience: ['https://api.example.com'],
    scopes: new Set<string>(),
    roles: new Set<string>(),
    expiresAt: new Date(NOW.getTime() + 3600_000),
  });
}

// The policy reads the server's clock (Date.now), as the verifier does without a currentDate:
// pin it to NOW so ages are exact.
beforeEach(() => void jest.spyOn(Date, 'now').mockReturnValue(NOW.getTime()));
afterEach(() => jest.restoreAllMocks());

/** The error a policy throws for `token`. */
function refusal(policy: Policy, tokenClaims: Record<string, unknown>): TokenwardError {
  try {
    void policy(accessToken(tokenClaims));
  } catch (error) {
    expect(error).toBeInstanceOf(TokenwardError);
    return error as TokenwardError;
  }
  throw new Error('the policy passed');
}

const MFA = 'urn:example:loa:mfa';
const PHR = 'phr';

describe('acr', () => {
  const policy = requireStepUp({ acr: [MFA, PHR] });

  it('accepts a token whose acr is any of the listed values', () => {
    expect(policy(accessToken({ acr: MFA }))).toBeUndefined();
    expect(policy(accessToken({ acr: PHR }))).toBeUndefined();
  });

  it('refuses another acr with 401 insufficient_user_authentication and acr_values', () => {
    const error = refusal(policy, { acr: 'urn:example:loa:pwd' });
    expect(error).toBeInstanceOf(InsufficientUserAuthenticationError);
    expect(error.status).toBe(401);
    expect(error.error).toBe('insufficient_user_authentication');
    expect(error.code).toBe('ERR_ACR_INSUFFICIENT');
    expect(error.claim).toBe('acr');
    expect(error.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="api", error="insufficient_user_authentication", ' +
        `error_description="the user's authentication context class (acr) is not one this route accepts (needs one of: ${MFA} ${PHR})", ` +
        `acr_values="${MFA} ${PHR}"`,
    });
    expect(error.toJSON()).toEqual({
      error: 'insufficient_user_authentication',
      error_description: expect.stringContaining('acr'),
    });
    // The token's own value is never echoed.
    expect(error.message).not.toContain('pwd');
  });

  it('refuses a token without acr, failing closed', () => {
    const error = refusal(policy, {});
    expect(error.code).toBe('ERR_ACR_INSUFFICIENT');
    expect(error.message).toContain('states no authentication context class');
  });

  it('does not match a value by substring or by splitting a string acr', () => {
    expect(refusal(policy, { acr: `${MFA}x` }).code).toBe('ERR_ACR_INSUFFICIENT');
    expect(refusal(policy, { acr: `pwd ${PHR}` }).code).toBe('ERR_ACR_INSUFFICIENT');
  });

  it('refuses an acr claim of the wrong type as invalid_token ERR_CLAIM_INVALID', () => {
    for (const acr of [2, { value: MFA }, [MFA, 3]]) {
      const error = refusal(policy, { acr });
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error).toMatchObject({ status: 401, code: 'ERR_CLAIM_INVALID', claim: 'acr' });
    }
  });
});

describe('maxAge', () => {
  const policy = requireStepUp({ maxAge: 300 });

  it('accepts an authentication at most maxAge seconds old, by the server clock', () => {
    expect(policy(accessToken({ auth_time: NOW_S - 10 }))).toBeUndefined();
    // Exactly maxAge old still passes: too old is "greater than" max_age (OIDC Core §3.1.2.1).
    expect(policy(accessToken({ auth_time: NOW_S - 300 }))).toBeUndefined();
  });

  it('refuses a stale authentication with max_age, without clock tolerance', () => {
    const error = refusal(policy, { auth_time: NOW_S - 301 });
    expect(error).toBeInstanceOf(InsufficientUserAuthenticationError);
    expect(error.code).toBe('ERR_AUTH_TOO_OLD');
    expect(error.claim).toBe('auth_time');
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", ' +
        `error_description="the user's authentication is older than this route accepts (at most 300 s)", ` +
        'max_age="300"',
    );
  });

  it('refuses a token without auth_time, failing closed', () => {
    const error = refusal(policy, { iat: NOW_S });
    expect(error.code).toBe('ERR_AUTH_TIME_MISSING');
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toMatch(/, max_age="300"$/);
  });

  it('refuses an auth_time that is not a NumericDate, or lies in the future', () => {
    for (const auth_time of ['1736942400', null, -1, [NOW_S]]) {
      const error = refusal(policy, { auth_time });
      expect(error).toMatchObject({
        status: 401,
        error: 'invalid_token',
        code: 'ERR_CLAIM_INVALID',
        claim: 'auth_time',
      });
    }
    // Within the default clock tolerance (30 s) a future auth_time is skew: fresh.
    expect(policy(accessToken({ auth_time: NOW_S + 30 }))).toBeUndefined();
    const future = refusal(policy, { auth_time: NOW_S + 31 });
    expect(future).toMatchObject({ code: 'ERR_CLAIM_INVALID', error: 'invalid_token' });
    expect(future.message).toContain('future');
  });

  it('accepts maxAge 0 for an authentication in the same second', () => {
    const now = requireStepUp({ maxAge: 0 });
    expect(now(accessToken({ auth_time: NOW_S }))).toBeUndefined();
    expect(refusal(now, { auth_time: NOW_S - 1 }).code).toBe('ERR_AUTH_TOO_OLD');
  });
});

describe('both requirements', () => {
  const policy = requireStepUp({ acr: [MFA, PHR], maxAge: 600 });
  const challengeTail = `, acr_values="${MFA} ${PHR}", max_age="600"`;

  it('passes only when both hold', () => {
    expect(policy(accessToken({ acr: MFA, auth_time: NOW_S - 600 }))).toBeUndefined();
  });

  it('states both attributes whichever failed, so one sign-in meets both', () => {
    const weak = refusal(policy, { acr: 'pwd', auth_time: NOW_S });
    const stale = refusal(policy, { acr: MFA, auth_time: NOW_S - 601 });
    const missing = refusal(policy, { acr: MFA });
    expect([weak.code, stale.code, missing.code]).toEqual([
      'ERR_ACR_INSUFFICIENT',
      'ERR_AUTH_TOO_OLD',
      'ERR_AUTH_TIME_MISSING',
    ]);
    for (const error of [weak, stale, missing]) {
      expect(error.challenge.endsWith(challengeTail)).toBe(true);
      expect(
        error.challenge.startsWith(
          'Bearer realm="api", error="insufficient_user_authentication", error_description="',
        ),
      ).toBe(true);
    }
  });

  it('keeps the attributes under another realm, terse descriptions and DPoP', () => {
    const error = refusal(policy, { acr: 'pwd' });
    const terse = error.withRealm('orders').terse();
    expect(terse.challenge).toBe(
      'Bearer realm="orders", error="insufficient_user_authentication", ' +
        `error_description="A different or more recent user authentication is required"${challengeTail}`,
    );
    const dpop = error.withChallenges({ bearer: true, dpopAlgorithms: ['ES256'], used: 'DPoP' });
    expect(dpop.challenge).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256", error="insufficient_user_authentication", ' +
        `error_description="${error.description}"${challengeTail}`,
    );
  });
});

describe('the error class', () => {
  it('sanitises a hand-built description and values so the header cannot be split', () => {
    const error = new InsufficientUserAuthenticationError(
      'ERR_ACR_INSUFFICIENT',
      'bad "quote" \\ and\r\nline',
      { acrValues: ['a"b', 'c\\d\ne'], maxAge: 1.5 },
    );
    expect(error.challenge).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", ' +
        `error_description="bad 'quote' / and??line", acr_values="a'b c/d?e"`,
    );
    expect(error.toJSON().error_description).toBe("bad 'quote' / and??line");
  });

  it('has no extra attribute without a requirement', () => {
    const error = new InsufficientUserAuthenticationError('ERR_AUTH_TOO_OLD', 'too old');
    expect(error.challenge).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="too old"',
    );
  });
});

describe('options', () => {
  it.each([
    [{}, /acr, maxAge or both/],
    [{ acr: [] }, /acr: expected/],
    [{ acr: ['two words'] }, /acr: expected/],
    [{ acr: ['quo"te'] }, /acr: expected/],
    [{ acr: [''] }, /acr: expected/],
    [{ acr: 'mfa' }, /acr: expected/],
    [{ maxAge: -1 }, /maxAge/],
    [{ maxAge: 1.5 }, /maxAge/],
    [{ maxAge: '300' }, /maxAge/],
    [{ maxAge: Number.NaN }, /maxAge/],
    [{ acr: ['mfa'], max_age: 300 }, /unknown option "max_age"/],
    [{ acr: ['mfa'], claims: 'ping' }, /unknown preset/],
    [{ acr: ['mfa'], claims: { acr: [''] } }, /claims\.acr/],
    [{ maxAge: 1, claims: { authTime: 5 } }, /claims\.authTime/],
  ])('refuses %j when the route is defined', (options, message) => {
    expect(() => requireStepUp(options as never)).toThrow(TypeError);
    expect(() => requireStepUp(options as never)).toThrow(message);
    expect(() => requireStepUp(options as never)).toThrow(/^requireStepUp: /);
  });

  it('refuses a missing options object', () => {
    expect(() => requireStepUp(undefined as never)).toThrow(TypeError);
    expect(() => requireStepUp(null as never)).toThrow(TypeError);
  });

  it('reads acr and auth_time where a custom mapping says', () => {
    const policy = requireStepUp({
      acr: [MFA],
      maxAge: 60,
      claims: {
        acr: ['ext.loa', ['https://example.com/acr']],
        authTime: ['https://example.com/at'],
      },
    });
    expect(
      policy(
        accessToken({
          ext: { loa: 'pwd' },
          'https://example.com/acr': [MFA],
          'https://example.com/at': NOW_S,
        }),
      ),
    ).toBeUndefined();
    // The standard claims are no longer read.
    const error = refusal(policy, { acr: MFA, auth_time: NOW_S });
    expect(error).toMatchObject({ code: 'ERR_ACR_INSUFFICIENT', claim: 'ext.loa' });
    const noTime = refusal(policy, { 'https://example.com/acr': MFA, auth_time: NOW_S });
    expect(noTime).toMatchObject({
      code: 'ERR_AUTH_TIME_MISSING',
      claim: 'https://example.com/at',
    });
  });
});

describe('presets: tokens shaped like each IdP', () => {
  async function verified(
    options: Omit<VerifierOptions, 'keys'>,
    payload: Record<string, unknown>,
    header: Record<string, unknown>,
  ): Promise<AccessToken> {
    const { publicJwk } = await testKey();
    const v = createVerifier({ keys: publicJwk, ...options });
    return v.verify(await mint(payload, header), { currentDate: NOW });
  }
  const times = { iat: NOW_S - 60, exp: NOW_S + 3600 };

  it('rfc9068: acr and auth_time (RFC 9068 §2.2.1)', async () => {
    const token = await verified(
      { issuer: 'https://as.example.com', audience: 'https://rs.example.com', claims: 'rfc9068' },
      claims({
        iss: 'https://as.example.com',
        aud: 'https://rs.example.com',
        acr: MFA,
        auth_time: NOW_S - 120,
      }),
      { typ: 'at+jwt' },
    );
    expect(requireStepUp({ acr: [MFA], maxAge: 300, claims: 'rfc9068' })(token)).toBeUndefined();
    expect(refusal(requireStepUp({ maxAge: 60, claims: 'rfc9068' }), token.claims).code).toBe(
      'ERR_AUTH_TOO_OLD',
    );
  });

  it('azure: the acrs array of authentication context ids', async () => {
    const issuer = 'https://login.microsoftonline.com/tenant-id/v2.0';
    const token = await verified(
      { issuer, audience: 'api://orders', claims: 'azure' },
      {
        iss: issuer,
        aud: 'api://orders',
        sub: 'user',
        azp: 'client-app',
        scp: 'orders.read',
        ver: '2.0',
        acrs: ['c1', 'c3'],
        ...times,
      },
      { typ: 'JWT' },
    );
    expect(requireStepUp({ acr: ['c3'], claims: 'azure' })(token)).toBeUndefined();
    expect(refusal(requireStepUp({ acr: ['c2'], claims: 'azure' }), token.claims).code).toBe(
      'ERR_ACR_INSUFFICIENT',
    );
    // Without `claims`, the preset the verifier read the token with applies: acrs.
    expect(requireStepUp({ acr: ['c3'] })(token)).toBeUndefined();
    expect(() => requireStepUp({ acr: ['c2'] })(token)).toThrow(
      expect.objectContaining({ code: 'ERR_ACR_INSUFFICIENT' }),
    );
    // A token no verifier built (the same claims) is read with the standard acr: refused.
    expect(refusal(requireStepUp({ acr: ['c3'] }), token.claims).code).toBe('ERR_ACR_INSUFFICIENT');
    // No auth_time in a Microsoft access token by default: a maxAge refuses it.
    expect(refusal(requireStepUp({ maxAge: 300, claims: 'azure' }), token.claims).code).toBe(
      'ERR_AUTH_TIME_MISSING',
    );
  });

  it('keycloak: acr (the level of authentication) and auth_time', async () => {
    const issuer = 'https://keycloak.example.com/realms/shop';
    const token = await verified(
      { issuer, audience: 'orders-api', claims: 'keycloak' },
      {
        iss: issuer,
        aud: 'orders-api',
        sub: 'user',
        typ: 'Bearer',
        azp: 'web',
        scope: 'openid',
        acr: '2',
        auth_time: NOW_S - 30,
        realm_access: { roles: ['user'] },
        ...times,
      },
      { typ: 'JWT' },
    );
    expect(requireStepUp({ acr: ['2'], maxAge: 60, claims: 'keycloak' })(token)).toBeUndefined();
    expect(refusal(requireStepUp({ acr: ['3'], claims: 'keycloak' }), token.claims).code).toBe(
      'ERR_ACR_INSUFFICIENT',
    );
  });

  it('cognito: acr (urn:cognito:loa:…) and auth_time', async () => {
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool';
    const token = await verified(
      { issuer, audience: 'app-client', claims: 'cognito' },
      {
        iss: issuer,
        sub: 'user',
        client_id: 'app-client',
        token_use: 'access',
        scope: 'openid',
        acr: 'urn:cognito:loa:3',
        amr: ['pwd', 'otp', 'mfa'],
        auth_time: NOW_S - 100,
        ...times,
      },
      { typ: undefined },
    );
    const policy = requireStepUp({ acr: ['urn:cognito:loa:3'], maxAge: 100, claims: 'cognito' });
    expect(policy(token)).toBeUndefined();
  });

  it.each([
    [
      'okta',
      'https://dev-1.okta.com/oauth2/default',
      { cid: 'client', scp: ['read'] },
      { typ: undefined },
    ],
    ['auth0', 'https://tenant.auth0.com/', { azp: 'client', scope: 'read' }, { typ: 'JWT' }],
  ] as const)(
    '%s: the standard acr and auth_time claims',
    async (preset, issuer, extra, header) => {
      const token = await verified(
        { issuer, audience: 'api', claims: preset },
        {
          iss: issuer,
          aud: 'api',
          sub: 'user',
          acr: PHR,
          auth_time: NOW_S - 5,
          ...extra,
          ...times,
        },
        header,
      );
      expect(requireStepUp({ acr: [PHR], maxAge: 10, claims: preset })(token)).toBeUndefined();
      expect(refusal(requireStepUp({ maxAge: 4, claims: preset }), token.claims).code).toBe(
        'ERR_AUTH_TOO_OLD',
      );
    },
  );
});
