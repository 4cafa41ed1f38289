/**
 * `createIssuer` (issuer.ts) round-trips with `createVerifier` for every supported algorithm:
 * every JWS algorithm signed-only, and nested sign-then-encrypt tokens for every key management
 * algorithm × every content encryption algorithm. Each key type is generated once.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  CONTENT_ENCRYPTION_ALGORITHMS,
  createIssuer,
  createVerifier,
  HMAC_JWS_ALGORITHMS,
  KEY_MANAGEMENT_ALGORITHMS,
  type AccessToken,
  type IssuerOptions,
  type VerifierOptions,
} from '@tokenward/core';
import {
  AUDIENCE,
  ISSUER,
  keyPair,
  makeIssuer,
  NOW,
  NOW_S,
  secret,
  type KeyKind,
  type TestKeyPair,
} from '../helpers/keys';

const at = { currentDate: NOW };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HMAC_SECRET = secret(64);

const SIGNING_KEY_KIND: Record<string, KeyKind> = {
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'p256',
  ES384: 'p384',
  ES512: 'p521',
  EdDSA: 'ed25519',
  Ed25519: 'ed25519',
};

/** Bytes of the shared secret each symmetric `alg` (or `dir` + `enc`) needs. */
const SECRET_BYTES: Record<string, number> = {
  A128KW: 16,
  A192KW: 24,
  A256KW: 32,
  A128GCMKW: 16,
  A192GCMKW: 24,
  A256GCMKW: 32,
  A128GCM: 16,
  A192GCM: 24,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A192CBC-HS384': 48,
  'A256CBC-HS512': 64,
};

/** Checks what every issued token carries, signed or nested. */
function expectIssued(token: AccessToken, signingKid: string | undefined) {
  expect(token.header.typ).toBe('at+jwt');
  expect(token.header.kid).toBe(signingKid);
  expect(token.issuer).toBe(ISSUER);
  expect(token.audience).toEqual([AUDIENCE]);
  expect(token.subject).toBe('alice');
  expect([...token.scopes]).toEqual(['read', 'write']);
  expect(token.claims.iat).toBe(NOW_S);
  expect(token.claims.exp).toBe(NOW_S + 300);
  expect(token.claims.jti).toMatch(UUID);
  expect(token.issuedAt).toEqual(NOW);
}

describe('signed-only tokens round-trip for every JWS algorithm', () => {
  test('the matrix covers every supported JWS algorithm', () => {
    expect(Object.keys(SIGNING_KEY_KIND).sort()).toEqual([...ASYMMETRIC_JWS_ALGORITHMS].sort());
  });

  test.each(Object.entries(SIGNING_KEY_KIND))('%s (%s key)', async (algorithm, kind) => {
    const key = await keyPair(kind);
    const issuer = await makeIssuer({ signingKey: key.privateKey, algorithm });
    expect(issuer.jwks.keys).toEqual([{ ...key.publicJwk, alg: algorithm, use: 'sig' }]);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: issuer.jwks });
    const jws = await issuer.issue({ sub: 'alice', scope: ['read', 'write'] }, at);
    expect(jws.split('.')).toHaveLength(3);
    const token = await verifier.verify(jws, at);
    expectIssued(token, key.kid);
    expect(token.header.alg).toBe(algorithm);
    expect(token.encryption).toBeUndefined();
  });

  test.each([...HMAC_JWS_ALGORITHMS])('%s (shared secret)', async (algorithm) => {
    const issuer = await makeIssuer({ secret: HMAC_SECRET, algorithm });
    expect(issuer.jwks).toEqual({ keys: [] });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, secret: HMAC_SECRET });
    const token = await verifier.verify(
      await issuer.issue({ sub: 'alice', scope: 'read write' }, at),
      at,
    );
    expectIssued(token, undefined);
    expect(token.header.alg).toBe(algorithm);
  });
});

