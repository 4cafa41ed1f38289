/**
 * RFC 7520 §6 "Nesting Signatures and Encryption": a PS256 JWT (`typ: "JWT"`, issuer
 * `hobbiton.example`, `exp` 1300819380 = 2011-03-22T18:43:00Z) encrypted with RSA-OAEP + A128GCM
 * and `cty: "JWT"` — the token shape tokenward exists for.
 *
 * Its claims set has no `aud`. tokenward requires one (RFC 9068 §4; docs/architecture.md SD-18)
 * and core is not weakened to pass, so `createVerifier` decrypts it, verifies the inner signature,
 * accepts the type and the issuer, and then refuses it with `ERR_CLAIM_MISSING` for `aud`. To be
 * accepted, the example would need an `aud` claim naming the resource server. The tests below
 * show that every step before the audience check really runs, by breaking each one in turn.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createVerifier, InvalidTokenError, type VerifierOptions } from '@tokenward/core';
import {
  configureDecryption,
  configureSignature,
  decryptCompactJWE,
  loadFixture,
  publicJWK,
  verifyCompactJWS,
} from '../helpers/vectors';

interface NestedExample {
  sign: {
    input: { payload: string; key: JWK; alg: string };
    signing: { protected: Record<string, unknown> };
    output: { compact: string };
  };
  encrypt: {
    input: { plaintext: string; key: JWK; alg: string; enc: string };
    encrypting_content: { protected: Record<string, unknown> };
    output: { compact: string };
  };
}

const example = loadFixture<NestedExample>('cookbook/6.nesting_signatures_and_encryption.json');
const token = example.encrypt.output.compact;
const innerJWS = example.sign.output.compact;
const EXP = 1300819380;
/** One minute before the example expires. */
const BEFORE_EXP = new Date((EXP - 60) * 1000);

const options: VerifierOptions = {
  issuer: 'hobbiton.example',
  audience: 'https://api.example',
  keys: publicJWK(example.sign.input.key),
  algorithms: ['PS256'],
  decryptionKeys: example.encrypt.input.key,
  encryption: 'required',
  keyManagementAlgorithms: ['RSA-OAEP'],
  contentEncryptionAlgorithms: ['A128GCM'],
  tokenType: 'JWT',
};

async function rejection(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return error as InvalidTokenError;
}

describe('RFC 7520 §6 nested JWT, layer by layer', () => {
  it('is a compact JWE whose header announces a nested JWT', () => {
    expect(example.encrypt.encrypting_content.protected).toEqual({
      alg: 'RSA-OAEP',
      cty: 'JWT',
      enc: 'A128GCM',
    });
    expect(example.encrypt.input.plaintext).toBe(innerJWS);
  });

  it('decryptJWE opens it, without allowing unsigned content, to the §6 JWS', async () => {
    const outer = await decryptCompactJWE(
      token,
      configureDecryption(example.encrypt.input.key, 'RSA-OAEP'),
      false,
    );
    expect(outer.nested).toBe(true);
    expect(outer.header).toEqual(example.encrypt.encrypting_content.protected);
    expect(Buffer.from(outer.plaintext).toString('utf8')).toBe(innerJWS);
  });

  it('verifyJWS verifies the inner PS256 JWT and returns its claims, which have no aud', async () => {
    const config = configureSignature(publicJWK(example.sign.input.key));
    const inner = await verifyCompactJWS(innerJWS, { ...config, algorithms: new Set(['PS256']) });
    expect(inner.header).toEqual({ alg: 'PS256', typ: 'JWT' });
    expect(inner.claims).toEqual(JSON.parse(example.sign.input.payload));
    expect(inner.claims).toEqual({
      iss: 'hobbiton.example',
      exp: EXP,
      'http://example.com/is_root': true,
    });
    expect(inner.claims).not.toHaveProperty('aud');
  });
});

describe('RFC 7520 §6 nested JWT end-to-end with createVerifier', () => {
  it('gets through decryption, signature, typ and iss, and stops at the missing aud', async () => {
    // RFC 6750 §3 limits error_description to printable ASCII, so "§" is sent as "?".
    const error = await rejection(
      createVerifier(options).verify(token, { currentDate: BEFORE_EXP }),
    );
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('aud');
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has no aud claim (RFC 9068 ?4 requires one)"',
    );
    expect(error.toJSON()).toEqual({
      error: 'invalid_token',
      error_description: 'the token has no aud claim (RFC 9068 ?4 requires one)',
    });
  });

  it('needs tokenType JWT: the default (RFC 9068 at+jwt) refuses typ "JWT" first', async () => {
    const { tokenType: _omitted, ...defaults } = options;
    const error = await rejection(
      createVerifier(defaults).verify(token, { currentDate: BEFORE_EXP }),
    );
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('checks the issuer: another configured issuer → ERR_ISSUER_INVALID', async () => {
    const verifier = createVerifier({ ...options, issuer: 'https://hobbiton.example' });
    const error = await rejection(verifier.verify(token, { currentDate: BEFORE_EXP }));
    expect(error.code).toBe('ERR_ISSUER_INVALID');
    expect(error.claim).toBe('iss');
  });

  it('checks the inner signature: another issuer key → ERR_JWS_SIGNATURE_INVALID', async () => {
    const { publicKey } = await generateKeyPair('PS256', { extractable: true });
    const verifier = createVerifier({ ...options, keys: await exportJWK(publicKey) });
    const error = await rejection(verifier.verify(token, { currentDate: BEFORE_EXP }));
    expect(error.code).toBe('ERR_JWS_SIGNATURE_INVALID');
  });

  it('decrypts with our key only: another RSA key → ERR_JWE_DECRYPTION_FAILED', async () => {
    const { privateKey } = await generateKeyPair('RSA-OAEP', { extractable: true });
    const verifier = createVerifier({ ...options, decryptionKeys: await exportJWK(privateKey) });
    const error = await rejection(verifier.verify(token, { currentDate: BEFORE_EXP }));
    expect(error.code).toBe('ERR_JWE_DECRYPTION_FAILED');
  });

  it('requires the encryption: the inner JWS alone → ERR_JWE_REQUIRED', async () => {
    const error = await rejection(
      createVerifier(options).verify(innerJWS, { currentDate: BEFORE_EXP }),
    );
    expect(error.code).toBe('ERR_JWE_REQUIRED');
  });
});
