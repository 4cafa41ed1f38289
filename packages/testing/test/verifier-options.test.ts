import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  type TestIssuer,
} from '@tokenward/testing';

describe('verifierOptions', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer();
  });

  it('names the issuer, audience, public keys and private decryption keys', () => {
    expect(testIssuer.verifierOptions()).toEqual({
      issuer: DEFAULT_TEST_ISSUER,
      audience: DEFAULT_TEST_AUDIENCE,
      keys: testIssuer.jwks,
      decryptionKeys: testIssuer.decryptionKeys,
    });
  });

  it('overrides win, and another key source replaces the local one', () => {
    const options = testIssuer.verifierOptions({ audience: 'x', secret: 'y'.repeat(32) });
    expect(options.audience).toBe('x');
    expect(options.secret).toBe('y'.repeat(32));
    expect(options).not.toHaveProperty('keys');
    for (const source of [{ jwksUri: 'http://127.0.0.1:1/jwks' }, { discovery: true }]) {
      const remote = testIssuer.verifierOptions(source);
      expect(remote).not.toHaveProperty('keys');
      expect(remote).toMatchObject({ ...source, issuer: DEFAULT_TEST_ISSUER });
      expect(remote).toHaveProperty('decryptionKeys');
    }
  });

  it('issuers replaces both issuer and key source', () => {
    const several = testIssuer.verifierOptions({ issuers: [] } as never);
    expect(several).not.toHaveProperty('issuer');
    expect(several).not.toHaveProperty('keys');
    expect(several).toHaveProperty('audience', DEFAULT_TEST_AUDIENCE);
  });

  it('hands each caller its own decryption key set', () => {
    const first = testIssuer.verifierOptions();
    (first.decryptionKeys as { keys: unknown[] }).keys.length = 0;
    expect(testIssuer.verifierOptions().decryptionKeys).toEqual(testIssuer.decryptionKeys);
    expect(testIssuer.decryptionKeys?.keys).toHaveLength(1);
  });

  it('leaves decryptionKeys out when the issuer does not encrypt', async () => {
    const plain = await createTestIssuer({ keyManagementAlgorithm: false });
    expect(plain.verifierOptions()).not.toHaveProperty('decryptionKeys');
  });
});
