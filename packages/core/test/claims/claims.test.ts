/**
 * Registered-claim validation (claims/validate-claims.ts) through `createVerifier().verify` with a
 * frozen clock: issuer, audience, exp/nbf/iat, maxTokenAge, requiredClaims, clockTolerance and the
 * token type (RFC 7519 §4.1, RFC 9068 §2.1 and §4, RFC 8725 §3.11).
 */
import {
  createVerifier,
  DEFAULT_CLOCK_TOLERANCE,
  MAX_CLOCK_TOLERANCE,
  type VerifierOptions,
} from '@tokenward/core';
import { resolveClaimsProfile } from '../../src/claims/presets';
import { normalizeMediaType } from '../../src/compact/media-type';
import { validateClaims, type ClaimRules } from '../../src/claims/validate-claims';
import { trustedIssuer } from '../../src/claims/trusted-issuer';
import type { IssuerTrust } from '../../src/config/issuer-trust';
import {
  anAccessToken,
  AUDIENCE,
  claims,
  ISSUER,
  keyPair,
  mint,
  NOW,
  NOW_S,
  rejection,
  verifier,
  type MintHeader,
} from '../helpers/keys';

async function verifyWith(
  payload: Record<string, unknown> | string,
  options: Partial<VerifierOptions> = {},
  header: MintHeader = {},
  currentDate: Date = NOW,
) {
  const v = await verifier(options);
  return v.verify(await mint(payload, header), { currentDate });
}

async function failure(
  payload: Record<string, unknown> | string,
  options: Partial<VerifierOptions> = {},
  header: MintHeader = {},
  currentDate: Date = NOW,
) {
  const error = await rejection(verifyWith(payload, options, header, currentDate));
  // Every claim failure is a 401 invalid_token whose challenge names the error.
  expect(error.status).toBe(401);
  expect(error.error).toBe('invalid_token');
  expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token", /);
  return error;
}

const at = (seconds: number) => new Date(seconds * 1000);

describe('a valid token', () => {
  it('resolves to an AccessToken with the registered claims', async () => {
    const token = await verifyWith(claims());
    expect(token.issuer).toBe(ISSUER);
    expect(token.subject).toBe('user-123');
    expect(token.audience).toEqual([AUDIENCE]);
    expect(token.clientId).toBe('client-abc');
    expect(token.expiresAt).toEqual(at(NOW_S + 3600));
    expect(token.issuedAt).toEqual(at(NOW_S - 60));
    expect([...token.scopes]).toEqual(['read', 'write']);
    expect(Object.isFrozen(token)).toBe(true);
    expect(Object.isFrozen(token.claims)).toBe(true);
  });

  it('has no subject or issuedAt when sub and iat are absent', async () => {
    const token = await verifyWith(claims({ sub: undefined, iat: undefined }));
    expect(token).not.toHaveProperty('subject');
    expect(token).not.toHaveProperty('issuedAt');
  });
});

describe('issuer (iss)', () => {
  it('accepts any of several configured issuers', async () => {
    const issuers = ['https://a.example.com/', ISSUER];
    await expect(verifyWith(claims(), { issuer: issuers })).resolves.toMatchObject({
      issuer: ISSUER,
    });
    const other = await verifyWith(claims({ iss: 'https://a.example.com/' }), { issuer: issuers });
    expect(other.issuer).toBe('https://a.example.com/');
  });

  // Exact string comparison (RFC 9068 §4, OpenID Connect Discovery §4.3): no normalisation.
  it.each([
    ['without the trailing slash', 'https://issuer.example.com'],
    ['with another trailing slash', 'https://issuer.example.com//'],
    ['in another case', 'https://ISSUER.example.com/'],
    ['as a prefix', 'https://issuer.example.com/tenant'],
    ['as a substring', 'https://issuer.example.com.evil.example/'],
    ['with whitespace', ' https://issuer.example.com/'],
  ])('rejects the issuer %s', async (_, iss) => {
    const error = await failure(claims({ iss }));
    expect(error.code).toBe('ERR_ISSUER_INVALID');
    expect(error.claim).toBe('iss');
    expect(error.message).toContain('option issuer');
  });

  it.each([
    ['an array holding the issuer', [ISSUER]],
    ['a number', 42],
    ['null', null],
    ['an object', { iss: ISSUER }],
  ])('rejects iss as %s', async (_, iss) => {
    const error = await failure(claims({ iss }));
    expect(error.code).toBe('ERR_ISSUER_INVALID');
  });

  it('rejects a token without iss', async () => {
    // The issuer picks the key source before the signature check, so a missing iss stops there.
    const error = await failure(claims({ iss: undefined }));
    expect(error.code).toBe('ERR_ISSUER_INVALID');
    expect(error.claim).toBe('iss');
  });

  it('never echoes the offending issuer in the error', async () => {
    const error = await failure(claims({ iss: 'https://secret-tenant.example/' }));
    expect(error.message).not.toContain('secret-tenant');
    expect(error.headers['WWW-Authenticate']).not.toContain('secret-tenant');
  });
});

