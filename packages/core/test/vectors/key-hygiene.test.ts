/**
 * Key hygiene rules that the Wycheproof JWK vectors exposed, checked directly on the importers and
 * through `createVerifier` (a `TypeError` naming the option, at construction):
 *
 * - an RSA key whose public exponent is not odd with 2^16 < e < 2^256 is refused (FIPS 186-5
 *   §5.4); with e = 1 a PKCS#1 "signature" is the encoded message itself, so anyone could forge
 *   tokens;
 * - a lone JWK whose `key_ops` does not include `verify` is not a signature key (RFC 7517 §4.3),
 *   as JWK Set members with such `key_ops` already were not.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createVerifier } from '@tokenward/core';
import { importDecryptionKeys } from '../../src/keys/decryption-keys';
import { importPrivateKey, importPublicKey } from '../../src/keys/key-input';
import { importVerificationKeys } from '../../src/keys/local-keys';
import { loadWycheproof, publicJWK, type WycheproofSignatureTest } from '../helpers/vectors';

let rsaPublic: JWK;

beforeAll(async () => {
  const { publicKey } = await generateKeyPair('RS256', { extractable: true });
  rsaPublic = { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig', kid: 'k1' };
});

const base = { issuer: 'https://issuer.example', audience: 'https://api.example' };

describe('RSA public exponent', () => {
  it('accepts the usual exponent 65537', () => {
    expect(importPublicKey(rsaPublic, 'keys').key.asymmetricKeyDetails?.publicExponent).toBe(
      65537n,
    );
  });

  it.each([
    ['1', 'AQ'],
    ['2', 'Ag'],
    ['3', 'Aw'],
    ['65536', 'AQAA'],
  ])('refuses e = %s in a public key', (_e, e) => {
    expect(() => importPublicKey({ ...rsaPublic, e }, 'keys')).toThrow(
      new TypeError('keys: the RSA public exponent must be odd, above 2^16 and below 2^256'),
    );
  });

  it('refuses e = 1 through createVerifier, naming the option', () => {
    expect(() => createVerifier({ ...base, keys: { ...rsaPublic, e: 'AQ' } })).toThrow(
      /^keys: the RSA public exponent must be odd, above 2\^16 and below 2\^256$/,
    );
  });

  it("refuses Wycheproof's exponentOne key pair as a public, private and decryption key", () => {
    const file = loadWycheproof<WycheproofSignatureTest>('json_web_key_test.json');
    const group = file.testGroups.find((g) => g.tests.some((t) => t.comment.includes('Exponent1')));
    const [privateJwk] = (group?.private as { keys: JWK[] }).keys;
    expect(privateJwk?.e).toBe('AQ');
    const jwk = privateJwk as JWK;
    expect(() => importPublicKey(publicJWK(jwk), 'keys')).toThrow(/public exponent/);
    expect(() => importPrivateKey(jwk, 'decryptionKeys')).toThrow(
      'decryptionKeys: the RSA public exponent must be odd, above 2^16 and below 2^256',
    );
    expect(() => importDecryptionKeys({ ...jwk, use: 'enc' })).toThrow(/public exponent/);
  });
});

describe('key_ops on a lone JWK', () => {
  it('accepts a key whose key_ops include verify', () => {
    expect(importVerificationKeys({ ...rsaPublic, key_ops: ['verify'] })).toHaveLength(1);
  });

  it.each([[['encrypt']], [['sign']], [[]]])('refuses key_ops %j', (keyOps) => {
    expect(() => importVerificationKeys({ ...rsaPublic, key_ops: keyOps })).toThrow(
      new TypeError(
        'keys: the JWK has "key_ops" without "verify"; it is not a signature verification key',
      ),
    );
  });

  it('refuses it through createVerifier, naming the list entry', () => {
    expect(() =>
      createVerifier({ ...base, keys: [rsaPublic, { ...rsaPublic, key_ops: ['encrypt'] }] }),
    ).toThrow(/^keys\[1\]: the JWK has "key_ops" without "verify"/);
  });

  it('still skips such a member inside a JWK Set (unchanged)', () => {
    const keys = importVerificationKeys({
      keys: [rsaPublic, { ...rsaPublic, kid: 'k2', key_ops: ['encrypt'] }],
    });
    expect(keys.map((k) => k.kid)).toEqual(['k1']);
  });
});
