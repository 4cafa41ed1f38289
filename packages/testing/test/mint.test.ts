import { CONTENT_ENCRYPTION_ALGORITHMS, createVerifier } from '@tokenward/core';
import { decodeProtectedHeader } from 'jose';
import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  TEST_KEY_MANAGEMENT_ALGORITHMS,
  type TestIssuer,
} from '@tokenward/testing';
import { NOW, segments } from './helpers/rejection';

describe('minting good tokens (RS256 + RSA-OAEP-256, A256GCM)', () => {
  let testIssuer: TestIssuer;
  beforeAll(async () => {
    testIssuer = await createTestIssuer();
  });

  it('issueSigned: a JWS at+jwt carrying scopes, roles and claims that verifies', async () => {
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
    expect(accessToken).toMatchObject({
      issuer: DEFAULT_TEST_ISSUER,
      audience: [DEFAULT_TEST_AUDIENCE],
      subject: 'test-user',
      clientId: 'test-client',
      issuedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 300_000),
    });
    expect([...accessToken.scopes]).toEqual(['messages:read', 'messages:write']);
    expect([...accessToken.roles]).toEqual(['admin']);
    expect(accessToken.claims.tenant).toBe('acme');
    expect(accessToken.claims.jti).toEqual(expect.any(String));
    expect(accessToken.encryption).toBeUndefined();
  });

  it('issueNested: the signed token encrypted to the resource server (cty JWT)', async () => {
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

  it('claims of the call win over the defaults, including iss and aud', async () => {
    const token = await testIssuer.issueSigned(
      { sub: 'bob', iss: 'https://elsewhere.test', aud: 'urn:x' },
      { currentDate: NOW },
    );
    const verifier = createVerifier(
      testIssuer.verifierOptions({ issuer: 'https://elsewhere.test', audience: 'urn:x' }),
    );
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject({
      subject: 'bob',
      issuer: 'https://elsewhere.test',
      audience: ['urn:x'],
    });
  });
});

describe('nested tokens with each key management algorithm', () => {
  it.each(TEST_KEY_MANAGEMENT_ALGORITHMS)('%s: encrypts to a matching key pair', async (alg) => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: alg });
    const token = await testIssuer.issueNested({}, { currentDate: NOW });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, enc: 'A256GCM', cty: 'JWT' });
    const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.encryption?.alg).toBe(alg);
  });
});

describe('nested tokens with each content encryption algorithm', () => {
  it.each(CONTENT_ENCRYPTION_ALGORITHMS)('%s', async (enc) => {
    const testIssuer = await createTestIssuer({
      keyManagementAlgorithm: 'ECDH-ES+A128KW',
      contentEncryptionAlgorithm: enc,
    });
    expect(testIssuer.contentEncryptionAlgorithm).toBe(enc);
    const token = await testIssuer.issueNested({}, { currentDate: NOW });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ECDH-ES+A128KW', enc });
    const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }));
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject({
      encryption: { enc },
    });
  });
});

describe('an HS256 issuer', () => {
  it('nests HMAC-signed tokens, and verifierOptions() carries the secret instead of keys', async () => {
    const testIssuer = await createTestIssuer({ signingAlgorithm: 'HS256' });
    const options = testIssuer.verifierOptions();
    expect(options.secret).toBe(testIssuer.secret);
    expect(options).not.toHaveProperty('keys');
    const token = await testIssuer.issueNested({ roles: ['r'] }, { currentDate: NOW });
    const accessToken = await createVerifier(options).verify(token, { currentDate: NOW });
    expect(accessToken.header.alg).toBe('HS256');
    expect([...accessToken.roles]).toEqual(['r']);
  });
});

describe('an issuer without encryption keys', () => {
  it('refuses issueNested with a TypeError', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await expect(testIssuer.issueNested()).rejects.toThrow(
      new TypeError(
        'issueNested: this test issuer has no encryption key (keyManagementAlgorithm: false)',
      ),
    );
  });
});
