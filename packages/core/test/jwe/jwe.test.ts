/**
 * The JWE layer (jwt/decrypt-jwe.ts, keys/decryption-keys.ts): nested-content announcements,
 * decryption-key selection by `kid` and by key type, the bound on keys tried, and the errors of
 * a JWE that cannot be decrypted. The security rules themselves are in security-defaults.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { errors as joseErrors } from 'jose';
import { MAX_DECRYPTION_CANDIDATES } from '@tokenward/core';
import {
  anAccessToken,
  b64u,
  claims,
  encryptJWE,
  expectInvalidToken,
  keyPair,
  makeVerifier,
  NOW,
  rawJWE,
  secret,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

let issuerKey: TestKeyPair;
let apiKey: TestKeyPair;
let inner: string;

beforeAll(async () => {
  [issuerKey, apiKey] = await Promise.all([keyPair('rsa'), keyPair('rsa', 'api')]);
  inner = await signJWS(claims(), issuerKey);
});

const at = { currentDate: NOW };
const json = (value: unknown) => JSON.stringify(value);

describe('nested content type', () => {
  test.each([
    'JWT',
    'jwt',
    'Jwt',
    'application/JWT',
    'application/jwt',
    'APPLICATION/JWT',
    'at+jwt',
    'AT+JWT',
    'application/at+jwt',
  ])('cty "%s" announces a nested JWT', async (cty) => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
    const token = await v.verify(await encryptJWE(inner, apiKey, { cty }), at);
    expect(token.encryption).toMatchObject({ cty, alg: 'RSA-OAEP-256', enc: 'A256GCM' });
    expect(token.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
  });

  test('a cty that is not a string is not a nested JWT', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
    await expectInvalidToken(
      v,
      await encryptJWE(inner, apiKey, { cty: ['JWT'] }),
      'ERR_JWE_NOT_NESTED',
    );
  });
});

describe('decryption key selection', () => {
  test(`MAX_DECRYPTION_CANDIDATES is 3`, () => {
    expect(MAX_DECRYPTION_CANDIDATES).toBe(3);
  });

  test('a JWE kid selects its key among several, wherever it is in the list', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5].map((n) => keyPair('p256', `rotation-${n}`)));
    const v = await makeVerifier({ decryptionKeys: keys.map((k) => k.privateJwk) });
    for (const key of keys) {
      const token = await v.verify(await encryptJWE(inner, key), at);
      expect(token.encryption?.kid).toBe(key.kid);
    }
  });

  test('a JWE kid that names no configured key is rejected without trying any', async () => {
    const keys = await Promise.all([1, 2].map((n) => keyPair('p256', `rotation-${n}`)));
    const v = await makeVerifier({ decryptionKeys: keys.map((k) => k.privateJwk) });
    const jwe = await encryptJWE(inner, keys[0] as TestKeyPair, { kid: 'retired-key' });
    await expectInvalidToken(v, jwe, 'ERR_JWE_KEY_NOT_FOUND');
  });

  test('a JWE kid naming another key fails decryption: kid selects, it does not authenticate', async () => {
    const [a, b] = await Promise.all([
      keyPair('p256', 'rotation-1'),
      keyPair('p256', 'rotation-2'),
    ]);
    const v = await makeVerifier({ decryptionKeys: [a.privateJwk, b.privateJwk] });
    const jwe = await encryptJWE(inner, a, { kid: b.kid });
    const error = await expectInvalidToken(v, jwe, 'ERR_JWE_DECRYPTION_FAILED');
    // The node:crypto ECDH-ES engine ran, not jose: no jose error to keep, and none is made up.
    expect(error.cause).toBeUndefined();
  });

  test('keys configured without a kid are candidates for a JWE with any kid', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateKey });
    await expect(
      v.verify(await encryptJWE(inner, apiKey, { kid: 'anything' }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('a JWE without kid tries only keys whose type fits its alg', async () => {
    // Three EC keys and a secret come first; only the RSA key fits RSA-OAEP-256, and the keys
    // that do not fit do not count against the bound.
    const ecKeys = await Promise.all([1, 2, 3].map((n) => keyPair('p256', `rotation-${n}`)));
    const v = await makeVerifier({
      decryptionKeys: [
        ...ecKeys.map((k) => k.privateKey),
        secret(32),
        secret(16),
        apiKey.privateKey,
      ],
    });
    const token = await v.verify(await encryptJWE(inner, apiKey, { kid: undefined }), at);
    expect(token.encryption?.kid).toBeUndefined();
  });

  test('a JWE without kid tries only EC keys on the curve of its epk', async () => {
    const p256 = await Promise.all([1, 2, 3].map((n) => keyPair('p256', `rotation-${n}`)));
    const p384 = await keyPair('p384', 'api');
    const v = await makeVerifier({
      decryptionKeys: [...p256.map((k) => k.privateKey), p384.privateKey],
    });
    await expect(
      v.verify(await encryptJWE(inner, p384, { kid: undefined }), at),
    ).resolves.toMatchObject(anAccessToken);
    const x25519 = await keyPair('x25519', 'api');
    await expectInvalidToken(
      v,
      await encryptJWE(inner, x25519, { kid: undefined }),
      'ERR_JWE_KEY_NOT_FOUND',
    );
  });

  test.each(['A256KW', 'ECDH-ES+A256KW'])(
    'a JWE (%s) without kid tries at most MAX_DECRYPTION_CANDIDATES fitting keys',
    async (alg) => {
      // Five keys that all fit; the token is encrypted to the 3rd, then the 4th, then the 5th.
      const keys: (TestKeyPair | Uint8Array)[] =
        alg === 'A256KW'
          ? [1, 2, 3, 4, 5].map(() => secret(32))
          : await Promise.all([1, 2, 3, 4, 5].map((n) => keyPair('p256', `bound-${n}`)));
      const v = await makeVerifier({
        decryptionKeys: keys.map((k) => (k instanceof Uint8Array ? k : k.privateKey)),
      });
      const encryptTo = (index: number) =>
        encryptJWE(inner, keys[index] as TestKeyPair | Uint8Array, { alg, kid: undefined });
      await expect(v.verify(await encryptTo(2), at)).resolves.toMatchObject(anAccessToken);
      await expectInvalidToken(v, await encryptTo(3), 'ERR_JWE_DECRYPTION_FAILED');
      await expectInvalidToken(v, await encryptTo(4), 'ERR_JWE_DECRYPTION_FAILED');
    },
  );

  test('an EC key on a curve JWE does not use (secp256k1) is never a candidate', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const p256 = await keyPair('p256', 'rotation-1');
    const v = await makeVerifier({ decryptionKeys: privateKey });
    await expectInvalidToken(
      v,
      await encryptJWE(inner, p256, { kid: undefined }),
      'ERR_JWE_KEY_NOT_FOUND',
    );
  });

  test('symmetric keys are chosen by length: A128KW never tries a 32-byte key', async () => {
    const long = secret(32);
    const v = await makeVerifier({ decryptionKeys: long });
    const jwe = await encryptJWE(inner, secret(16), { alg: 'A128KW' });
    await expectInvalidToken(v, jwe, 'ERR_JWE_KEY_NOT_FOUND');
  });

  test('dir keys are chosen by the length enc needs', async () => {
    const key32 = secret(32);
    const key64 = secret(64);
    const v = await makeVerifier({ decryptionKeys: [key32, key64] });
    for (const [key, enc] of [
      [key32, 'A256GCM'],
      [key32, 'A128CBC-HS256'],
      [key64, 'A256CBC-HS512'],
    ] as const) {
      const token = await v.verify(await encryptJWE(inner, key, { alg: 'dir', enc }), at);
      expect(token.encryption).toMatchObject({ alg: 'dir', enc });
    }
    await expectInvalidToken(
      v,
      await encryptJWE(inner, secret(16), { alg: 'dir', enc: 'A128GCM' }),
      'ERR_JWE_KEY_NOT_FOUND',
    );
  });

  test('a JWK alg restricts the key to that algorithm (or to that enc with dir)', async () => {
    const restricted = { ...apiKey.privateJwk, alg: 'RSA-OAEP' };
    const v = await makeVerifier({ decryptionKeys: restricted });
    await expect(
      v.verify(await encryptJWE(inner, apiKey, { alg: 'RSA-OAEP' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(
      v,
      await encryptJWE(inner, apiKey, { alg: 'RSA-OAEP-256' }),
      'ERR_JWE_KEY_NOT_FOUND',
    );

    const bytes = secret(32);
    const oct = { kty: 'oct', k: Buffer.from(bytes).toString('base64url'), alg: 'A256GCM' };
    const dirVerifier = await makeVerifier({ decryptionKeys: oct });
    await expect(
      dirVerifier.verify(await encryptJWE(inner, bytes, { alg: 'dir' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(
      dirVerifier,
      await encryptJWE(inner, bytes, { alg: 'A256KW' }),
      'ERR_JWE_KEY_NOT_FOUND',
    );
    await expectInvalidToken(
      dirVerifier,
      await encryptJWE(inner, bytes, { alg: 'dir', enc: 'A128CBC-HS256' }),
      'ERR_JWE_KEY_NOT_FOUND',
    );
  });
});

describe('undecryptable and malformed JWEs', () => {
  let v: Awaited<ReturnType<typeof makeVerifier>>;
  beforeAll(async () => {
    v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
  });

  test.each([
    ['ciphertext', 3],
    ['authentication tag', 4],
    ['initialization vector', 2],
    ['encrypted key', 1],
  ])('a tampered %s fails decryption', async (_name, index) => {
    const tamper = (token: string): string => {
      const parts = token.split('.');
      const segment = parts[index] as string;
      // Replace the first 4 characters (3 whole bytes) so the encoding stays canonical.
      parts[index] = (segment.startsWith('AAAA') ? 'BBBB' : 'AAAA') + segment.slice(4);
      return parts.join('.');
    };
    // RSA-OAEP + AES-GCM runs on the node:crypto engine: no jose error exists, none is made up.
    const fast = tamper(await encryptJWE(inner, apiKey));
    expect((await expectInvalidToken(v, fast, 'ERR_JWE_DECRYPTION_FAILED')).cause).toBeUndefined();
    // AES-CBC-HMAC content goes through jose: its real error is kept as cause.
    const viaJose = tamper(await encryptJWE(inner, apiKey, { enc: 'A256CBC-HS512' }));
    const error = await expectInvalidToken(v, viaJose, 'ERR_JWE_DECRYPTION_FAILED');
    expect(error.cause).toBeInstanceOf(joseErrors.JOSEError);
  });

  test('a JWE encrypted to another key fails decryption', async () => {
    const other = await keyPair('rsa', 'attacker');
    await expectInvalidToken(
      v,
      await encryptJWE(inner, other, { kid: apiKey.kid }),
      'ERR_JWE_DECRYPTION_FAILED',
    );
  });

  test('an empty encrypted key with RSA-OAEP fails decryption', async () => {
    const parts = (await encryptJWE(inner, apiKey)).split('.');
    parts[1] = '';
    await expectInvalidToken(v, parts.join('.'), 'ERR_JWE_DECRYPTION_FAILED');
  });

  test('an encrypted key longer than any supported key produces is rejected before decryption', async () => {
    const parts = (await encryptJWE(inner, apiKey)).split('.');
    parts[1] = 'A'.repeat(1368);
    await expectInvalidToken(v, parts.join('.'), 'ERR_TOKEN_MALFORMED');
    parts[1] = 'A'.repeat(1364); // short enough: reaches decryption, which fails
    await expectInvalidToken(v, parts.join('.'), 'ERR_JWE_DECRYPTION_FAILED');
  });

  test.each([
    ['a header that is not JSON', b64u('{alg:RSA-OAEP}')],
    ['a header that is an array', b64u('["RSA-OAEP"]')],
    ['a header without alg', b64u(json({ enc: 'A256GCM', cty: 'JWT' }))],
    ['a header with a numeric alg', b64u(json({ alg: 1, enc: 'A256GCM', cty: 'JWT' }))],
  ])('%s is malformed', async (_name, header) => {
    await expectInvalidToken(v, `${header}.AAAA.AAAA.AAAA.AAAA`, 'ERR_TOKEN_MALFORMED');
  });

  test('a numeric enc is not an allowed content encryption', async () => {
    const header = b64u(json({ alg: 'RSA-OAEP-256', enc: 256, cty: 'JWT' }));
    await expectInvalidToken(v, `${header}.AAAA.AAAA.AAAA.AAAA`, 'ERR_JWE_ENC_NOT_ALLOWED');
  });

  test('a JWE kid that is not a string is malformed', async () => {
    await expectInvalidToken(v, await encryptJWE(inner, apiKey, { kid: 7 }), 'ERR_TOKEN_MALFORMED');
  });

  test('a hand-built JWE with an unusual but valid header decrypts', async () => {
    // Header member order and an extra private member do not matter.
    const header = '{"cty":"JWT","x-trace":"abc","enc":"A256GCM","alg":"RSA-OAEP-256"}';
    const token = await v.verify(
      rawJWE(header, inner, { alg: 'RSA-OAEP-256', key: apiKey.publicKey }),
      at,
    );
    expect(token.encryption).toMatchObject({ 'x-trace': 'abc' });
  });
});