describe('nested tokens round-trip for every key management × content encryption pair', () => {
  const ASYMMETRIC: [string, KeyKind][] = [
    ['RSA-OAEP', 'rsa'],
    ['RSA-OAEP-256', 'rsa'],
    ['RSA-OAEP-384', 'rsa'],
    ['RSA-OAEP-512', 'rsa'],
    ...(['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'] as const).flatMap((alg) =>
      (['p256', 'p384', 'p521', 'x25519'] as const).map((kind): [string, KeyKind] => [alg, kind]),
    ),
  ];
  const SYMMETRIC = ['A128KW', 'A192KW', 'A256KW', 'A128GCMKW', 'A192GCMKW', 'A256GCMKW', 'dir'];

  test('the matrix covers every supported key management algorithm', () => {
    const covered = new Set([...ASYMMETRIC.map(([alg]) => alg), ...SYMMETRIC]);
    expect([...covered].sort()).toEqual([...KEY_MANAGEMENT_ALGORITHMS].sort());
  });

  let signer: TestKeyPair;
  beforeAll(async () => {
    signer = await keyPair('p256', 'issuer');
  });

  const roundTrip = async (
    encryption: Partial<IssuerOptions>,
    decryptionKeys: VerifierOptions['decryptionKeys'],
    expected: { alg: string; enc: string; kid: string },
  ) => {
    const issuer = await makeIssuer({ signingKey: signer.privateJwk, ...encryption });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: issuer.jwks,
      decryptionKeys,
      encryption: 'required',
    });
    const jwe = await issuer.issue({ sub: 'alice', scope: ['read', 'write'] }, at);
    expect(jwe.split('.')).toHaveLength(5);
    const token = await verifier.verify(jwe, at);
    expectIssued(token, signer.kid);
    expect(token.header.alg).toBe('ES256');
    expect(token.encryption).toMatchObject({ ...expected, cty: 'JWT' });
  };

  describe.each(ASYMMETRIC)('%s (%s key)', (alg, kind) => {
    test.each([...CONTENT_ENCRYPTION_ALGORITHMS])('with %s', async (enc) => {
      const key = await keyPair(kind, 'api');
      await roundTrip(
        {
          encryptionKey: key.publicKey,
          keyManagementAlgorithm: alg,
          contentEncryptionAlgorithm: enc,
        },
        key.privateJwk,
        { alg, enc, kid: key.kid },
      );
    });
  });

  describe.each(SYMMETRIC)('%s (shared secret)', (alg) => {
    test.each([...CONTENT_ENCRYPTION_ALGORITHMS])('with %s', async (enc) => {
      const shared = secret(SECRET_BYTES[alg === 'dir' ? enc : alg] as number);
      await roundTrip(
        {
          encryptionKey: shared,
          keyManagementAlgorithm: alg,
          contentEncryptionAlgorithm: enc,
          encryptionKid: 'shared-1',
        },
        { kid: 'shared-1', key: shared },
        { alg, enc, kid: 'shared-1' },
      );
    });
  });
});

