import { createVerifier, TokenwardError, type AccessToken } from '@tokenward/core';
import { base64url, decodeProtectedHeader } from 'jose';
import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  INVALID_TOKEN_KINDS,
  type InvalidTokenKind,
  type TestIssuer,
} from '@tokenward/testing';

const NOW = new Date('2025-01-15T12:00:00Z');

/** Verifies and returns the error code, failing the test when the token is accepted. */
async function rejectionCode(
  verify: () => Promise<AccessToken>,
): Promise<{ code: string; status: number; challenge: string }> {
  try {
    await verify();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenwardError);
    const e = error as TokenwardError;
    return { code: e.code, status: e.status, challenge: e.challenge };
  }
  throw new Error('the token was accepted');
}

function segments(token: string): string[] {
  return token.split('.');
}

describe('createTestIssuer (defaults: RS256, RSA-OAEP-256, A256GCM)', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer();
  });

  it('describes itself', () => {
    expect(testIssuer.issuer).toBe(DEFAULT_TEST_ISSUER);
    expect(testIssuer.audience).toBe(DEFAULT_TEST_AUDIENCE);
    expect(testIssuer.signingAlgorithm).toBe('RS256');
    expect(testIssuer.keyManagementAlgorithm).toBe('RSA-OAEP-256');
    expect(testIssuer.contentEncryptionAlgorithm).toBe('A256GCM');
    expect(testIssuer.secret).toBeUndefined();
    expect(testIssuer.url).toBeUndefined();
    expect(testIssuer.jwksUri).toBeUndefined();
  });

  it('publishes only public signing keys, and hands out private decryption keys', () => {
    const [sig] = testIssuer.jwks.keys;
    expect(testIssuer.jwks.keys).toHaveLength(1);
    expect(sig).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(sig?.kid).toEqual(expect.any(String));
    expect(sig).not.toHaveProperty('d');
    expect(testIssuer.encryptionKey).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(testIssuer.encryptionKey).not.toHaveProperty('d');
    const [dec] = testIssuer.decryptionKeys?.keys ?? [];
    expect(dec).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(dec?.kid).toBe(testIssuer.encryptionKey?.kid);
    expect(dec).toHaveProperty('d');
  });

  it('mints signed tokens that verify with verifierOptions(), carrying scopes, roles and claims', async () => {
    const verifier = createVerifier(testIssuer.verifierOptions());
    const token = await testIssuer.issueSigned(
      { scope: ['messages:read', 'messages:write'], roles: ['admin'], tenant: 'acme' },
      { currentDate: NOW },
    );
    expect(segments(token)).toHaveLength(3);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'RS256',
      typ: 'at+jwt',
      kid: testIssuer.jwks.keys[0]?.kid,
    });
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.issuer).toBe(DEFAULT_TEST_ISSUER);
    expect(accessToken.audience).toEqual([DEFAULT_TEST_AUDIENCE]);
    expect(accessToken.subject).toBe('test-user');
    expect(accessToken.clientId).toBe('test-client');
    expect([...accessToken.scopes]).toEqual(['messages:read', 'messages:write']);
    expect([...accessToken.roles]).toEqual(['admin']);
    expect(accessToken.claims.tenant).toBe('acme');
    expect(accessToken.issuedAt).toEqual(NOW);
    expect(accessToken.expiresAt).toEqual(new Date(NOW.getTime() + 300_000));
    expect(accessToken.encryption).toBeUndefined();
  });

  it('mints nested tokens (signed, then encrypted to the resource server)', async () => {
    const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
    const token = await testIssuer.issueNested(
      { sub: 'alice', scope: 'a b' },
      { currentDate: NOW },
    );
    expect(segments(token)).toHaveLength(5);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: testIssuer.encryptionKey?.kid,
    });
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.subject).toBe('alice');
    expect([...accessToken.scopes]).toEqual(['a', 'b']);
    expect(accessToken.encryption).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM' });
    expect(accessToken.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
  });

  it('leaves out claims set to undefined and honours expiresIn and type', async () => {
    const verifier = createVerifier(
      testIssuer.verifierOptions({ tokenType: 'application/custom+jwt' }),
    );
    const token = await testIssuer.issueSigned(
      { client_id: undefined },
      { currentDate: NOW, expiresIn: 60, type: 'custom+jwt' },
    );
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.claims).not.toHaveProperty('client_id');
    expect(accessToken.expiresAt).toEqual(new Date(NOW.getTime() + 60_000));
  });

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
  };

  it('covers every invalid kind in this table', () => {
    expect(Object.keys(expectedCodes).sort()).toEqual([...INVALID_TOKEN_KINDS].sort());
  });

  it.each(INVALID_TOKEN_KINDS)(
    'a %s token is rejected with its code (401 invalid_token)',
    async (kind) => {
      const verifier = createVerifier(testIssuer.verifierOptions());
      const token = await testIssuer.issueInvalid(
        kind,
        { scope: 'messages:read' },
        { currentDate: NOW },
      );
      const rejection = await rejectionCode(() => verifier.verify(token, { currentDate: NOW }));
      expect(rejection.code).toBe(expectedCodes[kind]);
      expect(rejection.status).toBe(401);
      expect(rejection.challenge).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="/,
      );
    },
  );

  it.each(INVALID_TOKEN_KINDS.filter((k) => k !== 'unsigned-jwe'))(
    'a nested %s token is decrypted, then rejected with the same code',
    async (kind) => {
      const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
      const token = await testIssuer.issueInvalid(kind, {}, { currentDate: NOW, nested: true });
      expect(segments(token)).toHaveLength(5);
      expect(decodeProtectedHeader(token).cty).toBe('JWT');
      const rejection = await rejectionCode(() => verifier.verify(token, { currentDate: NOW }));
      expect(rejection.code).toBe(expectedCodes[kind]);
    },
  );

  it('an invalid token is valid in every other respect (the same claims verify when signed normally)', async () => {
    // Guards the table above: the tampered token differs from a good one only in its signature.
    const tampered = await testIssuer.issueInvalid('tampered-signature', {}, { currentDate: NOW });
    const [h, p, s] = segments(tampered) as [string, string, string];
    const good = await testIssuer.issueSigned({}, { currentDate: NOW });
    expect(base64url.decode(s)).toHaveLength(base64url.decode(segments(good)[2] as string).length);
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    expect(claims).toMatchObject({ iss: DEFAULT_TEST_ISSUER, aud: DEFAULT_TEST_AUDIENCE });
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(h)))).toMatchObject({
      alg: 'RS256',
      typ: 'at+jwt',
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

  it('rejects an unknown invalid kind', async () => {
    await expect(testIssuer.issueInvalid('nope' as InvalidTokenKind)).rejects.toThrow(TypeError);
  });

  it('verifierOptions: overrides win, and another key source replaces the local one', () => {
    const options = testIssuer.verifierOptions({ audience: 'x', secret: 'y'.repeat(32) });
    expect(options.audience).toBe('x');
    expect(options.secret).toBe('y'.repeat(32));
    expect(options).not.toHaveProperty('keys');
    const remote = testIssuer.verifierOptions({ jwksUri: 'http://127.0.0.1:1/jwks' });
    expect(remote).not.toHaveProperty('keys');
    expect(remote).toHaveProperty('decryptionKeys');
    const several = testIssuer.verifierOptions({ issuers: [] } as never);
    expect(several).not.toHaveProperty('issuer');
    expect(several).not.toHaveProperty('keys');
    expect(several).toHaveProperty('audience', DEFAULT_TEST_AUDIENCE);
  });

  it('rotateSigningKey: new tokens use the new kid, old keys stay published until dropped', async () => {
    const rotating = await createTestIssuer({ keyManagementAlgorithm: false });
    const before = await rotating.issueSigned({}, { currentDate: NOW });
    const oldKid = rotating.jwks.keys[0]?.kid;
    const staleVerifier = createVerifier(rotating.verifierOptions());
    await rotating.rotateSigningKey();
    const after = await rotating.issueSigned({}, { currentDate: NOW });
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    expect(rotating.jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const verifier = createVerifier(rotating.verifierOptions());
    await expect(verifier.verify(before, { currentDate: NOW })).resolves.toBeDefined();
    await expect(verifier.verify(after, { currentDate: NOW })).resolves.toBeDefined();
    // A verifier built before the rotation does not know the new kid.
    expect(
      (await rejectionCode(() => staleVerifier.verify(after, { currentDate: NOW }))).code,
    ).toBe('ERR_JWS_KEY_NOT_FOUND');
    await rotating.rotateSigningKey({ keepPrevious: false });
    expect(rotating.jwks.keys).toHaveLength(1);
  });
});

describe.each([
  { signingAlgorithm: 'ES256', kty: 'EC', crv: 'P-256' },
  { signingAlgorithm: 'EdDSA', kty: 'OKP', crv: 'Ed25519' },
] as const)(
  'createTestIssuer({ signingAlgorithm: $signingAlgorithm })',
  ({ signingAlgorithm, kty, crv }) => {
    it('signs with the requested algorithm and key type', async () => {
      const testIssuer = await createTestIssuer({
        signingAlgorithm,
        keyManagementAlgorithm: false,
      });
      expect(testIssuer.jwks.keys[0]).toMatchObject({
        kty,
        crv,
        alg: signingAlgorithm,
        use: 'sig',
      });
      const token = await testIssuer.issueSigned({}, { currentDate: NOW });
      expect(decodeProtectedHeader(token).alg).toBe(signingAlgorithm);
      const verifier = createVerifier(testIssuer.verifierOptions());
      await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject({
        subject: 'test-user',
      });
    });
  },
);

describe('createTestIssuer({ signingAlgorithm: HS256 })', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer({ signingAlgorithm: 'HS256' });
  });

  it('uses a 32-byte secret, publishes no keys and configures verifiers with the secret', async () => {
    expect(testIssuer.secret).toHaveLength(32);
    expect(testIssuer.jwks).toEqual({ keys: [] });
    const options = testIssuer.verifierOptions();
    expect(options.secret).toBe(testIssuer.secret);
    expect(options).not.toHaveProperty('keys');
    const verifier = createVerifier(options);
    const token = await testIssuer.issueNested({ roles: ['r'] }, { currentDate: NOW });
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.header.alg).toBe('HS256');
    expect([...accessToken.roles]).toEqual(['r']);
  });

  it('signs unknown-key tokens with another secret', async () => {
    const verifier = createVerifier(testIssuer.verifierOptions());
    const token = await testIssuer.issueInvalid('unknown-key', {}, { currentDate: NOW });
    expect((await rejectionCode(() => verifier.verify(token, { currentDate: NOW }))).code).toBe(
      'ERR_JWS_SIGNATURE_INVALID',
    );
  });

  it('cannot rotate a secret', async () => {
    await expect(testIssuer.rotateSigningKey()).rejects.toThrow(/HS256/);
  });
});

