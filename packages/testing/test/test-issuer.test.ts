import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  type TestIssuer,
} from '@tokenward/testing';

describe('createTestIssuer() with no options', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer();
  });

  it('describes itself: RS256, RSA-OAEP-256, A256GCM, not started', () => {
    expect(testIssuer).toMatchObject({
      issuer: DEFAULT_TEST_ISSUER,
      audience: DEFAULT_TEST_AUDIENCE,
      signingAlgorithm: 'RS256',
      keyManagementAlgorithm: 'RSA-OAEP-256',
      contentEncryptionAlgorithm: 'A256GCM',
      secret: undefined,
      url: undefined,
      jwksUri: undefined,
      requests: { jwks: 0, openidConfiguration: 0, oauthAuthorizationServer: 0 },
    });
  });

  it('publishes only public signing keys, and hands out private decryption keys', () => {
    const [sig] = testIssuer.jwks.keys;
    expect(testIssuer.jwks.keys).toHaveLength(1);
    expect(sig).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    expect(sig).not.toHaveProperty('d');
    expect(testIssuer.encryptionKey).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(testIssuer.encryptionKey).not.toHaveProperty('d');
    const [dec] = testIssuer.decryptionKeys?.keys ?? [];
    expect(dec).toMatchObject({ kid: testIssuer.encryptionKey?.kid, d: expect.any(String) });
  });

  it('stop() before start() is a no-op', async () => {
    await expect(testIssuer.stop()).resolves.toBeUndefined();
    expect(testIssuer.url).toBeUndefined();
  });
});

describe('createTestIssuer({ keyManagementAlgorithm: false })', () => {
  it('has no encryption keys', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: false });
    expect(testIssuer).toMatchObject({
      keyManagementAlgorithm: undefined,
      encryptionKey: undefined,
      decryptionKeys: undefined,
    });
  });
});