describe('audience (aud)', () => {
  it('accepts a string aud equal to the audience', async () => {
    await expect(verifyWith(claims({ aud: AUDIENCE }))).resolves.toMatchObject({
      audience: [AUDIENCE],
    });
  });

  it('accepts an array aud containing the audience (any-of)', async () => {
    const aud = ['https://other.example.com', AUDIENCE];
    const token = await verifyWith(claims({ aud }));
    expect(token.audience).toEqual(aud);
    expect(Object.isFrozen(token.audience)).toBe(true);
  });

  it('accepts a token naming any one of several configured audiences', async () => {
    const audience = ['urn:api:one', 'urn:api:two'];
    await expect(verifyWith(claims({ aud: 'urn:api:two' }), { audience })).resolves.toMatchObject(
      anAccessToken,
    );
    await expect(
      verifyWith(claims({ aud: ['urn:x', 'urn:api:one'] }), { audience }),
    ).resolves.toMatchObject(anAccessToken);
  });

  it.each([
    ['with a trailing slash', 'https://api.example.com/'],
    ['in another case', 'https://API.example.com'],
    ['as a prefix', 'https://api.example.co'],
    ['with a path', 'https://api.example.com/v1'],
    ['as an array of others', ['https://a.example', 'https://b.example']],
  ])('rejects an aud %s', async (_, aud) => {
    const error = await failure(claims({ aud }));
    expect(error.code).toBe('ERR_AUDIENCE_INVALID');
    expect(error.claim).toBe('aud');
    expect(error.message).toContain('option audience');
  });

  it.each([
    ['an empty array', []],
    ['a number', 1],
    ['null', null],
    ['an object', { aud: AUDIENCE }],
    ['an array with a non-string', [AUDIENCE, 1]],
    ['a nested array', [[AUDIENCE]]],
  ])('rejects aud as %s', async (_, aud) => {
    const error = await failure(claims({ aud }));
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe('aud');
  });

  it('requires aud (RFC 9068 §4)', async () => {
    const error = await failure(claims({ aud: undefined }));
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('aud');
  });
});

