/**
 * @tokenward/pkcs11 against a real SoftHSM2 token: keys generated in the token (never
 * extractable), nested tokens minted to their public JWK and verified by createVerifier with the
 * token doing the private-key step, a wrong PIN refused at open, a failing token answered 503 (not
 * 401), and one token operation per distinct token with the verified-token cache.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { createVerifier, type ExternalDecryptionKey, type Verifier } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { CompactEncrypt, importJWK } from 'jose';
import * as pkcs11js from 'pkcs11js';
import { openPkcs11Keys, type Pkcs11Keys } from '@tokenward/pkcs11';

const LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';

// SoftHSM2 reads SOFTHSM2_CONF (with getenv) when the library initializes, so it must be in the
// real environment before anything loads it: jest gives a test file a copy of process.env, and
// runInThisContext reaches the process object of the worker itself.
const realProcess = runInThisContext('process') as NodeJS.Process;
const dir = mkdtempSync(join(tmpdir(), 'tokenward-softhsm-'));
const conf = join(dir, 'softhsm2.conf');
mkdirSync(join(dir, 'tokens'));
writeFileSync(
  conf,
  `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
);
realProcess.env.SOFTHSM2_CONF = conf;
process.env.SOFTHSM2_CONF = conf;
// Two tokens: `test`, which the file's handle logs in to, and `other`, logged in to by nobody.
for (const label of ['test', 'other']) {
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', PIN, '--so-pin', '5678'],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'ignore' },
  );
}
// The tokens are in this file's directory, not the machine's SoftHSM2 store.
if (readdirSync(join(dir, 'tokens')).length !== 2) {
  throw new Error('softhsm2-util ignored SOFTHSM2_CONF');
}

/** The slot of the `test` token (slot order is the library's, not the labels'). */
function testSlot(module: pkcs11js.PKCS11): Buffer {
  const slot = module
    .C_GetSlotList(true)
    .find((candidate) => module.C_GetTokenInfo(candidate).label.trim() === 'test');
  if (slot === undefined) throw new Error('no test token');
  return slot;
}

let hsm: Pkcs11Keys;
let issuer: TestIssuer;

beforeAll(async () => {
  hsm = await openPkcs11Keys({ library: LIBRARY, tokenLabel: 'test', pin: PIN });
  issuer = await createTestIssuer();
});

afterAll(async () => {
  hsm.close();
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
  delete realProcess.env.SOFTHSM2_CONF;
});

/** A nested token: the issuer's signed JWT, encrypted to `jwk` with jose. */
async function nested(jwk: object, header: { alg: string; enc: string; kid: string }) {
  const inner = await issuer.issueSigned({ sub: 'user-1', scope: 'read' });
  return new CompactEncrypt(new TextEncoder().encode(inner))
    .setProtectedHeader({ ...header, cty: 'JWT' })
    .encrypt(await importJWK(jwk as never, header.alg));
}

function verifierFor(
  decryptionKeys: ExternalDecryptionKey,
  extra: Record<string, unknown> = {},
): Verifier {
  return createVerifier(
    issuer.verifierOptions({ decryptionKeys, encryption: 'required', ...extra }) as never,
  );
}

/** Counts the calls of an external key's private-key method. */
function counted<T extends object>(key: T): T & { calls: () => number } {
  let calls = 0;
  const wrapped = { ...key, calls: () => calls } as T & { calls: () => number };
  for (const method of ['unwrap', 'deriveSharedSecret'] as const) {
    const original = (key as Record<string, unknown>)[method];
    if (typeof original === 'function') {
      (wrapped as Record<string, unknown>)[method] = (...args: unknown[]) => {
        calls++;
        return (original as (...a: unknown[]) => unknown)(...args);
      };
    }
  }
  return wrapped;
}

