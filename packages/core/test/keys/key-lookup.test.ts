/**
 * The `getKey` signature key source (keys/key-lookup.ts): real tokens signed with jose, real
 * verifiers; only the lookup itself is the test's function. Each test fails when the rule it names
 * is removed.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import {
  createVerifier,
  MAX_KEY_CANDIDATES,
  type KeyLookup,
  type KeyLookupContext,
  type KeyLookupHeader,
  type VerifierOptions,
} from '@tokenward/core';
import {
  anAccessToken,
  AUDIENCE,
  b64u,
  claims,
  encryptJWE,
  expectInvalidToken,
  ISSUER,
  keyPair,
  NOW,
  rawJWS,
  secret,
  signJWS,
} from '../helpers/keys';

/** A lookup that records its calls and answers `answer` (a value, or a function of the header). */
function recording(answer: unknown | ((header: KeyLookupHeader) => unknown)) {
  const calls: { header: KeyLookupHeader; context: KeyLookupContext }[] = [];
  const lookup: KeyLookup = (header, context) => {
    calls.push({ header, context });
    return (typeof answer === 'function' ? answer(header) : answer) as never;
  };
  return { calls, lookup };
}

function lookupVerifier(getKey: KeyLookup, options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, getKey, cache: false, ...options });
}

const at = { currentDate: NOW };

