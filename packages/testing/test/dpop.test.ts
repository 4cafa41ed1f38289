/**
 * The testing kit's DPoP helpers, checked with jose (an independent JOSE implementation): the
 * proof is a `dpop+jwt` carrying the public key only, signed by it, with the RFC 9449 §4.2 claims;
 * the thumbprint is RFC 7638's.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { createDPoPKey, createDPoPProof, type DPoPTestAlgorithm } from '../src';

describe.each<DPoPTestAlgorithm>(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'])(
  'DPoP proofs with %s',
  (alg) => {
    it('verify with the embedded public key and carry htm, htu (no query or fragment), ath, jti, iat', async () => {
      const key = await createDPoPKey(alg);
      const proof = await createDPoPProof(key, {
        method: 'POST',
        url: 'https://API.example:443/messages/1?x=1#frag',
        accessToken: 'the.access.token',
        nonce: 'n-1',
      });
      const header = decodeProtectedHeader(proof);
      expect(header).toMatchObject({ typ: 'dpop+jwt', alg });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(header.jwk).not.toHaveProperty(member);
      const { payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [alg],
      });
      expect(payload).toMatchObject({
        htm: 'POST',
        htu: 'https://api.example/messages/1',
        ath: createHash('sha256').update('the.access.token').digest('base64url'),
        nonce: 'n-1',
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5);
      expect(key.jkt).toBe(await calculateJwkThumbprint(header.jwk as never, 'sha256'));
    });
  },
);

it('each proof has its own jti; iat, jti and typ can be set for negative tests', async () => {
  const key = await createDPoPKey();
  const a = await createDPoPProof(key, { method: 'GET', url: 'https://api.example/' });
  const b = await createDPoPProof(key, { method: 'GET', url: 'https://api.example/' });
  const claimsOf = async (p: string) =>
    (await jwtVerify(p, EmbeddedJWK, { typ: 'dpop+jwt' })).payload;
  expect((await claimsOf(a)).jti).not.toBe((await claimsOf(b)).jti);
  const fixed = await createDPoPProof(key, {
    method: 'GET',
    url: 'https://api.example/',
    iat: 1000,
    jti: 'j',
    typ: 'JWT',
  });
  expect(decodeProtectedHeader(fixed).typ).toBe('JWT');
  await expect(createDPoPKey('HS256' as never)).rejects.toThrow(/unsupported algorithm/);
});