describe('keys generated in the token', () => {
  test('RSA-OAEP-256: a nested token verifies with the token doing the unwrap', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-1', modulusBits: 2048 });
    const jwk = hsm.publicJwk('rsa-1', { kid: 'rsa-1', alg: 'RSA-OAEP-256' });
    expect(jwk).toMatchObject({
      kty: 'RSA',
      e: 'AQAB',
      kid: 'rsa-1',
      alg: 'RSA-OAEP-256',
      use: 'enc',
    });
    expect(jwk).toMatchObject(pair.publicJwk);
    expect(jwk).not.toHaveProperty('d');
    const key = counted(
      hsm.decryptionKey('rsa-1', { kid: 'rsa-1', alg: 'RSA-OAEP-256', oaep: 'process' }),
    );
    const verifier = verifierFor(key);
    const token = await nested(jwk, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa-1' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    expect(key.calls()).toBe(1);
  });

  test('RSA-OAEP (SHA-1) with the padding removed in process', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-sha1-process', modulusBits: 2048 });
    const key = hsm.decryptionKey('rsa-sha1-process', {
      kid: 'rsa-sha1-process',
      alg: 'RSA-OAEP',
      oaep: 'process',
    });
    const token = await nested(pair.publicJwk, {
      alg: 'RSA-OAEP',
      enc: 'A256GCM',
      kid: 'rsa-sha1-process',
    });
    await expect(verifierFor(key).verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  test('RSA-OAEP (SHA-1) by CKA_ID, with A128CBC-HS256 content', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-sha1', modulusBits: 2048 });
    const key = hsm.decryptionKey({ id: pair.id }, { kid: 'rsa-sha1', alg: 'RSA-OAEP' });
    const token = await nested(pair.publicJwk, {
      alg: 'RSA-OAEP',
      enc: 'A128CBC-HS256',
      kid: 'rsa-sha1',
    });
    await expect(verifierFor(key).verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    // Encrypted to another key: the token reports it undecryptable (or it is not below the
    // modulus and never reaches the token): 401, and the session pool still answers.
    const stranger = hsm.generateRsaKeyPair({ label: 'rsa-sha1-stranger', modulusBits: 2048 });
    for (let i = 0; i < 4; i++) {
      const wrong = await nested(stranger.publicJwk, {
        alg: 'RSA-OAEP',
        enc: 'A128CBC-HS256',
        kid: 'rsa-sha1',
      });
      const error = await verifierFor(key)
        .verify(wrong)
        .catch((e: { status: number; code: string }) => e);
      expect(error).toMatchObject({ status: 401, code: 'ERR_JWE_DECRYPTION_FAILED' });
    }
    await expect(verifierFor(key).verify(token)).resolves.toMatchObject({ subject: 'user-1' });
  });

  test.each([
    ['P-256', 'ECDH-ES+A256KW'],
    ['P-384', 'ECDH-ES'],
    ['P-521', 'ECDH-ES+A128KW'],
  ] as const)('%s %s: a nested token verifies with the token deriving Z', async (crv, alg) => {
    const label = `ec-${crv}-${alg}`;
    const pair = hsm.generateEcKeyPair({ label, crv });
    const jwk = hsm.publicJwk(label, { kid: label, alg });
    expect(jwk).toMatchObject({ kty: 'EC', crv, ...pair.publicJwk });
    const key = counted(hsm.decryptionKey(label, { kid: label, alg }));
    expect(key.crv).toBe(crv);
    const token = await nested(jwk, { alg, enc: 'A256GCM', kid: label });
    await expect(verifierFor(key).verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    expect(key.calls()).toBe(1);
  });

  test('private keys are sensitive and never extractable (read from the token)', () => {
    hsm.generateRsaKeyPair({ label: 'attrs-rsa', modulusBits: 2048 });
    hsm.generateEcKeyPair({ label: 'attrs-ec', crv: 'P-256' });
    const module = new pkcs11js.PKCS11();
    module.load(LIBRARY);
    // The process initialized the library already (openPkcs11Keys): this instance shares it.
    expect(() => module.C_Initialize()).toThrow(/CKR_CRYPTOKI_ALREADY_INITIALIZED/);
    const slot = testSlot(module);
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      for (const label of ['attrs-rsa', 'attrs-ec']) {
        module.C_FindObjectsInit(session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_LABEL, value: label },
        ]);
        const [handle] = module.C_FindObjects(session, 2);
        module.C_FindObjectsFinal(session);
        const values = module
          .C_GetAttributeValue(session, handle as Buffer, [
            { type: pkcs11js.CKA_EXTRACTABLE },
            { type: pkcs11js.CKA_SENSITIVE },
            { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
            { type: pkcs11js.CKA_TOKEN },
          ])
          .map((attribute) => attribute.value[0]);
        expect(values).toEqual([0, 1, 1, 1]);
        // The private value itself is refused by the token.
        expect(() =>
          module.C_GetAttributeValue(session, handle as Buffer, [
            { type: label === 'attrs-rsa' ? pkcs11js.CKA_PRIVATE_EXPONENT : pkcs11js.CKA_VALUE },
          ]),
        ).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      }
    } finally {
      module.C_CloseSession(session);
    }
  });

  test('with the cache, 100 verifications of one token cost one token operation', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-cache', modulusBits: 2048 });
    const key = counted(
      hsm.decryptionKey('rsa-cache', { kid: 'rsa-cache', alg: 'RSA-OAEP-256', oaep: 'process' }),
    );
    const verifier = verifierFor(key, { cache: { admission: 'always' } });
    const token = await nested(pair.publicJwk, {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: 'rsa-cache',
    });
    for (let i = 0; i < 100; i++) await verifier.verify(token);
    expect(key.calls()).toBe(1);
  });

  test('a token encrypted to another key is 401, the session stays usable', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-wrong', modulusBits: 2048 });
    const other = hsm.generateRsaKeyPair({ label: 'rsa-other', modulusBits: 2048 });
    const verifier = verifierFor(
      hsm.decryptionKey('rsa-wrong', { kid: 'rsa-wrong', alg: 'RSA-OAEP-256', oaep: 'process' }),
    );
    const wrong = await nested(other.publicJwk, {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: 'rsa-wrong',
    });
    const error = await verifier.verify(wrong).catch((e: { status: number; code: string }) => e);
    expect(error).toMatchObject({ status: 401, code: 'ERR_JWE_DECRYPTION_FAILED' });
    const right = await nested(pair.publicJwk, {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: 'rsa-wrong',
    });
    await expect(verifier.verify(right)).resolves.toMatchObject({ subject: 'user-1' });
  });
});

