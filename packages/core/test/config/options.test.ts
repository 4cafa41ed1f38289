/**
 * `createVerifier` option validation (verifier-options.ts) and the key inputs it accepts
 * (keys/local-keys.ts, keys/decryption-keys.ts, keys/key-input.ts): every misuse is a
 * `TypeError` naming the option, raised when the verifier is built, never mid-request.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { createVerifier, DEFAULT_MAX_TOKEN_LENGTH, type VerifierOptions } from '@tokenward/core';
import {
  anAccessToken,
  AUDIENCE,
  claims,
  encryptJWE,
  expectInvalidToken,
  ISSUER,
  keyPair,
  NOW,
  secret,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

let rsa: TestKeyPair;
let ec: TestKeyPair;
let ed: TestKeyPair;
let apiKey: TestKeyPair;

beforeAll(async () => {
  [rsa, ec, ed, apiKey] = await Promise.all([
    keyPair('rsa'),
    keyPair('p256'),
    keyPair('ed25519'),
    keyPair('p256', 'api'),
  ]);
});

const at = { currentDate: NOW };
/** Builds a verifier from the base options (issuer, audience, the RSA key) plus `overrides`. */
const build = (overrides: Record<string, unknown>) => {
  const base: Record<string, unknown> = { issuer: ISSUER, audience: AUDIENCE };
  if (!('keys' in overrides) && !('secret' in overrides)) base.keys = rsa.publicJwk;
  const options = { ...base, ...overrides };
  for (const name of Object.keys(options)) if (options[name] === undefined) delete options[name];
  return createVerifier(options as unknown as VerifierOptions);
};
const typeError = (overrides: Record<string, unknown>, message: RegExp | string) =>
  expect(() => build(overrides)).toThrow(
    expect.objectContaining({
      name: 'TypeError',
      message:
        typeof message === 'string'
          ? expect.stringContaining(message)
          : expect.stringMatching(message),
    }),
  );