describe('createTestIssuer encryption choices', () => {
  it.each(['ECDH-ES', 'ECDH-ES+A256KW', 'RSA-OAEP'] as const)(
    'encrypts with %s to a matching key pair',
    async (keyManagementAlgorithm) => {
      const testIssuer = await createTestIssuer({
        keyManagementAlgorithm,
        contentEncryptionAlgorithm: 'A128CBC-HS256',
      });
      expect(testIssuer.decryptionKeys?.keys[0]).toMatchObject({
        alg: keyManagementAlgorithm,
        use: 'enc',
      });
      const token = await testIssuer.issueNested({}, { currentDate: NOW });
      expect(decodeProtectedHeader(token)).toMatchObject({
        alg: keyManagementAlgorithm,
        enc: 'A128CBC-HS256',
        cty: 'JWT',
      });
      const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
      const accessToken = await verifier.verify(token, { currentDate: NOW });
      expect(accessToken.encryption?.alg).toBe(keyManagementAlgorithm);
    },
  );

  it('without encryption keys, nested and unsigned-jwe tokens are refused with a TypeError', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: false });
    expect(testIssuer.encryptionKey).toBeUndefined();
    expect(testIssuer.decryptionKeys).toBeUndefined();
    expect(testIssuer.verifierOptions()).not.toHaveProperty('decryptionKeys');
    await expect(testIssuer.issueNested()).rejects.toThrow(/no encryption key/);
    await expect(testIssuer.issueInvalid('unsigned-jwe')).rejects.toThrow(/no encryption key/);
    await expect(testIssuer.issueInvalid('expired', {}, { nested: true })).rejects.toThrow(
      /no encryption key/,
    );
  });

  it('validates its options', async () => {
    await expect(createTestIssuer({ signingAlgorithm: 'none' as never })).rejects.toThrow(
      /signingAlgorithm/,
    );
    await expect(createTestIssuer({ keyManagementAlgorithm: 'RSA1_5' as never })).rejects.toThrow(
      /keyManagementAlgorithm/,
    );
    await expect(createTestIssuer({ issuer: '' })).rejects.toThrow(/issuer/);
  });

  it('uses fixed issuer, audience, lifetime and default claims when given', async () => {
    const testIssuer = await createTestIssuer({
      issuer: 'https://login.example.com/',
      audience: 'urn:my-api',
      expiresIn: 30,
      defaultClaims: { sub: 'svc', azp: 'x' },
      keyManagementAlgorithm: false,
    });
    const token = await testIssuer.issueSigned({}, { currentDate: NOW });
    const accessToken = await createVerifier(testIssuer.verifierOptions()).verify(token, {
      currentDate: NOW,
    });
    expect(accessToken).toMatchObject({
      issuer: 'https://login.example.com/',
      audience: ['urn:my-api'],
      subject: 'svc',
      expiresAt: new Date(NOW.getTime() + 30_000),
    });
    expect(accessToken.claims).not.toHaveProperty('client_id');
  });
});