describe('issuer defaults', () => {
  test.each([
    ['rsa', 'RS256'],
    ['p256', 'ES256'],
    ['p384', 'ES384'],
    ['p521', 'ES512'],
    ['ed25519', 'EdDSA'],
  ] as const)('a %s signing key defaults to %s', async (kind, alg) => {
    const key = await keyPair(kind);
    const issuer = await makeIssuer({ signingKey: key.privateKey });
    expect(issuer.jwks.keys[0]).toMatchObject({ alg, kid: key.kid, use: 'sig' });
    expect(issuer.jwks.keys[0]).not.toHaveProperty('d');
  });

  test('a secret defaults to HS256', async () => {
    const issuer = await makeIssuer({ secret: secret(32) });
    const jws = await issuer.issue({}, at);
    expect(JSON.parse(Buffer.from(jws.split('.')[0] as string, 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
    });
  });

  test.each([
    ['rsa', 'RSA-OAEP-256'],
    ['p256', 'ECDH-ES+A256KW'],
    ['x25519', 'ECDH-ES+A256KW'],
  ] as const)('a %s encryption key defaults to %s with A256GCM', async (kind, alg) => {
    const key = await keyPair(kind, 'api');
    const issuer = await makeIssuer({ encryptionKey: key.publicJwk });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: issuer.jwks,
      decryptionKeys: key.privateKey,
    });
    const token = await verifier.verify(await issuer.issue({}, at), at);
    expect(token.encryption).toMatchObject({ alg, enc: 'A256GCM', cty: 'JWT', kid: key.kid });
  });

  test.each([
    [16, 'A128KW'],
    [24, 'A192KW'],
    [32, 'A256KW'],
  ])('a %i-byte shared secret defaults to %s, without a kid', async (bytes, alg) => {
    const shared = secret(bytes);
    const issuer = await makeIssuer({ encryptionKey: shared });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: issuer.jwks,
      decryptionKeys: shared,
    });
    const token = await verifier.verify(await issuer.issue({}, at), at);
    expect(token.encryption).toEqual({ alg, enc: 'A256GCM', cty: 'JWT' });
  });

  test.each([
    [48, 'A192CBC-HS384'],
    [64, 'A256CBC-HS512'],
  ])(
    'a %i-byte shared secret defaults to dir with %s, the enc its length fits',
    async (bytes, enc) => {
      const shared = secret(bytes);
      const issuer = await makeIssuer({ encryptionKey: shared });
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: issuer.jwks,
        decryptionKeys: shared,
      });
      const token = await verifier.verify(await issuer.issue({}, at), at);
      expect(token.encryption).toEqual({ alg: 'dir', enc, cty: 'JWT' });
    },
  );

  test.each([
    [16, 'A128GCM'],
    [32, 'A256GCM'],
    [48, 'A192CBC-HS384'],
  ])('dir with a %i-byte secret defaults to %s', async (bytes, enc) => {
    const shared = secret(bytes);
    const issuer = await makeIssuer({ encryptionKey: shared, keyManagementAlgorithm: 'dir' });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: issuer.jwks,
      decryptionKeys: shared,
    });
    const token = await verifier.verify(await issuer.issue({}, at), at);
    expect(token.encryption).toEqual({ alg: 'dir', enc, cty: 'JWT' });
  });

  test.each([8, 20, 33, 128])(
    'a %i-byte shared secret fits no algorithm: a TypeError at creation',
    async (bytes) => {
      await expect(makeIssuer({ encryptionKey: secret(bytes) })).rejects.toThrow(
        /^encryptionKey: a shared secret must be 16, 24, 32, 48 or 64 bytes/,
      );
    },
  );

  test('kids: explicit options win over the JWK kid, which wins over the thumbprint', async () => {
    const key = await keyPair('p256');
    const api = await keyPair('p256', 'api');
    const named = await makeIssuer({
      signingKey: { ...key.privateJwk, kid: 'jwk-kid' },
      encryptionKey: { ...api.publicJwk, kid: 'enc-jwk-kid' },
    });
    const explicit = await makeIssuer({
      signingKey: { ...key.privateJwk, kid: 'jwk-kid' },
      kid: 'explicit',
      encryptionKey: api.publicJwk,
      encryptionKid: 'enc-explicit',
    });
    const thumbprinted = await makeIssuer({
      signingKey: key.privateKey,
      encryptionKey: api.publicKey,
    });
    const verify = async (issuer: Awaited<ReturnType<typeof makeIssuer>>) => {
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: issuer.jwks,
        decryptionKeys: api.privateKey,
      });
      const token = await verifier.verify(await issuer.issue({}, at), at);
      return [token.header.kid, token.encryption?.kid];
    };
    expect(await verify(named)).toEqual(['jwk-kid', 'enc-jwk-kid']);
    expect(await verify(explicit)).toEqual(['explicit', 'enc-explicit']);
    expect(await verify(thumbprinted)).toEqual([key.kid, api.kid]);
  });

  test('signing keys may be PKCS#8 PEM, a private JWK or a KeyObject', async () => {
    const key = await keyPair('ed25519');
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (const signingKey of [pem, key.privateJwk, key.privateKey]) {
      const issuer = await makeIssuer({ signingKey });
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: key.publicKey });
      await expect(verifier.verify(await issuer.issue({}, at), at)).resolves.toMatchObject({
        issuer: ISSUER,
      });
    }
  });
});

