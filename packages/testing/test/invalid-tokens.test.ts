import { createVerifier } from '@tokenward/core';
import { base64url, decodeProtectedHeader } from 'jose';
import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  INVALID_TOKEN_KINDS,
  WRONG_AUDIENCE,
  WRONG_ISSUER,
  type InvalidTokenKind,
  type TestIssuer,
} from '@tokenward/testing';
import { NOW, rejectionOf, segments } from './helpers/rejection';

const decodeJSON = (segment: string) =>
  JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;

// Each bad token is wrong in exactly one way; core must reject it with this code.
const expectedCodes: Record<InvalidTokenKind, string> = {
  expired: 'ERR_TOKEN_EXPIRED',
  'not-yet-valid': 'ERR_TOKEN_NOT_YET_VALID',
  'wrong-audience': 'ERR_AUDIENCE_INVALID',
  'wrong-issuer': 'ERR_ISSUER_INVALID',
  'tampered-signature': 'ERR_JWS_SIGNATURE_INVALID',
  'id-token': 'ERR_TOKEN_TYPE_INVALID',
  'unsigned-jwe': 'ERR_JWE_NOT_NESTED',
  'unknown-key': 'ERR_JWS_KEY_NOT_FOUND',
  'alg-none': 'ERR_TOKEN_MALFORMED',
};

// Nested, the unsecured token is found by the inner-token check, before its algorithm is read.
const nestedCodes: Record<InvalidTokenKind, string> = {
  ...expectedCodes,
  'alg-none': 'ERR_JWE_INNER_NOT_JWS',
};