describe('refusals at configuration', () => {
  test('a wrong PIN is a clear error at open, on a token nobody is logged in to', async () => {
    await expect(
      openPkcs11Keys({ library: LIBRARY, tokenLabel: 'other', pin: '0000' }),
    ).rejects.toThrow('openPkcs11Keys: the token refused the PIN (CKR_PIN_INCORRECT)');
    const other = await openPkcs11Keys({ library: LIBRARY, tokenLabel: 'other', pin: PIN });
    other.close();
  });

  test('a wrong PIN is refused too while the process is logged in to the token', async () => {
    await expect(
      openPkcs11Keys({ library: LIBRARY, tokenLabel: 'test', pin: '0000' }),
    ).rejects.toThrow('openPkcs11Keys: the token refused the PIN (CKR_PIN_INCORRECT)');
  });

  test('a private key that can leave the token is refused', () => {
    const module = new pkcs11js.PKCS11();
    module.load(LIBRARY);
    const session = module.C_OpenSession(
      testSlot(module),
      pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
    );
    try {
      module.C_GenerateKeyPair(
        session,
        { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: 'rsa-exportable' },
          { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ],
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_LABEL, value: 'rsa-exportable' },
          { type: pkcs11js.CKA_DECRYPT, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: false },
          { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        ],
      );
    } finally {
      module.C_CloseSession(session);
    }
    expect(() => hsm.decryptionKey('rsa-exportable', { kid: 'x', alg: 'RSA-OAEP-256' })).toThrow(
      'PKCS#11: the private key with label "rsa-exportable" can leave the token (CKA_EXTRACTABLE must be false, CKA_SENSITIVE true)',
    );
  });

  test('an unknown token, library or key is a clear error', async () => {
    await expect(
      openPkcs11Keys({ library: LIBRARY, tokenLabel: 'nope', pin: PIN }),
    ).rejects.toThrow('openPkcs11Keys: no token labelled "nope"');
    await expect(openPkcs11Keys({ library: join(dir, 'missing.so'), pin: PIN })).rejects.toThrow(
      /cannot load the PKCS#11 library/,
    );
    expect(() => hsm.decryptionKey('absent', { kid: 'a', alg: 'RSA-OAEP-256' })).toThrow(
      'PKCS#11: no private key with label "absent"',
    );
    hsm.generateEcKeyPair({ label: 'ec-for-rsa', crv: 'P-256' });
    expect(() => hsm.decryptionKey('ec-for-rsa', { kid: 'a', alg: 'RSA-OAEP-256' })).toThrow(
      /is not an RSA key/,
    );
  });
});

