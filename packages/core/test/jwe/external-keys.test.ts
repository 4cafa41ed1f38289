/**
 * Decryption keys held outside the process (keys/external-keys.ts, jwe/engines/external.ts): a
 * key that does its own RSA-OAEP unwrap or ECDH agreement, here backed by a real node:crypto
 * private key the verifier never sees. Selection, allowlists and refusals are those of in-process
 * keys; garbage never reaches the key; a failing key service is 503, a wrong answer 401; every
 * call holds a crypto-pool slot and is bounded by externalKeyTimeout.
 */
import {
  constants,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import {
  KeyServiceUnavailableError,
  type ExternalDecryptionKey,
  type ExternalEcdhKey,
  type ExternalRsaOaepKey,
} from '@tokenward/core';
import {
  b64u,
  claims,
  encryptJWE,
  keyPair,
  makeVerifier,
  NOW,
  rejection,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

const at = { currentDate: NOW };
const OAEP_HASH = { 'RSA-OAEP': 'sha1', 'RSA-OAEP-256': 'sha256' } as const;

/** An RSA-OAEP key service over `privateKey`, counting its calls. */
function rsaService(
  pair: TestKeyPair,
  alg: ExternalRsaOaepKey['alg'] = 'RSA-OAEP-256',
  answer?: (encryptedKey: Uint8Array, signal: AbortSignal) => Promise<Uint8Array | undefined>,
): ExternalRsaOaepKey & { calls: number } {
  const key = {
    kid: pair.kid,
    alg,
    calls: 0,
    async unwrap(encryptedKey: Uint8Array, { signal }: { signal: AbortSignal }) {
      key.calls++;
      if (answer) return answer(encryptedKey, signal);
      return privateDecrypt(
        {
          key: pair.privateKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: OAEP_HASH[alg],
        },
        encryptedKey,
      );
    },
  };
  return key;
}

/** An ECDH key service over `privateKey`, counting its calls. */
function ecdhService(
  pair: TestKeyPair,
  alg: ExternalEcdhKey['alg'],
  crv: ExternalEcdhKey['crv'],
): ExternalEcdhKey & { calls: number } {
  const key = {
    kid: pair.kid,
    alg,
    crv,
    calls: 0,
    async deriveSharedSecret(epk: JsonWebKey) {
      key.calls++;
      const publicKey = createPublicKey({ key: epk, format: 'jwk' });
      return diffieHellman({ privateKey: pair.privateKey as KeyObject, publicKey });
    },
  };
  return key;
}

const signed = async (overrides: Record<string, unknown> = {}): Promise<string> =>
  signJWS(claims(overrides), await keyPair('rsa'));

describe('external RSA-OAEP keys', () => {
  test.each([
    ['RSA-OAEP-256', 'A256GCM'],
    ['RSA-OAEP-256', 'A128CBC-HS256'],
    ['RSA-OAEP', 'A192GCM'],
    ['RSA-OAEP', 'A256CBC-HS512'],
  ] as const)('%s with %s: a nested token verifies, the key does the unwrap', async (alg, enc) => {
    const api = await keyPair('rsa', 'api');
    const key = rsaService(api, alg);
    const verifier = await makeVerifier({ decryptionKeys: [key], encryption: 'required' });
    const token = await encryptJWE(await signed(), api, { alg, enc });
    await expect(verifier.verify(token, at)).resolves.toMatchObject({ subject: 'user-123' });
    expect(key.calls).toBe(1);
  });

  test('answers that are not the CEK are 401 ERR_JWE_DECRYPTION_FAILED', async () => {
    const api = await keyPair('rsa', 'api');
    const token = await encryptJWE(await signed(), api);
    for (const answer of [randomBytes(32), new Uint8Array(0), undefined, randomBytes(16)]) {
      const key = rsaService(api, 'RSA-OAEP-256', async () => answer);
      const verifier = await makeVerifier({ decryptionKeys: key });
      const error = await rejection(verifier.verify(token, at));
      expect(`${error.status} ${error.code}`).toBe('401 ERR_JWE_DECRYPTION_FAILED');
      expect(key.calls).toBe(1);
    }
  });

  test.each([
    ['throws', () => Promise.reject(new Error('CKR_DEVICE_ERROR'))],
    ['answers a string', () => Promise.resolve('cek' as unknown as Uint8Array)],
    ['answers null', () => Promise.resolve(null as unknown as Uint8Array)],
  ])('a key service that %s is 503 ERR_KEY_SERVICE_UNAVAILABLE, never 401', async (_, answer) => {
    const api = await keyPair('rsa', 'api');
    const key = rsaService(api, 'RSA-OAEP-256', answer);
    const verifier = await makeVerifier({ decryptionKeys: key });
    const error = await rejection(verifier.verify(await encryptJWE(await signed(), api), at));
    expect(error).toBeInstanceOf(KeyServiceUnavailableError);
    expect([error.status, error.code, error.headers]).toEqual([
      503,
      'ERR_KEY_SERVICE_UNAVAILABLE',
      { 'Retry-After': '1' },
    ]);
    expect(error.toJSON()).toEqual({ error_description: expect.stringContaining('retry later') });
    expect(error.cause).toBeDefined();
  });

  test('a key service that never answers is 503 at externalKeyTimeout, its signal aborted', async () => {
    const api = await keyPair('rsa', 'api');
    const signals: AbortSignal[] = [];
    const key = rsaService(api, 'RSA-OAEP-256', (_data, signal) => {
      signals.push(signal);
      return new Promise<never>(() => {});
    });
    const verifier = await makeVerifier({ decryptionKeys: key, externalKeyTimeout: 0.05 });
    const error = await rejection(verifier.verify(await encryptJWE(await signed(), api), at));
    expect(`${error.status} ${error.code}`).toBe('503 ERR_KEY_SERVICE_UNAVAILABLE');
    expect(String((error.cause as Error).message)).toContain('no answer within 50 ms');
    expect(signals.map((s) => s.aborted)).toEqual([true]);
  });

  test('a hung key service holds its slot: a request queued behind it is 503 at the timeout and never calls', async () => {
    const api = await keyPair('rsa', 'api');
    const key = rsaService(api, 'RSA-OAEP-256', () => new Promise<never>(() => {}));
    const verifier = await makeVerifier({
      decryptionKeys: key,
      externalKeyTimeout: 0.05,
      maxConcurrentDecryptions: 1,
    });
    const [first, second] = await Promise.all([
      rejection(verifier.verify(await encryptJWE(await signed({ jti: 'a' }), api), at)),
      rejection(verifier.verify(await encryptJWE(await signed({ jti: 'b' }), api), at)),
    ]);
    expect([first.code, second.code]).toEqual([
      'ERR_KEY_SERVICE_UNAVAILABLE',
      'ERR_KEY_SERVICE_UNAVAILABLE',
    ]);
    // The second never got the slot the first's call still holds.
    expect(key.calls).toBe(1);
  });

  test('every call takes a crypto-pool slot: never more in flight than maxConcurrentDecryptions, the overflow shed', async () => {
    const api = await keyPair('rsa', 'api');
    let inFlight = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const key = rsaService(api, 'RSA-OAEP-256', async (encryptedKey) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
      return privateDecrypt(
        { key: api.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        encryptedKey,
      );
    });
    const verifier = await makeVerifier({
      decryptionKeys: key,
      maxConcurrentDecryptions: 2,
      maxQueuedDecryptions: 3,
    });
    const tokens = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => encryptJWE(await signed({ jti: `t${i}` }), api)),
    );
    const outcomes = tokens.map((token) =>
      verifier.verify(token, at).then(
        () => 'ok',
        (error: { code: string }) => error.code,
      ),
    );
    // Release calls one at a time until every request has been answered.
    const all = Promise.all(outcomes);
    let done = false;
    void all.then(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    expect((await all).sort()).toEqual([
      'ERR_VERIFIER_BUSY',
      'ERR_VERIFIER_BUSY',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    expect(peak).toBe(2);
    expect(key.calls).toBe(5);
  });

  test("with admission 'always', 100 verifications of one token cost one unwrap; with the default 'repeat', two", async () => {
    const api = await keyPair('rsa', 'api');
    const token = await encryptJWE(await signed(), api);
    for (const [cache, expected] of [
      [{ admission: 'always' as const }, 1],
      [undefined, 2],
    ] as const) {
      const key = rsaService(api);
      const verifier = await makeVerifier({ decryptionKeys: key, ...(cache && { cache }) });
      for (let i = 0; i < 100; i++) await verifier.verify(token, at);
      expect(key.calls).toBe(expected);
    }
  });
});

describe('garbage never reaches the key service', () => {
  const r = (n: number) => randomBytes(n).toString('base64url');

  test.each([
    [
      'no kid (an external key is only tried on a JWE naming it)',
      { kid: undefined },
      'ERR_JWE_KEY_NOT_FOUND',
    ],
    ['another kid', { kid: 'someone-else' }, 'ERR_JWE_KEY_NOT_FOUND'],
    ['another alg than the key', { alg: 'RSA-OAEP' }, 'ERR_JWE_KEY_NOT_FOUND'],
    ['an alg outside keyManagementAlgorithms', { alg: 'RSA-OAEP-512' }, 'ERR_JWE_ALG_NOT_ALLOWED'],
    ['RSA1_5', { alg: 'RSA1_5' }, 'ERR_JWE_ALG_NOT_ALLOWED'],
    ['an enc outside contentEncryptionAlgorithms', { enc: 'A128GCM' }, 'ERR_JWE_ENC_NOT_ALLOWED'],
    ['zip', { zip: 'DEF' }, 'ERR_JWE_ZIP_NOT_ALLOWED'],
    ['an unknown crit', { crit: ['x'], x: 1 }, 'ERR_JWE_CRIT_UNSUPPORTED'],
    ['no cty (not a nested JWT)', { cty: undefined }, 'ERR_JWE_NOT_NESTED'],
  ])('%s', async (_, header, code) => {
    const api = await keyPair('rsa', 'api');
    const key = rsaService(api);
    const verifier = await makeVerifier({
      decryptionKeys: key,
      keyManagementAlgorithms: ['RSA-OAEP-256', 'RSA-OAEP'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const text = JSON.stringify({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: api.kid,
      ...header,
    });
    const token = [b64u(text), r(256), r(12), r(64), r(16)].join('.');
    const error = await rejection(verifier.verify(token, at));
    expect(`${error.status} ${error.code}`).toBe(`401 ${code}`);
    expect(key.calls).toBe(0);
  });

  test.each([
    ['an IV of the wrong length', [r(256), r(16), r(64), r(16)]],
    ['a tag of the wrong length', [r(256), r(12), r(64), r(12)]],
    ['an empty encrypted key', ['', r(12), r(64), r(16)]],
  ])('%s is 401 without a call', async (_, segments) => {
    const api = await keyPair('rsa', 'api');
    const key = rsaService(api);
    const verifier = await makeVerifier({ decryptionKeys: key });
    const text = JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: api.kid });
    const error = await rejection(verifier.verify([b64u(text), ...segments].join('.'), at));
    expect(`${error.status} ${error.code}`).toBe('401 ERR_JWE_DECRYPTION_FAILED');
    expect(key.calls).toBe(0);
  });

  test('ECDH-ES: an epk on another curve, off its curve, or malformed never reaches deriveSharedSecret', async () => {
    const api = await keyPair('p256', 'api');
    const key = ecdhService(api, 'ECDH-ES+A256KW', 'P-256');
    const verifier = await makeVerifier({ decryptionKeys: key });
    const other = (await keyPair('p384', 'other')).publicJwk;
    const onCurve = (await keyPair('p256', 'other')).publicJwk;
    const offCurve = { kty: 'EC', crv: 'P-256', x: onCurve.x, y: b64u(randomBytes(32)) };
    const cases: [unknown, string][] = [
      [{ kty: 'EC', crv: 'P-384', x: other.x, y: other.y }, 'ERR_JWE_KEY_NOT_FOUND'],
      [offCurve, 'ERR_JWE_DECRYPTION_FAILED'],
      [{ kty: 'EC', crv: 'P-256', x: onCurve.x }, 'ERR_JWE_DECRYPTION_FAILED'],
      [{ ...offCurve, d: onCurve.x }, 'ERR_JWE_DECRYPTION_FAILED'],
    ];
    for (const [epk, code] of cases) {
      const text = JSON.stringify({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
        cty: 'JWT',
        kid: api.kid,
        epk,
      });
      const token = [b64u(text), r(40), r(12), r(64), r(16)].join('.');
      const error = await rejection(verifier.verify(token, at));
      expect(`${error.status} ${error.code}`).toBe(`401 ${code}`);
    }
    expect(key.calls).toBe(0);
  });
});

describe('external ECDH-ES keys', () => {
  test.each([
    ['p256', 'P-256', 'ECDH-ES+A256KW', 'A256GCM'],
    ['p256', 'P-256', 'ECDH-ES', 'A256GCM'],
    ['p384', 'P-384', 'ECDH-ES+A128KW', 'A128CBC-HS256'],
    ['p521', 'P-521', 'ECDH-ES', 'A192CBC-HS384'],
  ] as const)(
    '%s %s with %s: a nested token verifies, Z from the key',
    async (kind, crv, alg, enc) => {
      const api = await keyPair(kind, 'api');
      const key = ecdhService(api, alg, crv);
      const verifier = await makeVerifier({ decryptionKeys: key });
      const token = await encryptJWE(await signed(), api, { alg, enc });
      await expect(verifier.verify(token, at)).resolves.toMatchObject({ subject: 'user-123' });
      expect(key.calls).toBe(1);
    },
  );

  test('apu and apv enter the Concat KDF (RFC 7518 §4.6.2)', async () => {
    const api = await keyPair('p256', 'api');
    const key = ecdhService(api, 'ECDH-ES+A256KW', 'P-256');
    const verifier = await makeVerifier({ decryptionKeys: key });
    const { CompactEncrypt } = await import('jose');
    const token = await new CompactEncrypt(new TextEncoder().encode(await signed()))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', kid: api.kid })
      .setKeyManagementParameters({ apu: Buffer.from('Alice'), apv: Buffer.from('Bob') })
      .encrypt(api.publicKey);
    expect(
      JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()),
    ).toMatchObject({ apu: 'QWxpY2U', apv: 'Qm9i' });
    await expect(verifier.verify(token, at)).resolves.toMatchObject({ subject: 'user-123' });
  });

  test('a wrong Z is 401; a throwing deriveSharedSecret is 503', async () => {
    const api = await keyPair('p256', 'api');
    const token = await encryptJWE(await signed(), api);
    const wrong: ExternalDecryptionKey = {
      kid: api.kid,
      alg: 'ECDH-ES+A256KW',
      crv: 'P-256',
      deriveSharedSecret: async () => randomBytes(32),
    };
    const failing: ExternalDecryptionKey = {
      ...wrong,
      deriveSharedSecret: async () => {
        throw new Error('CKR_SESSION_HANDLE_INVALID');
      },
    };
    const first = await rejection(
      (await makeVerifier({ decryptionKeys: wrong })).verify(token, at),
    );
    const second = await rejection(
      (await makeVerifier({ decryptionKeys: failing })).verify(token, at),
    );
    expect([first.code, second.code]).toEqual([
      'ERR_JWE_DECRYPTION_FAILED',
      'ERR_KEY_SERVICE_UNAVAILABLE',
    ]);
  });
});

describe('configuration', () => {
  const unwrap = async () => new Uint8Array(0);
  const derive = async () => new Uint8Array(0);

  test.each([
    [
      { alg: 'RSA-OAEP-256', unwrap },
      /decryptionKeys\.kid: an external decryption key needs a non-empty kid/,
    ],
    [{ kid: '', alg: 'RSA-OAEP-256', unwrap }, /needs a non-empty kid/],
    [{ kid: 'k', alg: 'RSA1_5', unwrap }, /decryptionKeys\.alg: an unwrap key needs/],
    [{ kid: 'k', alg: 'ECDH-ES', unwrap }, /decryptionKeys\.alg: an unwrap key needs/],
    [
      { kid: 'k', alg: 'RSA-OAEP', deriveSharedSecret: derive, crv: 'P-256' },
      /a deriveSharedSecret key needs/,
    ],
    [{ kid: 'k', alg: 'ECDH-ES', deriveSharedSecret: derive }, /decryptionKeys\.crv: expected/],
    [
      { kid: 'k', alg: 'ECDH-ES', deriveSharedSecret: derive, crv: 'X25519' },
      /decryptionKeys\.crv: expected/,
    ],
    [
      { kid: 'k', alg: 'ECDH-ES', deriveSharedSecret: derive, unwrap, crv: 'P-256' },
      /either unwrap or deriveSharedSecret/,
    ],
  ])('%j is a TypeError naming the option', async (key, message) => {
    await expect(
      makeVerifier({ decryptionKeys: key as unknown as ExternalDecryptionKey }),
    ).rejects.toThrow(message);
  });

  test('two external keys with one kid are refused; list paths name the entry', async () => {
    const key = { kid: 'k', alg: 'RSA-OAEP-256', unwrap } as const;
    await expect(makeVerifier({ decryptionKeys: [key, key] })).rejects.toThrow(/same kid/);
    await expect(
      makeVerifier({ decryptionKeys: [key, { ...key, kid: 1 as unknown as string }] }),
    ).rejects.toThrow(/^decryptionKeys\[1\]\.kid/);
  });

  test.each([0, -1, 61, '2', Number.NaN])('externalKeyTimeout %p is refused', async (value) => {
    await expect(
      makeVerifier({
        decryptionKeys: { kid: 'k', alg: 'RSA-OAEP-256', unwrap },
        externalKeyTimeout: value as number,
      }),
    ).rejects.toThrow(/^externalKeyTimeout: expected a number of seconds/);
  });

  test('external keys alone turn encryption on, and mix with in-process keys', async () => {
    const [api, local] = await Promise.all([keyPair('rsa', 'api'), keyPair('p256', 'local')]);
    const verifier = await makeVerifier({ decryptionKeys: [rsaService(api), local.privateJwk] });
    await expect(verifier.verify(await encryptJWE(await signed(), api), at)).resolves.toBeDefined();
    await expect(
      verifier.verify(await encryptJWE(await signed(), local), at),
    ).resolves.toBeDefined();
    const only = await makeVerifier({ decryptionKeys: rsaService(api) });
    await expect(only.verify(await encryptJWE(await signed(), api), at)).resolves.toBeDefined();
  });
});