describe('expiry (exp)', () => {
  it('uses a default clock tolerance of 30 seconds', () => {
    expect(DEFAULT_CLOCK_TOLERANCE).toBe(30);
    expect(MAX_CLOCK_TOLERANCE).toBe(300);
  });

  it('is required', async () => {
    const error = await failure(claims({ exp: undefined }));
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('exp');
  });

  // RFC 7519 §4.1.4: reject on or after exp, allowing for the clock tolerance.
  it('accepts a token up to one second before exp + tolerance', async () => {
    const exp = NOW_S - DEFAULT_CLOCK_TOLERANCE + 1;
    await expect(verifyWith(claims({ exp, iat: exp - 60 }))).resolves.toMatchObject(anAccessToken);
  });

  it('rejects a token exactly at exp + tolerance', async () => {
    const exp = NOW_S - DEFAULT_CLOCK_TOLERANCE;
    const error = await failure(claims({ exp, iat: exp - 60 }));
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    expect(error.claim).toBe('exp');
    expect(error.headers['WWW-Authenticate']).toContain(
      'error_description="the token has expired"',
    );
  });

  it('rejects at exactly exp with clockTolerance 0, and accepts one second before', async () => {
    const payload = claims({ exp: NOW_S + 10 });
    await expect(
      verifyWith(payload, { clockTolerance: 0 }, {}, at(NOW_S + 9)),
    ).resolves.toMatchObject(anAccessToken);
    const error = await failure(payload, { clockTolerance: 0 }, {}, at(NOW_S + 10));
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
  });

  it('honours a larger clockTolerance', async () => {
    const payload = claims({ exp: NOW_S - 100, iat: NOW_S - 200 });
    await expect(verifyWith(payload, { clockTolerance: 101 })).resolves.toMatchObject(
      anAccessToken,
    );
    expect((await failure(payload, { clockTolerance: 100 })).code).toBe('ERR_TOKEN_EXPIRED');
  });

  it('checks against the real clock when no currentDate is given', async () => {
    const v = await verifier();
    // A token that expired in 2025 is expired now; one expiring in 2100 is not.
    const expired = await mint(claims());
    expect((await rejection(v.verify(expired))).code).toBe('ERR_TOKEN_EXPIRED');
    const future = await mint(claims({ exp: 4102444800 }));
    await expect(v.verify(future)).resolves.toMatchObject({ token: future });
  });

  it('accepts a fractional NumericDate', async () => {
    const token = await verifyWith(claims({ exp: NOW_S + 0.5 }));
    expect(token.expiresAt.getTime()).toBe((NOW_S + 0.5) * 1000);
  });
});

describe('not before (nbf)', () => {
  it('accepts a token whose nbf is exactly tolerance seconds ahead', async () => {
    const nbf = NOW_S + DEFAULT_CLOCK_TOLERANCE;
    await expect(verifyWith(claims({ nbf }))).resolves.toMatchObject(anAccessToken);
  });

  it('rejects a token whose nbf is more than tolerance seconds ahead', async () => {
    const error = await failure(claims({ nbf: NOW_S + DEFAULT_CLOCK_TOLERANCE + 1 }));
    expect(error.code).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect(error.claim).toBe('nbf');
  });

  it('with clockTolerance 0 accepts nbf = now and rejects nbf = now + 1', async () => {
    await expect(verifyWith(claims({ nbf: NOW_S }), { clockTolerance: 0 })).resolves.toMatchObject(
      anAccessToken,
    );
    const error = await failure(claims({ nbf: NOW_S + 1 }), { clockTolerance: 0 });
    expect(error.code).toBe('ERR_TOKEN_NOT_YET_VALID');
  });
});

describe('issued at (iat)', () => {
  it('accepts an iat exactly tolerance seconds in the future', async () => {
    await expect(
      verifyWith(claims({ iat: NOW_S + DEFAULT_CLOCK_TOLERANCE })),
    ).resolves.toMatchObject(anAccessToken);
  });

  it('rejects an iat more than tolerance seconds in the future', async () => {
    const error = await failure(claims({ iat: NOW_S + DEFAULT_CLOCK_TOLERANCE + 1 }));
    expect(error.code).toBe('ERR_TOKEN_ISSUED_IN_FUTURE');
    expect(error.claim).toBe('iat');
  });
});

