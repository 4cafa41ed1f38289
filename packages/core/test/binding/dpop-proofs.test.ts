/**
 * Hostile DPoP proofs, each refused with its own code and never a 500 or a hang: private and
 * symmetric keys, algorithms outside the allowlist, broken encodings, oversized members; and the
 * nested case, where `ath` covers the outer JWE exactly as sent.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { createVerifier, TokenwardError, type RequestLike } from '@tokenward/core';
import { createDPoPKey, createDPoPProof, createTestIssuer } from '@tokenward/testing';

const ORIGIN = 'https://api.example.com';
const URL_ = `${ORIGIN}/messages`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

const request = (token: string, proof: string): RequestLike => ({
  method: 'GET',
  url: '/messages',
  headers: { authorization: `DPoP ${token}`, dpop: proof },
  rawHeaders: ['Authorization', `DPoP ${token}`, 'DPoP', proof],
});

async function setup(nested = false) {
  const issuer = await createTestIssuer(nested ? {} : { keyManagementAlgorithm: false });
  const key = await createDPoPKey('ES256');
  const verifier = createVerifier(
    issuer.verifierOptions({
      dpop: { origin: ORIGIN, algorithms: ['ES256', 'PS256'] },
      metrics: false,
    }),
  );
  const claims = { cnf: { jkt: key.jkt } };
  const token = nested ? await issuer.issueNested(claims) : await issuer.issueSigned(claims);
  const claimsOf = (extra: Record<string, unknown> = {}) => ({
    jti: randomUUID(),
    htm: 'GET',
    htu: URL_,
    iat: Math.floor(Date.now() / 1000),
    ath: ath(token),
    ...extra,
  });
  return { verifier, key, token, claimsOf };
}

const codeOf = (pending: Promise<unknown>) =>
  pending.then(
    () => 'accepted',
    (error: unknown) => {
      if (error instanceof TokenwardError) return `${error.status} ${error.code}`;
      throw error;
    },
  );

describe('hostile DPoP proofs', () => {
  it('a nested token: ath covers the outer JWE string, not the inner JWS', async () => {
    const { verifier, key, token } = await setup(true);
    expect(token.split('.')).toHaveLength(5);
    const proof = await createDPoPProof(key, { method: 'GET', url: URL_, accessToken: token });
    await expect(verifier.verifyRequest(request(token, proof))).resolves.toMatchObject({
      binding: { scheme: 'dpop', jkt: key.jkt },
    });
  });

  it('refuses a jwk with private members, even when the signature is good', async () => {
    const { verifier, key, token, claimsOf } = await setup();
    const privateJwk = key.privateKey.export({ format: 'jwk' }) as JWK;
    const proof = await new SignJWT(claimsOf())
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
      .sign(key.privateKey);
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe(
      '401 ERR_DPOP_JWK_INVALID',
    );
  });

  it('refuses a symmetric jwk and HS256', async () => {
    const { verifier, token, claimsOf } = await setup();
    const secret = new Uint8Array(32).fill(7);
    const proof = await new SignJWT(claimsOf())
      .setProtectedHeader({
        typ: 'dpop+jwt',
        alg: 'HS256',
        // jose's header type has no `k`: a client that sends a secret key builds it by hand.
        jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as JWK,
      })
      .sign(secret);
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe(
      '401 ERR_DPOP_ALG_NOT_ALLOWED',
    );
    const asES = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'oct', k: 'AAAA' } })}.${proof.split('.')[1]}.${proof.split('.')[2]}`;
    expect(await codeOf(verifier.verifyRequest(request(token, asES)))).toBe(
      '401 ERR_DPOP_JWK_INVALID',
    );
  });

  it.each([
    ['none', { typ: 'dpop+jwt', alg: 'none' }],
    ['an unlisted algorithm (ES384)', { typ: 'dpop+jwt', alg: 'ES384' }],
    ['no alg', { typ: 'dpop+jwt' }],
  ])('refuses alg %s', async (_label, header) => {
    const { verifier, key, token, claimsOf } = await setup();
    const proof = `${b64({ ...header, jwk: key.publicJwk })}.${b64(claimsOf())}.${'A'.repeat(86)}`;
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe(
      '401 ERR_DPOP_ALG_NOT_ALLOWED',
    );
  });

  it('refuses a key that does not fit the alg, and an RSA key under 2048 bits', async () => {
    const { verifier, key, token, claimsOf } = await setup();
    const ps = `${b64({ typ: 'dpop+jwt', alg: 'PS256', jwk: key.publicJwk })}.${b64(claimsOf())}.${'A'.repeat(342)}`;
    expect(await codeOf(verifier.verifyRequest(request(token, ps)))).toBe(
      '401 ERR_DPOP_JWK_INVALID',
    );
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    });
    const weak = `${b64({ typ: 'dpop+jwt', alg: 'PS256', jwk: small })}.${b64(claimsOf())}.${'A'.repeat(171)}`;
    expect(await codeOf(verifier.verifyRequest(request(token, weak)))).toBe(
      '401 ERR_DPOP_JWK_INVALID',
    );
  });

  it('refuses a forged signature by the right key', async () => {
    const { verifier, key, token, claimsOf } = await setup();
    const proof = await createDPoPProof(key, { method: 'GET', url: URL_, accessToken: token });
    const [h] = proof.split('.');
    const forged = `${h}.${b64(claimsOf())}.${proof.split('.')[2]}`;
    expect(await codeOf(verifier.verifyRequest(request(token, forged)))).toBe(
      '401 ERR_DPOP_SIGNATURE_INVALID',
    );
  });

  it('a header seen in an accepted proof still needs a valid signature and claims every time', async () => {
    const { verifier, key, token, claimsOf } = await setup();
    const good = await createDPoPProof(key, { method: 'GET', url: URL_, accessToken: token });
    expect(await codeOf(verifier.verifyRequest(request(token, good)))).toBe('accepted');
    const [h, , sig] = good.split('.');
    expect(
      await codeOf(verifier.verifyRequest(request(token, `${h}.${b64(claimsOf())}.${sig}`))),
    ).toBe('401 ERR_DPOP_SIGNATURE_INVALID');
    expect(
      await codeOf(
        verifier.verifyRequest(request(token, `${h}.${b64(claimsOf({ htm: 'PUT' }))}.${sig}`)),
      ),
    ).toBe('401 ERR_DPOP_HTM_MISMATCH');
    // A header refused once is refused again (only accepted headers are remembered).
    const badTyp = await createDPoPProof(key, {
      method: 'GET',
      url: URL_,
      accessToken: token,
      typ: 'jwt',
    });
    for (let i = 0; i < 2; i++) {
      expect(await codeOf(verifier.verifyRequest(request(token, badTyp)))).toBe(
        '401 ERR_DPOP_TYP_INVALID',
      );
    }
  });

  it.each([
    ['not a JWS', 'hello'],
    ['a JWE', 'a.b.c.d.e'],
    ['bad base64url', 'a!.b.c'],
    ['a non-canonical segment', 'aaaaa.bbbb.cccc'],
    ['a header that is not JSON', `${Buffer.from('{oops').toString('base64url')}.e30.AAAA`],
    [
      'a duplicate header member',
      `${Buffer.from('{"typ":"dpop+jwt","typ":"jwt"}').toString('base64url')}.e30.AAAA`,
    ],
  ])('refuses %s as malformed', async (_label, proof) => {
    const { verifier, token } = await setup();
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe(
      '401 ERR_DPOP_PROOF_MALFORMED',
    );
  });

  it.each([
    ['a jti over 256 characters', { jti: 'j'.repeat(257) }],
    ['no jti', { jti: undefined }],
    ['a string iat', { iat: String(Math.floor(Date.now() / 1000)) }],
  ])('refuses %s', async (_label, extra) => {
    const { verifier, key, token, claimsOf } = await setup();
    const proof = await new SignJWT(claimsOf(extra))
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
      .sign(key.privateKey);
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe(
      '401 ERR_DPOP_PROOF_MALFORMED',
    );
  });

  it('refuses crit, and a missing ath', async () => {
    const { verifier, key, token, claimsOf } = await setup();
    const withCrit = await new SignJWT(claimsOf())
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['exp'] })
      .sign(key.privateKey)
      .catch(
        () =>
          `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['x'] })}.${b64(claimsOf())}.${'A'.repeat(86)}`,
      );
    expect(await codeOf(verifier.verifyRequest(request(token, withCrit)))).toBe(
      '401 ERR_DPOP_PROOF_MALFORMED',
    );
    const noAth = await new SignJWT(claimsOf({ ath: undefined }))
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })
      .sign(key.privateKey);
    expect(await codeOf(verifier.verifyRequest(request(token, noAth)))).toBe(
      '401 ERR_DPOP_ATH_MISMATCH',
    );
  });

  it('accepts application/dpop+jwt and any case of the typ (RFC 7515 §4.1.9)', async () => {
    const { verifier, key, token } = await setup();
    const proof = await createDPoPProof(key, {
      method: 'GET',
      url: URL_,
      accessToken: token,
      typ: 'application/DPoP+JWT',
    });
    expect(await codeOf(verifier.verifyRequest(request(token, proof)))).toBe('accepted');
  });
});
