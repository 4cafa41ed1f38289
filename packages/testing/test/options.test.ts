import { createVerifier } from '@tokenward/core';
import { createTestIssuer } from '@tokenward/testing';
import { NOW } from './helpers/rejection';

describe('createTestIssuer options', () => {
  it.each([
    [{ signingAlgorithm: 'none' }, /^signingAlgorithm: expected one of RS256, .*HS512$/],
    [{ keyManagementAlgorithm: 'RSA1_5' }, /^keyManagementAlgorithm: expected one of RSA-OAEP, /],
    // Symmetric key management is core's, but a shared key makes unsigned-jwe no forgery.
    [{ keyManagementAlgorithm: 'dir' }, /^keyManagementAlgorithm: expected one of/],
    [
      { contentEncryptionAlgorithm: 'A128CBC' },
      /^contentEncryptionAlgorithm: expected one of A128GCM, /,
    ],
    [{ issuer: '' }, /^issuer: expected a non-empty string$/],
    [{ expiresIn: 0 }, /^expiresIn: expected a positive number of seconds$/],
    [{ expiresIn: Number.NaN }, /^expiresIn: expected a positive number of seconds$/],
  ])('%j is a TypeError naming the option', async (options, message) => {
    const attempt = createTestIssuer(options as never);
    await expect(attempt).rejects.toThrow(TypeError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('uses fixed issuer, audience, lifetime and default claims when given', async () => {
    const testIssuer = await createTestIssuer({
      issuer: 'https://login.example.com/',
      audience: 'urn:my-api',
      expiresIn: 30,
      defaultClaims: { sub: 'svc', azp: 'x' },
      keyManagementAlgorithm: false,
    });
    expect(testIssuer).toMatchObject({
      issuer: 'https://login.example.com/',
      audience: 'urn:my-api',
      keyManagementAlgorithm: undefined,
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
    expect(accessToken.claims.azp).toBe('x');
    // defaultClaims replace the built-in ones rather than adding to them.
    expect(accessToken.claims).not.toHaveProperty('client_id');
  });
});