describe('mistyped NumericDates', () => {
  it.each(['exp', 'nbf', 'iat'])('rejects %s as a string', async (name) => {
    const error = await failure(claims({ [name]: String(NOW_S + 100) }));
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe(name);
  });

  it.each([
    ['a boolean', true],
    ['null', null],
    ['an array', [NOW_S + 100]],
    ['an object', { value: NOW_S + 100 }],
  ])('rejects exp as %s', async (_, exp) => {
    const error = await failure(claims({ exp }));
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe('exp');
  });

  // JSON has no NaN or Infinity, but JSON.parse turns a number literal too large for a double
  // into Infinity; an "exp" of 1e400 must not mean "never expires".
  it.each(['exp', 'nbf', 'iat'])(
    'rejects %s written as 1e400 (parses to Infinity)',
    async (name) => {
      const json = JSON.stringify(claims({ [name]: 0 })).replace(`"${name}":0`, `"${name}":1e400`);
      expect(JSON.parse(json)[name]).toBe(Infinity);
      const error = await failure(json);
      expect(error.code).toBe('ERR_CLAIM_INVALID');
      expect(error.claim).toBe(name);
    },
  );

  it('rejects -1e400 (-Infinity) as nbf', async () => {
    const json = JSON.stringify(claims({ nbf: 0 })).replace('"nbf":0', '"nbf":-1e400');
    expect((await failure(json)).code).toBe('ERR_CLAIM_INVALID');
  });

  // A finite exp past the end of ECMAScript time (±8.64e15 ms) would resolve to an Invalid Date
  // expiresAt, which downstream code (cache TTLs, logging) cannot handle.
  it('rejects an exp beyond the representable date range', async () => {
    const error = await failure(claims({ exp: 1e300 }));
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe('exp');
  });

  it('accepts the largest representable exp', async () => {
    const token = await verifyWith(claims({ exp: 8.64e12 }));
    expect(token.expiresAt.getTime()).toBe(8.64e15);
  });
});

describe('maxTokenAge', () => {
  it('accepts a token exactly maxTokenAge + tolerance old', async () => {
    const iat = NOW_S - 600 - DEFAULT_CLOCK_TOLERANCE;
    await expect(verifyWith(claims({ iat }), { maxTokenAge: 600 })).resolves.toMatchObject(
      anAccessToken,
    );
  });

  it('rejects a token older than maxTokenAge + tolerance', async () => {
    const iat = NOW_S - 600 - DEFAULT_CLOCK_TOLERANCE - 1;
    const error = await failure(claims({ iat }), { maxTokenAge: 600 });
    expect(error.code).toBe('ERR_TOKEN_TOO_OLD');
    expect(error.claim).toBe('iat');
    expect(error.message).toContain('maxTokenAge');
  });

  it('needs iat', async () => {
    const error = await failure(claims({ iat: undefined }), { maxTokenAge: 600 });
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('iat');
    expect(error.message).toContain('maxTokenAge');
  });

  it('ignores the token age when not set', async () => {
    await expect(verifyWith(claims({ iat: NOW_S - 86400 * 365 }))).resolves.toMatchObject(
      anAccessToken,
    );
  });
});

describe('maxTokenLifetime', () => {
  // claims() issues at NOW − 60 and expires at NOW + 3600: a lifetime of 3,660 s.
  it('accepts a token living exactly maxTokenLifetime, with no tolerance added', async () => {
    await expect(verifyWith(claims(), { maxTokenLifetime: 3660 })).resolves.toMatchObject(
      anAccessToken,
    );
    const error = await failure(claims(), { maxTokenLifetime: 3659 });
    expect(error.code).toBe('ERR_TOKEN_LIFETIME_TOO_LONG');
    expect(error.claim).toBe('exp');
    expect(error.message).toContain('maxTokenLifetime');
  });

  it('needs iat', async () => {
    const error = await failure(claims({ iat: undefined }), { maxTokenLifetime: 900 });
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.message).toContain('maxTokenLifetime');
  });

  it('an issuer of `issuers` may set its own, over the top-level one', async () => {
    const key = (await keyPair('rsa')).publicJwk;
    const v = createVerifier({
      audience: AUDIENCE,
      maxTokenLifetime: 600,
      issuers: [
        { issuer: ISSUER, keys: key, maxTokenLifetime: 7200 },
        { issuer: 'https://other.example/', keys: key },
      ],
    });
    await expect(v.verify(await mint(claims()), { currentDate: NOW })).resolves.toMatchObject(
      anAccessToken,
    );
    const other = await mint(claims({ iss: 'https://other.example/' }));
    expect((await rejection(v.verify(other, { currentDate: NOW }))).code).toBe(
      'ERR_TOKEN_LIFETIME_TOO_LONG',
    );
    // health() states each issuer's limit, for monitoring the policy.
    expect((await v.health()).maxTokenLifetimes).toEqual({
      [ISSUER]: 7200,
      'https://other.example/': 600,
    });
    expect((await (await verifier()).health()).maxTokenLifetimes).toEqual({});
  });

  it.each([0, -5, 1.5, '900'])(
    'refuses maxTokenLifetime %p with a TypeError naming it',
    (value) => {
      expect(() =>
        createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          secret: 'x'.repeat(32),
          maxTokenLifetime: value as number,
        }),
      ).toThrow(/^maxTokenLifetime: expected whole seconds/);
      expect(() =>
        createVerifier({
          audience: AUDIENCE,
          issuers: [{ issuer: ISSUER, secret: 'x'.repeat(32), maxTokenLifetime: value as number }],
        }),
      ).toThrow(/^issuers\[0\]\.maxTokenLifetime: expected whole seconds/);
    },
  );
});