describe('getKey: accepted tokens', () => {
  it('accepts an RS256 token with the RSA JWK the lookup returns, given the header and issuer', async () => {
    const rsa = await keyPair('rsa');
    const { calls, lookup } = recording(async () => rsa.publicJwk);
    const token = await signJWS(claims(), rsa);
    await expect(lookupVerifier(lookup).verify(token, at)).resolves.toMatchObject({
      ...anAccessToken,
      issuer: ISSUER,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.header).toEqual({ alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' });
    expect(Object.isFrozen(calls[0]?.header)).toBe(true);
    expect(calls[0]?.context.issuer).toBe(ISSUER);
    expect(calls[0]?.context.signal.aborted).toBe(false);
  });

  it('accepts an ES256 token with an EC KeyObject returned synchronously', async () => {
    const ec = await keyPair('p256');
    const { lookup } = recording(ec.publicKey);
    const token = await signJWS(claims(), ec);
    await expect(lookupVerifier(lookup).verify(token, at)).resolves.toMatchObject(anAccessToken);
  });

  it('routes per issuer: the lookup of issuers[0] is never called for the other issuer', async () => {
    const [rsa, ec] = await Promise.all([keyPair('rsa'), keyPair('p256')]);
    const other = 'https://other.example.com/';
    const { calls, lookup } = recording(rsa.publicJwk);
    const verifier = createVerifier({
      audience: AUDIENCE,
      cache: false,
      issuers: [
        { issuer: ISSUER, getKey: lookup },
        { issuer: other, keys: ec.publicJwk },
      ],
    });
    await expect(
      verifier.verify(await signJWS(claims({ iss: other }), ec), at),
    ).resolves.toMatchObject({ issuer: other });
    expect(calls).toHaveLength(0);
    await expect(verifier.verify(await signJWS(claims(), rsa), at)).resolves.toMatchObject({
      issuer: ISSUER,
    });
    expect(calls.map((c) => c.context.issuer)).toEqual([ISSUER]);
  });

  it('is given the inner JWS header of a nested (sign-then-encrypt) token', async () => {
    const [rsa, enc] = await Promise.all([keyPair('rsa'), keyPair('p256', 'encryption')]);
    const { calls, lookup } = recording(rsa.publicJwk);
    const token = await encryptJWE(await signJWS(claims(), rsa), enc);
    const verifier = lookupVerifier(lookup, { decryptionKeys: enc.privateJwk });
    await expect(verifier.verify(token, at)).resolves.toMatchObject(anAccessToken);
    expect(calls.map((c) => c.header)).toEqual([{ alg: 'RS256', kid: rsa.kid, typ: 'at+jwt' }]);
  });
});

describe('getKey: the algorithm allowlist comes first', () => {
  it('never calls the lookup for alg none or HS256', async () => {
    const rsa = await keyPair('rsa');
    const { calls, lookup } = recording(rsa.publicJwk);
    const verifier = lookupVerifier(lookup);
    const payload = JSON.stringify(claims());
    // A non-empty signature segment, so the shape check passes and the alg check decides.
    const none = `${rawJWS('{"alg":"none","typ":"at+jwt"}', payload, undefined, 'none')}AAAA`;
    const hs = rawJWS('{"alg":"HS256","typ":"at+jwt"}', payload, secret(32), 'HS256');
    await expectInvalidToken(verifier, none, 'ERR_JWS_ALG_NOT_ALLOWED');
    await expectInvalidToken(verifier, hs, 'ERR_JWS_ALG_NOT_ALLOWED');
    expect(calls).toHaveLength(0);
  });

  it('never calls the lookup for an algorithm outside the configured algorithms', async () => {
    const rsa = await keyPair('rsa');
    const { calls, lookup } = recording(rsa.publicJwk);
    const verifier = lookupVerifier(lookup, { algorithms: ['ES256'] });
    await expectInvalidToken(verifier, await signJWS(claims(), rsa), 'ERR_JWS_ALG_NOT_ALLOWED');
    expect(calls).toHaveLength(0);
  });

  it('refuses HS algorithms with getKey at construction', () => {
    expect(() => lookupVerifier(() => undefined, { algorithms: ['HS256'] })).toThrow(
      /^algorithms: HS256 is only allowed with the secret option/,
    );
  });
});

describe('getKey: returned keys get the checks of configured keys', () => {
  it('refuses a private JWK or private KeyObject as ERR_KEY_LOOKUP_FAILED', async () => {
    const rsa = await keyPair('rsa');
    const token = await signJWS(claims(), rsa);
    for (const answer of [rsa.privateJwk, rsa.privateKey]) {
      const error = await expectInvalidToken(
        lookupVerifier(() => answer),
        token,
        'ERR_KEY_LOOKUP_FAILED',
      );
      expect((error.cause as Error).message).toMatch(/private|expected a public key/);
    }
  });

  it('always refuses an HMAC secret (bytes, secret KeyObject, oct JWK), even for an RS256 token', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    const bytes = secret(32);
    for (const answer of [bytes, createSecretKey(bytes), { kty: 'oct', k: b64u(bytes) }]) {
      const error = await expectInvalidToken(
        lookupVerifier(() => answer as never),
        token,
        'ERR_KEY_LOOKUP_FAILED',
      );
      expect((error.cause as Error).message).toMatch(/^getKey returned an HMAC secret/);
    }
  });

  it('refuses an RSA key of 1024 bits', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = await exportJWK(weak.publicKey);
    const token = rawJWS(
      '{"alg":"RS256","typ":"at+jwt"}',
      JSON.stringify(claims()),
      weak.privateKey,
    );
    const error = await expectInvalidToken(
      lookupVerifier(() => jwk),
      token,
      'ERR_KEY_LOOKUP_FAILED',
    );
    expect((error.cause as Error).message).toMatch(/at least 2048 bits/);
  });

  it('does not use an EC key for an RS256 token (key type bound to alg)', async () => {
    const [rsa, ec] = await Promise.all([keyPair('rsa'), keyPair('p256')]);
    const token = await signJWS(claims(), rsa, { kid: undefined });
    await expectInvalidToken(
      lookupVerifier(() => ec.publicJwk),
      token,
      'ERR_JWS_KEY_NOT_FOUND',
    );
  });

  it(`tries at most MAX_KEY_CANDIDATES (${MAX_KEY_CANDIDATES}) keys for a token without kid`, async () => {
    const names = Array.from({ length: MAX_KEY_CANDIDATES + 1 }, (_, n) => `candidate-${n}`);
    const pairs = await Promise.all(names.map((name) => keyPair('p256', name)));
    // Without kid every key fits the ES256 token; the signer's key comes one past the bound.
    const jwks: JWK[] = pairs.map((p) => ({ ...p.publicJwk, kid: undefined }));
    const signer = pairs[MAX_KEY_CANDIDATES] as (typeof pairs)[number];
    const token = await signJWS(claims(), signer, { kid: undefined });
    await expectInvalidToken(
      lookupVerifier(() => jwks),
      token,
      'ERR_JWS_SIGNATURE_INVALID',
    );
    // The same key within the first MAX_KEY_CANDIDATES is found.
    const reordered = [jwks[MAX_KEY_CANDIDATES] as JWK, ...jwks.slice(0, MAX_KEY_CANDIDATES)];
    await expect(lookupVerifier(() => reordered).verify(token, at)).resolves.toMatchObject(
      anAccessToken,
    );
  });

  it('answers ERR_JWS_KEY_NOT_FOUND when the lookup has no key (undefined or [])', async () => {
    const token = await signJWS(claims(), await keyPair('rsa'));
    await expectInvalidToken(
      lookupVerifier(() => undefined),
      token,
      'ERR_JWS_KEY_NOT_FOUND',
    );
    await expectInvalidToken(
      lookupVerifier(() => []),
      token,
      'ERR_JWS_KEY_NOT_FOUND',
    );
  });
});