describe('issueInvalid (RS256 + RSA-OAEP-256)', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer();
  });

  it('the code table covers every kind', () => {
    expect(Object.keys(expectedCodes).sort()).toEqual([...INVALID_TOKEN_KINDS].sort());
  });

  it.each(INVALID_TOKEN_KINDS)(
    'a %s token is rejected with its code, 401 invalid_token',
    async (kind) => {
      const verifier = createVerifier(testIssuer.verifierOptions());
      const token = await testIssuer.issueInvalid(
        kind,
        { scope: 'messages:read' },
        { currentDate: NOW },
      );
      const rejection = await rejectionOf(() => verifier.verify(token, { currentDate: NOW }));
      expect(rejection).toEqual({
        code: expectedCodes[kind],
        status: 401,
        challenge: expect.stringMatching(
          /^Bearer realm="api", error="invalid_token", error_description="/,
        ),
      });
    },
  );

  it.each(INVALID_TOKEN_KINDS.filter((k) => k !== 'unsigned-jwe'))(
    'a nested %s token is a JWE with cty JWT, decrypted, then rejected with its code',
    async (kind) => {
      const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
      const token = await testIssuer.issueInvalid(kind, {}, { currentDate: NOW, nested: true });
      expect(segments(token)).toHaveLength(5);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RSA-OAEP-256', cty: 'JWT' });
      const rejection = await rejectionOf(() => verifier.verify(token, { currentDate: NOW }));
      expect(rejection.code).toBe(nestedCodes[kind]);
    },
  );

  it('unsigned-jwe is a JWE without cty whose plaintext is the full claim set, nested or not', async () => {
    for (const nested of [false, true]) {
      const token = await testIssuer.issueInvalid('unsigned-jwe', { scope: 'a' }, { nested });
      expect(segments(token)).toHaveLength(5);
      expect(decodeProtectedHeader(token)).not.toHaveProperty('cty');
    }
  });

  it('a tampered token differs from a good one only in its signature', async () => {
    const tampered = await testIssuer.issueInvalid('tampered-signature', {}, { currentDate: NOW });
    const [h, p, s] = segments(tampered) as [string, string, string];
    const good = await testIssuer.issueSigned({}, { currentDate: NOW });
    expect(base64url.decode(s)).toHaveLength(base64url.decode(segments(good)[2] as string).length);
    expect(decodeJSON(p)).toMatchObject({ iss: DEFAULT_TEST_ISSUER, aud: DEFAULT_TEST_AUDIENCE });
    expect(decodeJSON(h)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
  });

  it('wrong-audience and wrong-issuer carry the published wrong values', async () => {
    const aud = await testIssuer.issueInvalid('wrong-audience');
    const iss = await testIssuer.issueInvalid('wrong-issuer');
    expect(decodeJSON(segments(aud)[1] as string)).toMatchObject({ aud: WRONG_AUDIENCE });
    expect(decodeJSON(segments(iss)[1] as string)).toMatchObject({ iss: WRONG_ISSUER });
  });

  it('id-token has typ JWT, a nonce and auth_time', async () => {
    const token = await testIssuer.issueInvalid('id-token', {}, { currentDate: NOW });
    expect(decodeProtectedHeader(token).typ).toBe('JWT');
    expect(decodeJSON(segments(token)[1] as string)).toMatchObject({
      nonce: expect.any(String),
      auth_time: NOW.getTime() / 1000,
    });
  });

  it('alg-none is an Unsecured JWS (RFC 7518 §3.6) with otherwise good claims', async () => {
    const token = await testIssuer.issueInvalid('alg-none', { scope: 'a b' }, { currentDate: NOW });
    const [h, p, s] = segments(token) as [string, string, string];
    expect(s).toBe('');
    expect(decodeJSON(h)).toEqual({ alg: 'none', typ: 'at+jwt' });
    expect(decodeJSON(p)).toMatchObject({
      iss: DEFAULT_TEST_ISSUER,
      aud: DEFAULT_TEST_AUDIENCE,
      sub: 'test-user',
      scope: 'a b',
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 300,
    });
  });

  it('expired and not-yet-valid tokens are relative to currentDate', async () => {
    const verifier = createVerifier(testIssuer.verifierOptions());
    const expired = await testIssuer.issueInvalid('expired', {}, { currentDate: NOW });
    // Two hours earlier the "expired" token was fresh.
    const earlier = new Date(NOW.getTime() - 2 * 3600_000 + 1000);
    await expect(verifier.verify(expired, { currentDate: earlier })).resolves.toMatchObject({
      subject: 'test-user',
    });
    const early = await testIssuer.issueInvalid('not-yet-valid', {}, { currentDate: NOW });
    const later = new Date(NOW.getTime() + 3600_000 + 1000);
    await expect(verifier.verify(early, { currentDate: later })).resolves.toMatchObject({
      subject: 'test-user',
    });
  });

  it('rejects an unknown kind with a TypeError naming it', async () => {
    await expect(testIssuer.issueInvalid('nope' as InvalidTokenKind)).rejects.toThrow(
      new TypeError('issueInvalid: unknown kind "nope"'),
    );
  });
});

describe('issueInvalid with HS256', () => {
  it('signs unknown-key tokens with another secret (no kid to miss, so the signature fails)', async () => {
    const testIssuer = await createTestIssuer({ signingAlgorithm: 'HS256' });
    const verifier = createVerifier(testIssuer.verifierOptions());
    const token = await testIssuer.issueInvalid('unknown-key', {}, { currentDate: NOW });
    expect((await rejectionOf(() => verifier.verify(token, { currentDate: NOW }))).code).toBe(
      'ERR_JWS_SIGNATURE_INVALID',
    );
  });
});

describe('issueInvalid without encryption keys', () => {
  it('refuses unsigned-jwe and nested kinds with a TypeError', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await expect(testIssuer.issueInvalid('unsigned-jwe')).rejects.toThrow(
      'issueInvalid: this test issuer has no encryption key (keyManagementAlgorithm: false)',
    );
    await expect(testIssuer.issueInvalid('expired', {}, { nested: true })).rejects.toThrow(
      /no encryption key/,
    );
  });
});
