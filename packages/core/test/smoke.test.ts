import { generateKeyPair, exportJWK } from 'jose';
import { createIssuer, createVerifier } from '@tokenward/core';

test('nested round trip', async () => {
  const sig = await generateKeyPair('RS256', { extractable: true });
  const enc = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  const sigPriv = { ...(await exportJWK(sig.privateKey)), kid: 's1' };
  const encPub = { ...(await exportJWK(enc.publicKey)), kid: 'e1' };
  const encPriv = { ...(await exportJWK(enc.privateKey)), kid: 'e1' };
  const issuer = await createIssuer({
    issuer: 'https://as',
    signingKey: sigPriv,
    encryptionKey: encPub,
    audience: 'api',
  });
  const verifier = createVerifier({
    issuer: 'https://as',
    audience: 'api',
    keys: issuer.jwks,
    decryptionKeys: [encPriv],
  });
  const token = await issuer.issue({ sub: 'alice', scope: 'a b', roles: ['admin'] });
  const at = await verifier.verify(token);
  expect(at.subject).toBe('alice');
  expect([...at.scopes]).toEqual(['a', 'b']);
  expect(at.encryption?.cty).toBe('JWT');
});