describe('options and sessions', () => {
  test.each([
    [{ library: '', pin: PIN }, /library must name the PKCS#11 library file/],
    [{ library: LIBRARY, pin: 1234 }, /pin must be a string/],
    [{ library: LIBRARY, pin: PIN, sessions: 0 }, /sessions must be an integer of at least 1/],
    [
      { library: LIBRARY, pin: PIN, tokenLabel: 'test', slot: 0 },
      /tokenLabel and slot exclude each other/,
    ],
    [{ library: LIBRARY, pin: PIN, slot: 9 }, /no slot 9 with a token \(2 found\)/],
    [{ library: LIBRARY, pin: PIN }, /2 tokens present; name one with tokenLabel or slot/],
  ])('openPkcs11Keys(%j) is refused', async (options, message) => {
    await expect(openPkcs11Keys(options as never)).rejects.toThrow(message);
  });

  test('a slot index opens its token', async () => {
    const module = new pkcs11js.PKCS11();
    module.load(LIBRARY);
    const initialized = module
      .C_GetSlotList(true)
      .filter((slot) => (module.C_GetTokenInfo(slot).flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0);
    const index = initialized.findIndex((slot) => slot.equals(testSlot(module)));
    const bySlot = await openPkcs11Keys({ library: LIBRARY, slot: index, pin: PIN });
    expect(() => bySlot.publicJwk('rsa-1', { kid: 'k', alg: 'RSA-OAEP-256' })).not.toThrow();
    bySlot.close();
    bySlot.close();
    expect(() => bySlot.publicJwk('rsa-1', { kid: 'k', alg: 'RSA-OAEP-256' })).toThrow(/closed/);
  });

  test('decryptionKey and the generators refuse bad options', () => {
    hsm.generateEcKeyPair({ label: 'ec-options', crv: 'P-384' });
    expect(() => hsm.decryptionKey('rsa-1', { kid: '', alg: 'RSA-OAEP-256' })).toThrow(
      /kid must be/,
    );
    expect(() => hsm.decryptionKey('rsa-1', { kid: 'k', alg: 'RSA1_5' as never })).toThrow(
      /alg must be/,
    );
    expect(() =>
      hsm.decryptionKey('rsa-1', { kid: 'k', alg: 'RSA-OAEP', oaep: 'both' as never }),
    ).toThrow(/oaep must be/);
    expect(() => hsm.decryptionKey('rsa-1', { kid: 'k', alg: 'ECDH-ES' })).toThrow(
      /is not an EC key/,
    );
    expect(() => hsm.generateRsaKeyPair({ label: '' })).toThrow(/label must be/);
    expect(() => hsm.generateRsaKeyPair({ label: 'small', modulusBits: 1024 })).toThrow(
      /at least 2048/,
    );
    expect(() => hsm.generateEcKeyPair({ label: 'k1', crv: 'secp256k1' as never })).toThrow(
      /crv must be/,
    );
    expect(() => hsm.publicJwk('absent', { kid: 'k', alg: 'ECDH-ES' })).toThrow(
      /no public key with label "absent"/,
    );
    const pair = hsm.generateEcKeyPair({
      label: 'ec-options-id',
      crv: 'P-521',
      id: new Uint8Array([1, 2, 3]),
    });
    expect(Buffer.from(pair.id).toString('hex')).toBe('010203');
    expect(hsm.publicJwk({ id: pair.id }, { kid: 'k', alg: 'ECDH-ES' })).toMatchObject({
      crv: 'P-521',
    });
  });

  test('one session for many concurrent operations: each waits its turn, all answer', async () => {
    const small = await openPkcs11Keys({
      library: LIBRARY,
      tokenLabel: 'test',
      pin: PIN,
      sessions: 1,
    });
    try {
      const pair = small.generateEcKeyPair({ label: 'ec-queue', crv: 'P-256' });
      const key = small.decryptionKey('ec-queue', { kid: 'ec-queue', alg: 'ECDH-ES' });
      const verifier = verifierFor(key, { maxConcurrentDecryptions: 8 });
      const tokens = await Promise.all(
        Array.from({ length: 8 }, () =>
          nested(pair.publicJwk, { alg: 'ECDH-ES', enc: 'A128GCM', kid: 'ec-queue' }),
        ),
      );
      const results = await Promise.all(tokens.map((token) => verifier.verify(token)));
      expect(results.map((r) => r.subject)).toEqual(Array.from({ length: 8 }, () => 'user-1'));
    } finally {
      small.close();
    }
  });
});

describe('a failing token is 503, never 401', () => {
  test('a key handle destroyed under the verifier', async () => {
    const pair = hsm.generateRsaKeyPair({ label: 'rsa-doomed', modulusBits: 2048 });
    const verifier = verifierFor(
      hsm.decryptionKey('rsa-doomed', { kid: 'rsa-doomed', alg: 'RSA-OAEP-256' }),
    );
    const token = await nested(pair.publicJwk, {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: 'rsa-doomed',
    });
    // Destroy the private key through a session of another handle on the same token.
    const other = await openPkcs11Keys({ library: LIBRARY, tokenLabel: 'test', pin: PIN });
    other.generateRsaKeyPair({ label: 'unused', modulusBits: 2048 });
    other.close();
    const module = new pkcs11js.PKCS11();
    module.load(LIBRARY);
    const session = module.C_OpenSession(
      testSlot(module),
      pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
    );
    module.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: 'rsa-doomed' },
    ]);
    const [handle] = module.C_FindObjects(session, 1);
    module.C_FindObjectsFinal(session);
    module.C_DestroyObject(session, handle as Buffer);
    module.C_CloseSession(session);
    const error = await verifier
      .verify(token)
      .catch((e: { status: number; code: string; cause: unknown }) => e);
    expect(error).toMatchObject({ status: 503, code: 'ERR_KEY_SERVICE_UNAVAILABLE' });
    expect(String((error as { cause: Error }).cause)).toMatch(/CKR_(KEY|OBJECT)_HANDLE_INVALID/);
  });

  test('a closed handle, and a library finalized mid-way', async () => {
    const pair = hsm.generateEcKeyPair({ label: 'ec-closed', crv: 'P-256' });
    const token = await nested(pair.publicJwk, {
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: 'ec-closed',
    });
    const second = await openPkcs11Keys({ library: LIBRARY, tokenLabel: 'test', pin: PIN });
    const closedKey = second.decryptionKey('ec-closed', {
      kid: 'ec-closed',
      alg: 'ECDH-ES+A256KW',
    });
    const verifier = verifierFor(closedKey);
    second.close();
    const closed = await verifier.verify(token).catch((e: { status: number; code: string }) => e);
    expect(closed).toMatchObject({ status: 503, code: 'ERR_KEY_SERVICE_UNAVAILABLE' });

    // Last: the whole library finalized under the open handle (every later call fails).
    const live = verifierFor(
      hsm.decryptionKey('ec-closed', { kid: 'ec-closed', alg: 'ECDH-ES+A256KW' }),
    );
    await expect(live.verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    const fresh = await nested(pair.publicJwk, {
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: 'ec-closed',
    });
    const module = new pkcs11js.PKCS11();
    module.load(LIBRARY);
    module.C_Finalize();
    const finalized = await live.verify(fresh).catch((e: { status: number; code: string }) => e);
    expect(finalized).toMatchObject({ status: 503, code: 'ERR_KEY_SERVICE_UNAVAILABLE' });
  });
});
