import { createVerifier } from '@tokenward/core';
import { decodeProtectedHeader } from 'jose';
import { createTestIssuer } from '@tokenward/testing';
import { NOW, rejectionOf } from './helpers/rejection';

describe('rotateSigningKey', () => {
  it('new tokens use the new kid; the old key stays published until dropped', async () => {
    const rotating = await createTestIssuer({ keyManagementAlgorithm: false });
    const before = await rotating.issueSigned({}, { currentDate: NOW });
    const oldKid = rotating.jwks.keys[0]?.kid;
    const staleVerifier = createVerifier(rotating.verifierOptions());
    await rotating.rotateSigningKey();
    const after = await rotating.issueSigned({}, { currentDate: NOW });
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).toEqual(expect.any(String));
    expect(newKid).not.toBe(oldKid);
    expect(rotating.jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const verifier = createVerifier(rotating.verifierOptions());
    await expect(verifier.verify(before, { currentDate: NOW })).resolves.toBeDefined();
    await expect(verifier.verify(after, { currentDate: NOW })).resolves.toBeDefined();
    // A verifier built before the rotation does not know the new kid.
    expect((await rejectionOf(() => staleVerifier.verify(after, { currentDate: NOW }))).code).toBe(
      'ERR_JWS_KEY_NOT_FOUND',
    );
    await rotating.rotateSigningKey({ keepPrevious: false });
    expect(rotating.jwks.keys).toHaveLength(1);
    expect(rotating.jwks.keys[0]?.kid).not.toBe(newKid);
  });

  it('nested tokens after a rotation are signed with the new key', async () => {
    const rotating = await createTestIssuer({ signingAlgorithm: 'ES256' });
    await rotating.rotateSigningKey({ keepPrevious: false });
    const token = await rotating.issueNested({}, { currentDate: NOW });
    const accessToken = await createVerifier(rotating.verifierOptions()).verify(token, {
      currentDate: NOW,
    });
    expect(accessToken.header.kid).toBe(rotating.jwks.keys[0]?.kid);
  });

  it('an HMAC issuer has no public key to rotate', async () => {
    const hmac = await createTestIssuer({ signingAlgorithm: 'HS384' });
    await expect(hmac.rotateSigningKey()).rejects.toThrow(
      new TypeError('rotateSigningKey: an HS384 test issuer has no public key to rotate'),
    );
  });
});