describe('requiredClaims', () => {
  it('accepts a token carrying every required claim, even a null one', async () => {
    await expect(
      verifyWith(claims({ tenant: 'acme', sid: null }), { requiredClaims: ['tenant', 'sid'] }),
    ).resolves.toMatchObject(anAccessToken);
  });

  it('rejects a token missing one, naming the claim', async () => {
    const error = await failure(claims({ tenant: 'acme' }), { requiredClaims: ['tenant', 'sid'] });
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('sid');
    expect(error.message).toContain('requiredClaims');
  });

  it('does not find inherited properties', async () => {
    const error = await failure(claims(), { requiredClaims: ['toString'] });
    expect(error.code).toBe('ERR_CLAIM_MISSING');
  });

  it.each([[['']], [[1]]])('rejects invalid requiredClaims %j with a TypeError', async (list) => {
    await expect(verifier({ requiredClaims: list as string[] })).rejects.toThrow(
      /^requiredClaims:/,
    );
  });
});

describe('sub and jti', () => {
  it.each(['sub', 'jti'])('rejects a non-string %s', async (name) => {
    const error = await failure(claims({ [name]: 123 }));
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe(name);
  });
});

describe('clockTolerance option', () => {
  it.each([-1, MAX_CLOCK_TOLERANCE + 1, Number.NaN, Infinity, '30'])(
    'rejects %p with a TypeError naming the option',
    async (value) => {
      await expect(verifier({ clockTolerance: value as number })).rejects.toThrow(TypeError);
      await expect(verifier({ clockTolerance: value as number })).rejects.toThrow(
        /^clockTolerance:/,
      );
    },
  );

  it('accepts MAX_CLOCK_TOLERANCE', async () => {
    const payload = claims({ exp: NOW_S - MAX_CLOCK_TOLERANCE + 1, iat: NOW_S - 1000 });
    await expect(
      verifyWith(payload, { clockTolerance: MAX_CLOCK_TOLERANCE }),
    ).resolves.toMatchObject(anAccessToken);
  });

  it.each([-1, Number.NaN, '60'])('rejects maxTokenAge %p with a TypeError', async (value) => {
    await expect(verifier({ maxTokenAge: value as number })).rejects.toThrow(/^maxTokenAge:/);
  });
});