describe('general options', () => {
  test.each([undefined, null, 'options', 42])('options %p is a TypeError', (value) => {
    expect(() => createVerifier(value as unknown as VerifierOptions)).toThrow(TypeError);
  });

  test('an unknown option is a TypeError naming it', () => {
    typeError({ audiences: [AUDIENCE] }, 'audiences: unknown option');
    typeError({ maxTokenLenght: 100 }, 'maxTokenLenght: unknown option');
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['an empty array', []],
    ['an array with an empty string', [ISSUER, '']],
    ['a number', 42],
    ['an array with a number', [ISSUER, 1]],
  ])('issuer %s is a TypeError', (_name, issuer) => {
    typeError({ issuer }, /issuer/);
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['an empty array', []],
    ['a number', 7],
  ])('audience %s is a TypeError', (_name, audience) => {
    typeError({ audience }, /audience/);
  });

  test('issuer and audience accept a string or a list', async () => {
    const v = build({ issuer: ['https://a.example/', ISSUER], audience: ['x', AUDIENCE] });
    const token = await v.verify(await signJWS(claims(), rsa), at);
    expect(token.audience).toEqual([AUDIENCE]);
  });

  test('keys and secret together, or neither, is a TypeError', () => {
    typeError({ keys: rsa.publicJwk, secret: secret(32) }, /exactly one signature key source/);
    typeError({ keys: undefined }, /exactly one signature key source/);
  });

  test.each([
    ['an unknown value', 'sometimes', /encryption: expected 'required', 'optional' or 'forbidden'/],
    [
      'required without decryptionKeys',
      'required',
      /encryption: 'required' needs the decryptionKeys option/,
    ],
    [
      'optional without decryptionKeys',
      'optional',
      /encryption: 'optional' needs the decryptionKeys option/,
    ],
  ])('encryption %s is a TypeError', (_name, encryption, message) => {
    typeError({ encryption }, message);
  });

  test.each([-1, 301, Number.NaN, Number.POSITIVE_INFINITY, '30'])(
    'clockTolerance %p is a TypeError',
    (clockTolerance) => {
      typeError(
        { clockTolerance },
        'clockTolerance: expected a number of seconds between 0 and 300',
      );
    },
  );

  test('clockTolerance accepts 0 and 300', () => {
    expect(() => build({ clockTolerance: 0 })).not.toThrow();
    expect(() => build({ clockTolerance: 300 })).not.toThrow();
  });

  test.each([-1, Number.NaN, '60'])('maxTokenAge %p is a TypeError', (maxTokenAge) => {
    typeError({ maxTokenAge }, 'maxTokenAge: expected a number of seconds');
  });

  test.each([15, 0, -1, 16.5, Number.NaN, '100', 2 ** 60])(
    'maxTokenLength %p is a TypeError',
    (maxTokenLength) => {
      typeError(
        { maxTokenLength },
        'maxTokenLength: expected an integer of at least 16 characters',
      );
    },
  );

  test('maxTokenLength defaults to 16384 and accepts 16', async () => {
    expect(DEFAULT_MAX_TOKEN_LENGTH).toBe(16384);
    const v = build({ maxTokenLength: 16 });
    await expectInvalidToken(v, await signJWS(claims(), rsa), 'ERR_TOKEN_TOO_LONG');
  });

  test.each([[['']], [[1]], [[null]], ['sub']])(
    'requiredClaims %p is a TypeError',
    (requiredClaims) => {
      typeError({ requiredClaims }, 'requiredClaims: expected an array of claim names');
    },
  );

  test.each([[[]], [[1]], [42]])('tokenType %p is a TypeError', (tokenType) => {
    typeError({ tokenType }, /tokenType/);
  });

  test('tokenType accepts the empty string for tokens without typ', async () => {
    const v = build({ tokenType: '' });
    await expect(
      v.verify(await signJWS(claims(), rsa, { typ: undefined }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(v, await signJWS(claims(), rsa), 'ERR_TOKEN_TYPE_INVALID');
  });

  test.each(['', 42])('realm %p is a TypeError', (realm) => {
    typeError({ realm }, 'realm: expected a non-empty string');
  });

  test('realm is used in every challenge', async () => {
    const v = build({ realm: 'orders' });
    expect(v.realm).toBe('orders');
    const error = await expectInvalidToken(v, 'x.y.z', 'ERR_TOKEN_MALFORMED');
    expect(error.headers['WWW-Authenticate']).toMatch(
      /^Bearer realm="orders", error="invalid_token"/,
    );
    expect(build({}).realm).toBe('api');
  });

  test('an unknown claims preset is a TypeError', () => {
    expect(() => build({ claims: 'no-such-idp' })).toThrow(TypeError);
  });
});

describe('algorithms', () => {
  test.each([
    ['an empty list', [], /algorithms: expected a non-empty string/],
    ['an unknown algorithm', ['XS256'], /algorithms: unsupported algorithm "XS256"/],
    ['none', ['none'], /algorithms: unsupported algorithm "none"/],
    [
      'HS256 with public keys',
      ['RS256', 'HS256'],
      /algorithms: HS256 is only allowed with the secret option/,
    ],
    ['a lower-case spelling', ['rs256'], /unsupported algorithm "rs256"/],
  ])('%s is a TypeError', (_name, algorithms, message) => {
    typeError({ algorithms }, message);
  });

  test.each([
    ['RS256 with a secret', ['RS256'], /algorithms: RS256 cannot be used with a secret/],
    ['none with a secret', ['none'], /algorithms: none cannot be used with a secret/],
    ['an empty list with a secret', [], /algorithms: expected/],
  ])('%s is a TypeError', (_name, algorithms, message) => {
    typeError({ secret: secret(64), algorithms }, message);
  });

  test('a single algorithm may be given as a string', async () => {
    const v = build({ algorithms: 'ES256', keys: ec.publicJwk });
    await expect(v.verify(await signJWS(claims(), ec), at)).resolves.toMatchObject(anAccessToken);
  });

  test('the default asymmetric list accepts every key type', async () => {
    const v = build({ keys: [rsa.publicJwk, ec.publicJwk, ed.publicJwk] });
    for (const [key, alg] of [
      [rsa, 'RS256'],
      [rsa, 'PS512'],
      [ec, 'ES256'],
      [ed, 'EdDSA'],
      [ed, 'Ed25519'],
    ] as const) {
      await expect(v.verify(await signJWS(claims(), key, { alg }), at)).resolves.toMatchObject(
        anAccessToken,
      );
    }
  });

  test('with a secret, the default list is the HS algorithms the secret is long enough for', async () => {
    const key = secret(48);
    const v = build({ secret: key });
    await expect(
      v.verify(await signJWS(claims(), key, { alg: 'HS256' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expect(
      v.verify(await signJWS(claims(), key, { alg: 'HS384' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(
      v,
      await signJWS(claims(), key, { alg: 'HS512' }),
      'ERR_JWS_ALG_NOT_ALLOWED',
    );
  });
});

describe('JWE algorithm allowlists', () => {
  const withKeys = (extra: Record<string, unknown>) => ({
    decryptionKeys: apiKey.privateJwk,
    ...extra,
  });

  test.each([
    ['keyManagementAlgorithms', ['RSA1_5'], /keyManagementAlgorithms: RSA1_5 is never allowed/],
    ['keyManagementAlgorithms', ['PBES2-HS256+A128KW'], /is never allowed/],
    ['keyManagementAlgorithms', ['none'], /keyManagementAlgorithms: none is never allowed/],
    [
      'keyManagementAlgorithms',
      ['A128CBC-HS256'],
      /keyManagementAlgorithms: unsupported algorithm "A128CBC-HS256"/,
    ],
    ['keyManagementAlgorithms', [], /keyManagementAlgorithms: expected/],
    [
      'contentEncryptionAlgorithms',
      ['A128CBC'],
      /contentEncryptionAlgorithms: unsupported algorithm "A128CBC"/,
    ],
    [
      'contentEncryptionAlgorithms',
      ['dir'],
      /contentEncryptionAlgorithms: unsupported algorithm "dir"/,
    ],
    [
      'contentEncryptionAlgorithms',
      ['RSA1_5'],
      /contentEncryptionAlgorithms: RSA1_5 is never allowed/,
    ],
    ['contentEncryptionAlgorithms', [''], /contentEncryptionAlgorithms: expected/],
  ])('%s %p is a TypeError', (option, value, message) => {
    typeError(withKeys({ [option]: value }), message);
  });

  test('the allowlists accept a single string', async () => {
    const v = build(
      withKeys({
        keyManagementAlgorithms: 'ECDH-ES+A256KW',
        contentEncryptionAlgorithms: 'A256GCM',
      }),
    );
    const jwe = await encryptJWE(await signJWS(claims(), rsa), apiKey);
    await expect(v.verify(jwe, at)).resolves.toMatchObject({ token: jwe });
  });
});

describe('keys: signature key inputs', () => {
  let certDir: string;
  let certPem: string;
  let certKeyPem: string;

  beforeAll(() => {
    // An X.509 certificate for the issuer key, made with openssl at test time.
    certDir = mkdtempSync(join(tmpdir(), 'tokenward-x509-'));
    const keyFile = join(certDir, 'key.pem');
    const certFile = join(certDir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=tokenward-test',
      ],
      { stdio: 'ignore' },
    );
    certPem = readFileSync(certFile, 'utf8');
    certKeyPem = readFileSync(keyFile, 'utf8');
  });

  afterAll(() => rmSync(certDir, { recursive: true, force: true }));

  test('a public JWK', async () => {
    await expect(
      build({ keys: rsa.publicJwk }).verify(await signJWS(claims(), rsa), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('a JWK Set, skipping members with use "enc" or without the verify key operation', async () => {
    const encKey = await keyPair('p256', 'enc-member');
    const opsKey = await keyPair('p384', 'ops-member');
    const v = build({
      keys: {
        keys: [
          { ...encKey.publicJwk, use: 'enc' },
          { ...opsKey.publicJwk, key_ops: ['encrypt'] },
          { ...rsa.publicJwk, use: 'sig' },
          { ...ec.publicJwk, key_ops: ['verify'] },
        ],
      },
    });
    await expect(v.verify(await signJWS(claims(), rsa), at)).resolves.toMatchObject(anAccessToken);
    await expect(v.verify(await signJWS(claims(), ec), at)).resolves.toMatchObject(anAccessToken);
    // The skipped members were never imported: tokens they signed find no key.
    await expectInvalidToken(v, await signJWS(claims(), encKey), 'ERR_JWS_KEY_NOT_FOUND');
    await expectInvalidToken(v, await signJWS(claims(), opsKey), 'ERR_JWS_KEY_NOT_FOUND');
  });

  test('PEM SPKI text', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    // A PEM key has no kid, so it serves tokens with any kid or none.
    const v = build({ keys: pem });
    await expect(v.verify(await signJWS(claims(), rsa), at)).resolves.toMatchObject(anAccessToken);
    await expect(
      v.verify(await signJWS(claims(), rsa, { kid: undefined }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('an X.509 certificate in PEM', async () => {
    const v = build({ keys: certPem });
    const signer = createPrivateKey(certKeyPem);
    const pair = { ...ec, kid: 'cert', privateKey: signer } as TestKeyPair;
    await expect(v.verify(await signJWS(claims(), pair), at)).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(v, await signJWS(claims(), ec), 'ERR_JWS_SIGNATURE_INVALID');
  });

  test('a public KeyObject', async () => {
    const v = build({ keys: ed.publicKey });
    await expect(v.verify(await signJWS(claims(), ed), at)).resolves.toMatchObject(anAccessToken);
  });

  test('a list of inputs of different kinds', async () => {
    const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const v = build({ keys: [rsa.publicJwk, pem, ed.publicKey] });
    for (const key of [rsa, ec, ed]) {
      await expect(v.verify(await signJWS(claims(), key), at)).resolves.toMatchObject(
        anAccessToken,
      );
    }
  });

  test('SD-25: RSA keys under 2048 bits are a TypeError, in every input form', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = await exportJWK(publicKey);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    typeError({ keys: publicKey }, 'keys: RSA keys must be at least 2048 bits (got 1024)');
    typeError({ keys: jwk }, 'RSA keys must be at least 2048 bits');
    typeError({ keys: pem }, 'RSA keys must be at least 2048 bits');
    typeError(
      { keys: { keys: [rsa.publicJwk, { ...jwk, kid: 'short' }] } },
      'keys (kid "short"): RSA keys must be at least 2048 bits',
    );
    typeError({ keys: [rsa.publicJwk, jwk] }, 'keys[1]: RSA keys must be at least 2048 bits');
  });

  test.each([
    ['a private JWK', () => rsa.privateJwk, 'keys: not a usable public key'],
    ['a private KeyObject', () => rsa.privateKey, 'keys: expected a public key, got a private key'],
    [
      'a secret KeyObject',
      () => createSecretKey(Buffer.alloc(32)),
      'keys: expected a public key, got a secret key',
    ],
    [
      'a symmetric JWK',
      () => ({ kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      'keys: not a usable public key',
    ],
    [
      'a JWK with use "enc"',
      () => ({ ...rsa.publicJwk, use: 'enc' }),
      'keys: the JWK has "use": "enc"',
    ],
    [
      'garbage PEM text',
      () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      'keys: not a usable public key',
    ],
    [
      'a JWK Set with an oct member',
      () => ({ keys: [{ kty: 'oct', k: 'AAAA' }] }),
      'must not hold symmetric (oct) keys',
    ],
    [
      'a JWK Set of encryption keys only',
      () => ({ keys: [{ ...rsa.publicJwk, use: 'enc' }] }),
      'keys: no usable signature verification key',
    ],
    ['an empty JWK Set', () => ({ keys: [] }), 'keys: no usable signature verification key'],
    ['a JWK with an unknown kty', () => ({ kty: 'XYZ' }), 'keys: not a usable public key'],
  ])('%s is a TypeError', (_name, input, message) => {
    typeError({ keys: input() }, message);
  });

  test.each([
    ['PKCS#8', () => rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })],
    ['PKCS#1', () => rsa.privateKey.export({ type: 'pkcs1', format: 'pem' })],
    ['SEC1', () => ec.privateKey.export({ type: 'sec1', format: 'pem' })],
  ])('a %s private key PEM is a TypeError: public keys only', (_name, pem) => {
    // node:crypto would quietly derive the public key; a private key must not sit in verifier config.
    typeError({ keys: pem() }, /^keys: not a usable public key \(.*private key/);
    typeError({ keys: [rsa.publicJwk, pem()] }, /^keys\[1\]: not a usable public key/);
  });

  test('an RSASSA-PSS-only key (id-RSASSA-PSS SPKI) is a TypeError, not a key that fails every token', () => {
    const { publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    typeError({ keys: publicKey }, /^keys: RSASSA-PSS-only keys .* are not supported/);
    typeError({ keys: publicKey.export({ type: 'spki', format: 'pem' }) }, /RSASSA-PSS-only keys/);
  });

  test('a private member in a JWK Set is a TypeError naming the kid', () => {
    typeError(
      { keys: { keys: [{ ...rsa.privateJwk, kid: 'leaked' }] } },
      'keys (kid "leaked"): not a usable public key',
    );
  });
});

describe('secret', () => {
  test('accepts a string, bytes or a secret KeyObject of at least 32 bytes', async () => {
    const bytes = secret(32);
    for (const input of [bytes, createSecretKey(bytes)]) {
      const v = build({ secret: input });
      await expect(v.verify(await signJWS(claims(), bytes), at)).resolves.toMatchObject(
        anAccessToken,
      );
    }
    const text = 's'.repeat(32);
    const v = build({ secret: text });
    await expect(
      v.verify(await signJWS(claims(), new TextEncoder().encode(text)), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test.each([
    [
      '31 bytes',
      () => secret(31),
      'secret: must be at least 32 bytes for HS256 (RFC 7518 §3.2), got 31',
    ],
    ['a 31-character string', () => 'x'.repeat(31), 'got 31'],
    ['an empty string', () => '', 'secret: must be at least 32 bytes'],
    [
      'a public KeyObject',
      () => rsa.publicKey,
      'secret: expected a string, Uint8Array or secret KeyObject',
    ],
    ['a number', () => 42, 'secret: expected a string, Uint8Array or secret KeyObject'],
    ['null', () => null, 'secret: expected a string, Uint8Array or secret KeyObject'],
  ])('%s is a TypeError', (_name, input, message) => {
    typeError({ secret: input() }, message);
  });

  test('a wrong secret fails the signature', async () => {
    const v = build({ secret: secret(32) });
    await expectInvalidToken(v, await signJWS(claims(), secret(32)), 'ERR_JWS_SIGNATURE_INVALID');
  });
});

describe('decryptionKeys: input forms', () => {
  const nested = async (key: TestKeyPair | Uint8Array, header: Record<string, unknown> = {}) =>
    encryptJWE(await signJWS(claims(), rsa), key, header);

  test('a private JWK, a private JWK Set, PKCS#8 PEM, a KeyObject, raw bytes and { kid, key }', async () => {
    const pkcs8 = apiKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const bytes = secret(32);
    const forms: [string, unknown, TestKeyPair | Uint8Array, Record<string, unknown>][] = [
      ['JWK', apiKey.privateJwk, apiKey, {}],
      ['JWK Set', { keys: [{ ...rsa.publicJwk, use: 'sig' }, apiKey.privateJwk] }, apiKey, {}],
      ['PEM', pkcs8, apiKey, {}],
      ['KeyObject', apiKey.privateKey, apiKey, {}],
      ['bytes', bytes, bytes, {}],
      ['named PEM', { kid: 'pem-key', key: pkcs8 }, apiKey, { kid: 'pem-key' }],
      ['named bytes', { kid: 'shared', key: bytes }, bytes, { kid: 'shared' }],
      [
        'oct JWK',
        { kty: 'oct', k: Buffer.from(bytes).toString('base64url'), kid: 'oct' },
        bytes,
        { kid: 'oct' },
      ],
    ];
    for (const [name, decryptionKeys, key, header] of forms) {
      const v = build({ decryptionKeys });
      const token = await v.verify(await nested(key, header), at);
      expect([name, token.encryption?.cty]).toEqual([name, 'JWT']);
    }
  });

  test('a JWK Set member with use "sig" is skipped', async () => {
    const other = await keyPair('p256', 'sig-member');
    const v = build({
      decryptionKeys: { keys: [{ ...other.privateJwk, use: 'sig' }, apiKey.privateJwk] },
    });
    await expectInvalidToken(v, await nested(other), 'ERR_JWE_KEY_NOT_FOUND');
    await expect(v.verify(await nested(apiKey), at)).resolves.toMatchObject(anAccessToken);
  });

  test.each([
    ['a public JWK', () => apiKey.publicJwk, 'decryptionKeys: not a usable private key'],
    [
      'a public KeyObject',
      () => apiKey.publicKey,
      'decryptionKeys: expected a private key, got a public key',
    ],
    [
      'SPKI PEM text',
      () => apiKey.publicKey.export({ type: 'spki', format: 'pem' }),
      'decryptionKeys: not a usable private key',
    ],
    [
      'a JWK with use "sig"',
      () => ({ ...apiKey.privateJwk, use: 'sig' }),
      'decryptionKeys: the JWK has "use": "sig"',
    ],
    [
      'a JWK Set of signature keys only',
      () => ({ keys: [{ ...apiKey.privateJwk, use: 'sig' }] }),
      'decryptionKeys: no usable decryption key',
    ],
    ['an empty list', () => [], 'decryptionKeys: no usable decryption key'],
    [
      'a named key with an empty kid',
      () => ({ kid: '', key: secret(32) }),
      'decryptionKeys.kid: must be a non-empty string',
    ],
    [
      'a named key with a numeric kid',
      () => ({ kid: 1, key: secret(32) }),
      'decryptionKeys.kid: must be a non-empty string',
    ],
    ['garbage text', () => 'not a key', 'decryptionKeys: not a usable private key'],
  ])('%s is a TypeError', (_name, input, message) => {
    typeError({ decryptionKeys: input() }, message);
  });

  test('a JWK Set member without a kid is named "kid null" in the error', () => {
    const { kid: _kid, ...anonymous } = apiKey.publicJwk;
    typeError(
      { decryptionKeys: { keys: [anonymous] } },
      'decryptionKeys (kid null): not a usable private key',
    );
    const { kid: _signingKid, ...anonymousPrivate } = rsa.privateJwk;
    typeError({ keys: { keys: [anonymousPrivate] } }, 'keys (kid null): not a usable public key');
  });

  test('a short RSA private key is a TypeError naming its position', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    typeError(
      { decryptionKeys: [apiKey.privateJwk, privateKey] },
      'decryptionKeys[1]: RSA keys must be at least 2048 bits',
    );
  });

  test('decryptionKeys switch the default encryption mode to optional', async () => {
    const v = build({ decryptionKeys: apiKey.privateKey });
    await expect(v.verify(await signJWS(claims(), rsa), at)).resolves.toMatchObject(anAccessToken);
    await expect(v.verify(await nested(apiKey), at)).resolves.toMatchObject(anAccessToken);
  });
});
