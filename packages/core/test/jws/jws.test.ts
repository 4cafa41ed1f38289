/**
 * The JWS layer (jwt/verify-jws.ts, keys/local-keys.ts): signature keys chosen by `kid` and by
 * algorithm, the bound on keys tried, issuer-first key lookup and the malformed-header paths.
 * The security rules themselves are in security-defaults.test.ts.
 */
import { sign } from 'node:crypto';
import { MAX_KEY_CANDIDATES } from '@tokenward/core';
import {
  anAccessToken,
  b64u,
  claims,
  expectInvalidToken,
  keyPair,
  makeVerifier,
  NOW,
  rawJWS,
  secret,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

let rsa: TestKeyPair;
let p256: TestKeyPair;
let p384: TestKeyPair;
let p521: TestKeyPair;
let ed: TestKeyPair;

beforeAll(async () => {
  [rsa, p256, p384, p521, ed] = await Promise.all([
    keyPair('rsa'),
    keyPair('p256'),
    keyPair('p384'),
    keyPair('p521'),
    keyPair('ed25519'),
  ]);
});

const at = { currentDate: NOW };
const json = (value: unknown) => JSON.stringify(value);

describe('algorithms and key types', () => {
  test.each([
    ['RS256', 'rsa'],
    ['RS384', 'rsa'],
    ['RS512', 'rsa'],
    ['PS256', 'rsa'],
    ['PS384', 'rsa'],
    ['PS512', 'rsa'],
    ['ES256', 'p256'],
    ['ES384', 'p384'],
    ['ES512', 'p521'],
    ['EdDSA', 'ed'],
    ['Ed25519', 'ed'],
  ])('%s verifies with a %s key', async (alg, kind) => {
    const key = { rsa, p256, p384, p521, ed }[kind] as TestKeyPair;
    const v = await makeVerifier({
      keys: [rsa.publicJwk, p256.publicJwk, p384.publicJwk, p521.publicJwk, ed.publicJwk],
    });
    const token = await v.verify(await signJWS(claims(), key, { alg }), at);
    expect(token.header).toEqual({ alg, kid: key.kid, typ: 'at+jwt' });
  });

  test('an EC algorithm only reaches a key on its curve', async () => {
    // The verifier holds only a P-384 key; an ES256 token naming its kid finds no key.
    const v = await makeVerifier({ keys: p384.publicJwk });
    await expectInvalidToken(
      v,
      await signJWS(claims(), p256, { kid: p384.kid }),
      'ERR_JWS_KEY_NOT_FOUND',
    );
    await expectInvalidToken(
      v,
      await signJWS(claims(), p521, { kid: undefined }),
      'ERR_JWS_KEY_NOT_FOUND',
    );
  });

  test('EdDSA never reaches an RSA or EC key', async () => {
    const v = await makeVerifier({ keys: [rsa.publicJwk, p256.publicJwk] });
    await expectInvalidToken(
      v,
      await signJWS(claims(), ed, { kid: undefined }),
      'ERR_JWS_KEY_NOT_FOUND',
    );
  });

  test('a JWK alg restricts its key to that algorithm', async () => {
    const v = await makeVerifier({ keys: { ...rsa.publicJwk, alg: 'PS256' } });
    await expect(
      v.verify(await signJWS(claims(), rsa, { alg: 'PS256' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(
      v,
      await signJWS(claims(), rsa, { alg: 'RS256' }),
      'ERR_JWS_KEY_NOT_FOUND',
    );
  });

  test('an HS token against a secret verifier, and an RS token against it', async () => {
    const key = secret(32);
    const v = await makeVerifier({ secret: key });
    const token = await v.verify(await signJWS(claims(), key, { kid: 'ignored' }), at);
    expect(token.header.alg).toBe('HS256');
    await expectInvalidToken(v, await signJWS(claims(), rsa), 'ERR_JWS_ALG_NOT_ALLOWED');
  });
});

describe('signature key selection', () => {
  test('MAX_KEY_CANDIDATES is 3', () => {
    expect(MAX_KEY_CANDIDATES).toBe(3);
  });

  test('a kid selects its key among several, wherever it is in the list', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5].map((n) => keyPair('p256', `sig-${n}`)));
    const v = await makeVerifier({ keys: { keys: keys.map((k) => k.publicJwk) } });
    for (const key of keys) {
      const token = await v.verify(await signJWS(claims(), key), at);
      expect(token.header.kid).toBe(key.kid);
    }
  });

  test('a token without kid tries at most MAX_KEY_CANDIDATES fitting keys', async () => {
    const keys = await Promise.all([1, 2, 3, 4, 5].map((n) => keyPair('p256', `sig-${n}`)));
    const v = await makeVerifier({ keys: keys.map((k) => k.publicKey) });
    const signBy = (index: number) =>
      signJWS(claims(), keys[index] as TestKeyPair, { kid: undefined });
    await expect(v.verify(await signBy(2), at)).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(v, await signBy(3), 'ERR_JWS_SIGNATURE_INVALID');
    await expectInvalidToken(v, await signBy(4), 'ERR_JWS_SIGNATURE_INVALID');
  });

  test('keys that do not fit the algorithm do not count against the bound', async () => {
    const v = await makeVerifier({
      keys: [rsa.publicKey, p384.publicKey, p521.publicKey, ed.publicKey, p256.publicKey],
    });
    await expect(
      v.verify(await signJWS(claims(), p256, { kid: undefined }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('a kid naming no key reaches only keys without a kid', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const withKid = await makeVerifier({ keys: rsa.publicJwk });
    await expectInvalidToken(
      withKid,
      await signJWS(claims(), rsa, { kid: 'rotated-away' }),
      'ERR_JWS_KEY_NOT_FOUND',
    );
    const withoutKid = await makeVerifier({ keys: pem });
    await expect(
      withoutKid.verify(await signJWS(claims(), rsa, { kid: 'rotated-away' }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('a token without kid may be verified by a key that has one', async () => {
    const v = await makeVerifier({ keys: { keys: [p256.publicJwk, rsa.publicJwk] } });
    await expect(
      v.verify(await signJWS(claims(), rsa, { kid: undefined }), at),
    ).resolves.toMatchObject(anAccessToken);
  });
});

describe('issuer before key lookup', () => {
  test('an untrusted iss is rejected before any key is looked up', async () => {
    const v = await makeVerifier();
    // Unknown kid too: the issuer check must come first.
    const token = await signJWS(claims({ iss: 'https://evil.example/' }), rsa, { kid: 'unknown' });
    const error = await expectInvalidToken(v, token, 'ERR_ISSUER_INVALID');
    expect(error.claim).toBe('iss');
  });

  test.each([
    ['missing', undefined],
    ['a number', 42],
    ['an array', ['https://issuer.example.com/']],
  ])('an iss that is %s is not trusted', async (_name, iss) => {
    const v = await makeVerifier();
    await expectInvalidToken(v, await signJWS(claims({ iss }), rsa), 'ERR_ISSUER_INVALID');
  });
});

describe('malformed and forged JWS', () => {
  test.each([
    ['a header that is not JSON', '{alg:RS256}'],
    ['a header that is an array', '["RS256"]'],
    ['a header that is a string', '"RS256"'],
    ['a header without alg', json({ typ: 'at+jwt' })],
    ['a header with a numeric alg', json({ alg: 256 })],
    ['a header with a null alg', json({ alg: null })],
  ])('%s is malformed', async (_name, header) => {
    const v = await makeVerifier();
    await expectInvalidToken(
      v,
      rawJWS(header, json(claims()), rsa.privateKey),
      'ERR_TOKEN_MALFORMED',
    );
  });

  test.each([
    ['claims that are not JSON', Buffer.from('not json')],
    ['claims that are an array', Buffer.from(json([claims()]))],
    ['claims that are null', Buffer.from('null')],
    ['claims in invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ])('%s are malformed', async (_name, payload) => {
    const v = await makeVerifier();
    const signingInput = `${b64u(json({ alg: 'RS256', typ: 'at+jwt' }))}.${b64u(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput), rsa.privateKey);
    await expectInvalidToken(v, `${signingInput}.${b64u(signature)}`, 'ERR_TOKEN_MALFORMED');
  });

  test('changed claims under the original signature fail verification', async () => {
    const v = await makeVerifier();
    const [header, , signature] = (await signJWS(claims(), rsa)).split('.');
    const forged = `${header}.${b64u(json(claims({ scope: 'admin' })))}.${signature}`;
    await expectInvalidToken(v, forged, 'ERR_JWS_SIGNATURE_INVALID');
  });

  test('a signature of the wrong length fails verification', async () => {
    const v = await makeVerifier({ keys: p256.publicJwk });
    const token = await signJWS(claims(), p256);
    await expectInvalidToken(
      v,
      token.slice(0, token.lastIndexOf('.') + 1) + 'AAAA',
      'ERR_JWS_SIGNATURE_INVALID',
    );
  });
});
