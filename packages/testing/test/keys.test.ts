import {
  ASYMMETRIC_JWS_ALGORITHMS,
  HMAC_JWS_ALGORITHMS,
  KEY_MANAGEMENT_ALGORITHMS,
  createVerifier,
} from '@tokenward/core';
import { decodeProtectedHeader } from 'jose';
import {
  TEST_KEY_MANAGEMENT_ALGORITHMS,
  TEST_SIGNING_ALGORITHMS,
  createTestIssuer,
} from '@tokenward/testing';
import { NOW } from './helpers/rejection';

describe('algorithm lists follow core', () => {
  it('signs with every JWS algorithm core verifies', () => {
    expect(TEST_SIGNING_ALGORITHMS).toEqual([...ASYMMETRIC_JWS_ALGORITHMS, ...HMAC_JWS_ALGORITHMS]);
  });

  it("encrypts with core's asymmetric key management algorithms only", () => {
    expect(TEST_KEY_MANAGEMENT_ALGORITHMS).toEqual(
      KEY_MANAGEMENT_ALGORITHMS.filter((alg) => /^(RSA-OAEP|ECDH-ES)/.test(alg)),
    );
    expect(TEST_KEY_MANAGEMENT_ALGORITHMS).toEqual(
      expect.arrayContaining(['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A256KW']),
    );
    expect(TEST_KEY_MANAGEMENT_ALGORITHMS).not.toContain('dir');
    expect(TEST_KEY_MANAGEMENT_ALGORITHMS).not.toContain('A256KW');
  });
});

// The key type each algorithm needs (RFC 7518 §3.3-3.5, RFC 8037 §3.1).
const keyShape: Record<string, Record<string, string>> = {
  RS: { kty: 'RSA' },
  PS: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
};

describe.each(ASYMMETRIC_JWS_ALGORITHMS)('signing key for %s', (alg) => {
  it('has the key type the algorithm needs, and its tokens verify', async () => {
    const testIssuer = await createTestIssuer({
      signingAlgorithm: alg,
      keyManagementAlgorithm: false,
    });
    const [jwk] = testIssuer.jwks.keys;
    expect(jwk).toMatchObject({ ...(keyShape[alg] ?? keyShape[alg.slice(0, 2)]), alg, use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    if (jwk?.kty === 'RSA') expect(Buffer.from(jwk.n as string, 'base64url')).toHaveLength(256);
    const token = await testIssuer.issueSigned({}, { currentDate: NOW });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: jwk?.kid });
    const verifier = createVerifier(testIssuer.verifierOptions({ algorithms: [alg] }));
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject({
      subject: 'test-user',
    });
  });
});

describe.each(HMAC_JWS_ALGORITHMS)('secret for %s', (alg) => {
  it('is as long as the hash output (RFC 7518 §3.2), and its tokens verify', async () => {
    const testIssuer = await createTestIssuer({
      signingAlgorithm: alg,
      keyManagementAlgorithm: false,
    });
    expect(testIssuer.secret).toHaveLength(Number(alg.slice(2)) / 8);
    expect(testIssuer.jwks).toEqual({ keys: [] });
    const token = await testIssuer.issueSigned({}, { currentDate: NOW });
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt' });
    const verifier = createVerifier(testIssuer.verifierOptions({ algorithms: [alg] }));
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject({
      header: { alg },
    });
  });
});

describe.each(TEST_KEY_MANAGEMENT_ALGORITHMS)('encryption key pair for %s', (alg) => {
  it('is RSA for RSA-OAEP and P-256 for ECDH-ES, public and private halves sharing a kid', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: alg });
    const shape = alg.startsWith('RSA') ? { kty: 'RSA' } : { kty: 'EC', crv: 'P-256' };
    expect(testIssuer.encryptionKey).toMatchObject({ ...shape, alg, use: 'enc' });
    expect(testIssuer.encryptionKey).not.toHaveProperty('d');
    const [dec] = testIssuer.decryptionKeys?.keys ?? [];
    expect(dec).toMatchObject({ ...shape, alg, use: 'enc', kid: testIssuer.encryptionKey?.kid });
    expect(dec).toHaveProperty('d');
  });
});