describe('token type (typ header)', () => {
  it('defaults to at+jwt (RFC 9068 §2.1)', async () => {
    await expect(verifyWith(claims(), {}, { typ: 'at+jwt' })).resolves.toMatchObject(anAccessToken);
  });

  it.each(['application/at+jwt', 'AT+JWT', 'Application/At+JWT'])(
    'accepts typ %s (RFC 7515 §4.1.9: case-insensitive, application/ optional)',
    async (typ) => {
      await expect(verifyWith(claims(), {}, { typ })).resolves.toMatchObject(anAccessToken);
    },
  );

  it('rejects typ JWT by default, naming the tokenType option', async () => {
    const error = await failure(claims(), {}, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain("tokenType: 'jwt'");
    expect(error.message).toContain("'at+jwt'");
  });

  it('rejects a token without typ by default, naming the tokenType option', async () => {
    const error = await failure(claims(), {}, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain("tokenType: ['']");
    expect(error.message).toContain('typ none');
  });

  it.each([
    ['an empty string', ''],
    ['another media type', 'application/jwt'],
    ['a near miss', 'at+jwt '],
    ['a suffix-only match', 'jwt'],
  ])('rejects typ as %s', async (_, typ) => {
    const error = await failure(claims(), {}, { typ });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('rejects a non-string typ as malformed', async () => {
    const error = await failure(claims(), {}, { typ: ['at+jwt'] });
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
  });

  it('does not print an unprintable typ in the message', async () => {
    const error = await failure(claims(), {}, { typ: 'x"\\\u00e9' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain('unprintable');
    expect(error.headers['WWW-Authenticate']).not.toMatch(/[^\x20-\x7e]/);
  });

  it("tokenType: '' accepts a token without typ, and only that", async () => {
    await expect(
      verifyWith(claims(), { tokenType: '' }, { typ: undefined }),
    ).resolves.toMatchObject(anAccessToken);
    const error = await failure(claims(), { tokenType: '' }, { typ: 'at+jwt' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain("'' (no typ)");
  });

  it('accepts any of several configured types, normalised', async () => {
    const options = { tokenType: ['application/JWT', 'at+jwt'] };
    await expect(verifyWith(claims(), options, { typ: 'jwt' })).resolves.toMatchObject(
      anAccessToken,
    );
    await expect(verifyWith(claims(), options, { typ: 'at+jwt' })).resolves.toMatchObject(
      anAccessToken,
    );
    const error = await failure(claims(), options, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it.each([[[]], [[1]], [42]])('rejects tokenType %j with a TypeError', async (value) => {
    await expect(verifier({ tokenType: value as unknown as string[] })).rejects.toThrow(
      /^tokenType:/,
    );
  });

  it('normalises media types', () => {
    expect(normalizeMediaType('Application/AT+JWT')).toBe('at+jwt');
    expect(normalizeMediaType('at+jwt')).toBe('at+jwt');
  });
});

describe('configuration of issuer and audience', () => {
  it.each([
    ['issuer', ''],
    ['issuer', []],
    ['issuer', ['']],
    ['audience', ''],
    ['audience', []],
    ['audience', [1]],
  ])('rejects %s %j with a TypeError naming it', async (option, value) => {
    await expect(verifier({ [option]: value })).rejects.toThrow(new RegExp(`^${option}:`));
  });
});

describe('validateClaims (internal)', () => {
  const rules: ClaimRules = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    clockTolerance: 0,
    maxTokenAge: undefined,
    maxTokenLifetime: undefined,
    requiredClaims: [],
    tokenTypes: ['at+jwt'],
    profile: resolveClaimsProfile(undefined, [AUDIENCE]),
  };

  // The one issuer check (claims/trusted-issuer.ts) runs before any key is looked up: an absent,
  // mistyped or unknown `iss` selects no trust record.
  it.each([[undefined], ['https://other.example.com/'], [`${ISSUER}/`], [[ISSUER]]])(
    'trustedIssuer refuses iss %j with ERR_ISSUER_INVALID',
    (iss) => {
      const trust = new Map([[ISSUER, { issuer: ISSUER, rules } as unknown as IssuerTrust]]);
      expect(() => trustedIssuer(trust, claims({ iss }))).toThrow(
        expect.objectContaining({ code: 'ERR_ISSUER_INVALID', claim: 'iss' }),
      );
      expect(trustedIssuer(trust, claims()).issuer).toBe(ISSUER);
    },
  );

  it('returns the validated registered claims', () => {
    expect(validateClaims(claims({ sub: undefined }), rules, NOW_S)).toEqual({
      issuer: ISSUER,
      audience: [AUDIENCE],
      subject: undefined,
      expiresAt: at(NOW_S + 3600),
      issuedAt: at(NOW_S - 60),
    });
  });
});