describe('issue options', () => {
  let verifier: ReturnType<typeof createVerifier>;
  let api: TestKeyPair;
  let issuer: Awaited<ReturnType<typeof makeIssuer>>;
  beforeAll(async () => {
    api = await keyPair('p256', 'api');
    issuer = await makeIssuer({ encryptionKey: api.publicKey, expiresIn: 600 });
    verifier = createVerifier({
      issuer: ISSUER,
      audience: [AUDIENCE, 'other'],
      keys: issuer.jwks,
      decryptionKeys: api.privateKey,
      tokenType: ['at+jwt', 'id+jwt'],
    });
  });

  test('the issuer default lifetime, overridden per token', async () => {
    const a = await verifier.verify(await issuer.issue({}, at), at);
    expect(a.claims.exp).toBe(NOW_S + 600);
    const b = await verifier.verify(await issuer.issue({}, { ...at, expiresIn: 60 }), at);
    expect(b.expiresAt).toEqual(new Date((NOW_S + 60) * 1000));
  });

  test('encrypt: false issues a signed-only token from an encrypting issuer', async () => {
    const jws = await issuer.issue({}, { ...at, encrypt: false });
    expect(jws.split('.')).toHaveLength(3);
    expect((await verifier.verify(jws, at)).encryption).toBeUndefined();
  });

  test('type replaces the inner typ', async () => {
    const token = await verifier.verify(await issuer.issue({}, { ...at, type: 'id+jwt' }), at);
    expect(token.header.typ).toBe('id+jwt');
  });

  test('claims are passed through and may override the defaults', async () => {
    const token = await verifier.verify(
      await issuer.issue(
        {
          aud: 'other',
          jti: 'fixed',
          client_id: 'cli',
          roles: ['admin'],
          scope: 'a b',
          extra: { x: 1 },
        },
        at,
      ),
      at,
    );
    expect(token.claims).toMatchObject({
      aud: 'other',
      jti: 'fixed',
      client_id: 'cli',
      scope: 'a b',
      extra: { x: 1 },
    });
    expect(token.clientId).toBe('cli');
  });

  test('without currentDate, iat is now', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await verifier.verify(await issuer.issue());
    expect(token.claims.iat).toBeGreaterThanOrEqual(before);
    expect(token.claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  test('every token gets a fresh jti', async () => {
    const a = await verifier.verify(await issuer.issue({}, at), at);
    const b = await verifier.verify(await issuer.issue({}, at), at);
    expect(a.claims.jti).not.toBe(b.claims.jti);
  });
});

describe('issuer option errors', () => {
  let rsa: TestKeyPair;
  let x25519: TestKeyPair;
  beforeAll(async () => {
    [rsa, x25519] = await Promise.all([keyPair('rsa'), keyPair('x25519', 'api')]);
  });

  test.each([undefined, '', 42])('issuer %p is a TypeError', async (issuer) => {
    await expect(
      createIssuer({ issuer, secret: secret(32) } as unknown as IssuerOptions),
    ).rejects.toThrow('issuer: expected a non-empty string');
  });

  test('signingKey and secret together, or neither, is a TypeError', async () => {
    await expect(createIssuer({ issuer: ISSUER })).rejects.toThrow(
      'signingKey, secret: give exactly one',
    );
    await expect(
      createIssuer({ issuer: ISSUER, secret: secret(32), signingKey: rsa.privateKey }),
    ).rejects.toThrow('signingKey, secret: give exactly one');
  });

  test.each([
    ['HS384', 32],
    ['HS512', 48],
    ['HS256', 31],
    ['RS256', 64],
  ])('secret with %s and %i bytes is a TypeError', async (algorithm, bytes) => {
    await expect(makeIssuer({ secret: secret(bytes), algorithm })).rejects.toThrow(/^secret: /);
  });

  test('an EC key on a curve no JWS algorithm uses is a TypeError at creation', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    await expect(makeIssuer({ signingKey: privateKey })).rejects.toThrow(
      'signingKey: unsupported EC curve secp256k1',
    );
  });

  test('a string secret signs like its UTF-8 bytes', async () => {
    const text = 'a shared secret of 32 characters';
    const issuer = await makeIssuer({ secret: text });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: Buffer.from(text),
    });
    await expect(verifier.verify(await issuer.issue({}, at), at)).resolves.toMatchObject({
      issuer: ISSUER,
    });
  });

  test('a key that cannot sign (X25519) is a TypeError', async () => {
    await expect(makeIssuer({ signingKey: x25519.privateKey })).rejects.toThrow(
      'signingKey: unsupported key type x25519',
    );
  });

  test('a private or short RSA encryption key is a TypeError', async () => {
    await expect(makeIssuer({ encryptionKey: rsa.privateKey })).rejects.toThrow(
      'encryptionKey: expected a public key, got a private key',
    );
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await expect(makeIssuer({ encryptionKey: publicKey })).rejects.toThrow(
      'encryptionKey: RSA keys must be at least 2048 bits',
    );
  });

  test('the published JWK Set never holds private material', async () => {
    const issuer = await makeIssuer({ signingKey: rsa.privateKey });
    const [jwk] = issuer.jwks.keys;
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(member);
    const publicKey: KeyObject = createPublicKey({ key: jwk as object, format: 'jwk' } as never);
    expect(publicKey.equals(rsa.publicKey)).toBe(true);
  });
});
