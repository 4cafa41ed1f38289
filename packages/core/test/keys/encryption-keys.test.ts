/**
 * `encryptionKeySet`: the public JWK Set an issuer encrypts to (RSA and EC keys, with and without
 * `kid`, `alg` defaults, no private member, no symmetric key), and the rotation states of
 * decryption keys (`next`, `active`, `retiring` with `until`) with their validation.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import {
  createIssuer,
  createVerifier,
  encryptionKeySet,
  type DecryptionKeyInput,
  type JSONWebKeySet,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { selectDecryptionKeys, importDecryptionKeys } from '../../src/keys/decryption-keys';

const ISSUER = 'https://issuer.example.com/';
const AUDIENCE = 'https://api.example.com';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let signingKey: JWK;
let signingPublic: JWK;
let rsa: KeyObject;
let ec: KeyObject;
let ec2: KeyObject;
let rsaJwk: JWK;
let ecJwk: JWK;

beforeAll(async () => {
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  signingKey = { ...(await exportJWK(signing.privateKey)), kid: 'sig-1' };
  signingPublic = { ...(await exportJWK(signing.publicKey)), kid: 'sig-1', alg: 'ES256' };
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  ec2 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  rsaJwk = await exportJWK(rsa);
  ecJwk = await exportJWK(ec);
});

function verifierWith(
  decryptionKeys: DecryptionKeyInput | DecryptionKeyInput[],
  extra: Partial<VerifierOptions> = {},
): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: signingPublic,
    decryptionKeys,
    ...extra,
  });
}

const setOf = (verifier: Verifier) => encryptionKeySet(verifier) as JSONWebKeySet;

/** A nested token for `publicJwk`, encrypted as a real issuer would from the published set. */
async function tokenFor(publicJwk: JWK): Promise<string> {
  const issuer = await createIssuer({
    issuer: ISSUER,
    signingKey,
    audience: AUDIENCE,
    encryptionKey: publicJwk,
    keyManagementAlgorithm: publicJwk.alg as string,
    encryptionKid: publicJwk.kid as string,
  });
  return issuer.issue({ sub: 'alice' });
}

describe('the published set', () => {
  it('publishes an RSA and an EC key with use, alg, kid and their public members only', async () => {
    const verifier = verifierWith([
      { ...rsaJwk, kid: 'rsa-1' },
      { ...ecJwk, kid: 'ec-1' },
    ]);
    const { keys } = setOf(verifier);
    expect(keys).toEqual([
      { kid: 'rsa-1', use: 'enc', alg: 'RSA-OAEP-256', kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e },
      {
        kid: 'ec-1',
        use: 'enc',
        alg: 'ECDH-ES+A256KW',
        kty: 'EC',
        crv: 'P-256',
        x: ecJwk.x,
        y: ecJwk.y,
      },
    ]);
    for (const jwk of keys) {
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
    }
    // What an issuer encrypts to with the published key, the verifier decrypts.
    for (const jwk of keys) {
      await expect(verifier.verify(await tokenFor(jwk))).resolves.toMatchObject({
        subject: 'alice',
        encryption: expect.objectContaining({ kid: jwk.kid, alg: jwk.alg }),
      });
    }
  });

  it('names a key without kid (PEM, KeyObject, JWK) by its RFC 7638 thumbprint', async () => {
    const pem = rsa.export({ format: 'pem', type: 'pkcs8' }) as string;
    const { keys } = setOf(verifierWith([pem, ec, { key: ecJwk }]));
    expect(keys.map((k) => k.kid)).toEqual([
      await calculateJwkThumbprint({ kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e }),
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: ecJwk.x, y: ecJwk.y }),
      await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: ecJwk.x, y: ecJwk.y }),
    ]);
    // The issuer names the thumbprint in the JWE header; the kid-less key is chosen for it.
    const verifier = verifierWith(pem);
    const [published] = setOf(verifier).keys as [JWK];
    await expect(verifier.verify(await tokenFor(published))).resolves.toMatchObject({
      subject: 'alice',
    });
  });

  it('takes a configured kid over the JWK kid, and the entry kid over both', () => {
    const { keys } = setOf(
      verifierWith([
        { key: rsa, kid: 'from-entry' },
        { key: { ...ecJwk, kid: 'inside' }, kid: 'outside' },
      ]),
    );
    expect(keys.map((k) => k.kid)).toEqual(['from-entry', 'outside']);
  });

  it('takes alg from the key input (JWK or entry) and defaults the rest from the allowlist', () => {
    expect(
      setOf(
        verifierWith([{ ...rsaJwk, alg: 'RSA-OAEP-512' }, { key: ec, alg: 'ECDH-ES' }, ec2]),
      ).keys.map((k) => [k.kty, k.alg]),
    ).toEqual([
      ['RSA', 'RSA-OAEP-512'],
      ['EC', 'ECDH-ES'],
      ['EC', 'ECDH-ES+A256KW'],
    ]);
    // Without RSA-OAEP-256 and ECDH-ES+A256KW in the allowlist, the next default is taken.
    const narrowed = verifierWith([rsa, ec], {
      keyManagementAlgorithms: ['RSA-OAEP', 'ECDH-ES+A128KW', 'ECDH-ES'],
    });
    expect(setOf(narrowed).keys.map((k) => k.alg)).toEqual(['RSA-OAEP', 'ECDH-ES']);
  });

  it('leaves out a key no allowed algorithm fits, and never publishes a symmetric key', () => {
    const rsaOnly = verifierWith([rsa, ec, { ...ecJwk, kid: 'wrong', alg: 'RSA-OAEP-256' }], {
      keyManagementAlgorithms: ['RSA-OAEP-256'],
    });
    expect(setOf(rsaOnly).keys.map((k) => k.kty)).toEqual(['RSA']);
    const secret = new Uint8Array(randomBytes(32));
    const symmetric = verifierWith([
      secret,
      { kty: 'oct', k: Buffer.from(secret).toString('base64url') },
    ]);
    expect(setOf(symmetric)).toEqual({ keys: [] });
  });

  it('is empty without decryption keys, undefined for a verifier createVerifier did not build', () => {
    const plain = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: signingPublic });
    expect(encryptionKeySet(plain)).toEqual({ keys: [] });
    const handWritten: Verifier = {
      realm: 'api',
      verify: plain.verify,
      verifyRequest: plain.verifyRequest,
      health: plain.health,
      close: plain.close,
    };
    expect(encryptionKeySet(handWritten)).toBeUndefined();
    // A copy with spread keeps the set, as it keeps the adapters' paths.
    expect(setOf({ ...verifierWith(rsa) }).keys).toHaveLength(1);
  });

  it('returns a fresh copy: a caller changing it changes nothing published', () => {
    const verifier = verifierWith(rsa);
    const first = setOf(verifier);
    (first.keys[0] as Record<string, unknown>).d = 'leaked';
    first.keys.push({ kty: 'oct' });
    expect(setOf(verifier).keys).toHaveLength(1);
    expect(setOf(verifier).keys[0]).not.toHaveProperty('d');
  });
});

describe('rotation states', () => {
  const future = () => new Date(Date.now() + 3600_000);
  const past = () => new Date(Date.now() - 1000);

  it('publishes active keys only, in order: next and retiring keys are accepted, not published', async () => {
    const verifier = verifierWith([
      { key: rsa, kid: 'next-rsa', state: 'next' },
      { key: ec, kid: 'current' },
      { key: ec2, kid: 'old', state: 'retiring', until: future() },
      { ...rsaJwk, kid: 'also-active', state: 'active' },
    ]);
    expect(setOf(verifier).keys.map((k) => k.kid)).toEqual(['current', 'also-active']);
    // The unpublished keys still decrypt: every instance accepts `next` before it is published,
    // and `retiring` until its end.
    const rsaPublic = {
      kty: 'RSA',
      n: rsaJwk.n,
      e: rsaJwk.e,
      kid: 'next-rsa',
      alg: 'RSA-OAEP-256',
    };
    await expect(verifier.verify(await tokenFor(rsaPublic))).resolves.toMatchObject({
      encryption: expect.objectContaining({ kid: 'next-rsa' }),
    });
    const ec2Jwk = await exportJWK(ec2);
    const oldPublic = {
      kty: 'EC',
      crv: 'P-384',
      x: ec2Jwk.x,
      y: ec2Jwk.y,
      kid: 'old',
      alg: 'ECDH-ES+A256KW',
    };
    await expect(verifier.verify(await tokenFor(oldPublic))).resolves.toMatchObject({
      encryption: expect.objectContaining({ kid: 'old' }),
    });
  });

  it('refuses a token for a retiring key after its until, with ERR_JWE_KEY_NOT_FOUND (no key tried)', async () => {
    const ecPublic = {
      kty: 'EC',
      crv: 'P-256',
      x: ecJwk.x,
      y: ecJwk.y,
      kid: 'old',
      alg: 'ECDH-ES+A256KW',
    };
    const token = await tokenFor(ecPublic);
    const keys = (until: Date | string) => [
      { ...ecJwk, kid: 'old', state: 'retiring' as const, until },
      { key: rsa, kid: 'new' },
    ];
    await expect(verifierWith(keys(future().toISOString())).verify(token)).resolves.toMatchObject({
      subject: 'alice',
    });
    await expect(verifierWith(keys(past())).verify(token)).rejects.toMatchObject({
      code: 'ERR_JWE_KEY_NOT_FOUND',
    });
    // The same token for a key that is configured but does not decrypt it is tried and fails:
    // KEY_NOT_FOUND above means the retired key was never tried.
    const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expect(verifierWith({ key: otherEc, kid: 'old' }).verify(token)).rejects.toMatchObject({
      code: 'ERR_JWE_DECRYPTION_FAILED',
    });
  });

  it('never selects a retired key, also for a JWE without kid', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const keys = importDecryptionKeys([
      { key: ec, state: 'retiring', until: '2030-01-01T00:00:00Z' },
      { key: ec2, kid: 'active' },
    ]);
    const selector = { alg: 'ECDH-ES', enc: 'A256GCM', kid: undefined, crv: 'P-256' };
    expect(selectDecryptionKeys(keys, selector, now)).toHaveLength(1);
    expect(selectDecryptionKeys(keys, selector, now + 1)).toEqual([]);
    expect(selectDecryptionKeys(keys, { ...selector, kid: 'x' }, now + 1)).toEqual([]);
  });

  it('reads state and until from the members of a private JWK Set (a key file)', () => {
    const verifier = verifierWith({
      keys: [
        { ...rsaJwk, kid: 'new', state: 'next' },
        { ...ecJwk, kid: 'current' },
        { ...(ecJwk as JWK), kid: 'old', state: 'retiring', until: '2030-01-01T00:00:00Z' },
      ],
    });
    expect(setOf(verifier).keys.map((k) => k.kid)).toEqual(['current']);
    // The rotation members are never published.
    expect(setOf(verifier).keys[0]).not.toHaveProperty('state');
  });

  // Built in the test: the keys exist once beforeAll has run.
  it.each<[string, () => DecryptionKeyInput[], RegExp]>([
    [
      'an unknown state',
      () => [{ key: rsa, state: 'old' as never }],
      /^decryptionKeys\[0\]\.state: expected 'next', 'active' or 'retiring'/,
    ],
    [
      'retiring without until',
      () => [rsa, { key: ec, state: 'retiring' }],
      /^decryptionKeys\[1\]\.until: a 'retiring' key needs/,
    ],
    [
      'an until that is no date',
      () => [rsa, { key: ec, state: 'retiring', until: 'soon' }],
      /^decryptionKeys\[1\]\.until/,
    ],
    [
      'an until in a locale format',
      () => [rsa, { key: ec, state: 'retiring', until: '12/31/2030' }],
      /^decryptionKeys\[1\]\.until/,
    ],
    [
      'an invalid Date',
      () => [rsa, { key: ec, state: 'retiring', until: new Date(NaN) }],
      /^decryptionKeys\[1\]\.until/,
    ],
    [
      'until on an active key',
      () => [{ key: rsa, until: new Date() }],
      /^decryptionKeys\[0\]\.until: only a key with state 'retiring'/,
    ],
    [
      'no active key',
      () => [
        { key: rsa, state: 'next' },
        { key: ec, state: 'retiring', until: new Date() },
      ],
      /^decryptionKeys: no key has state 'active'/,
    ],
    [
      'an empty entry kid',
      () => [{ key: rsa, kid: '' }],
      /^decryptionKeys\[0\]\.kid: must be a non-empty string/,
    ],
    [
      'an entry alg that disagrees with the JWK',
      () => [{ key: { ...rsaJwk, alg: 'RSA-OAEP' }, alg: 'RSA-OAEP-256' }],
      /^decryptionKeys\[0\]\.alg: "RSA-OAEP-256" disagrees/,
    ],
  ])('refuses %s with a TypeError naming the option', (_name, input, message) => {
    expect(() => verifierWith(input())).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });

  it('names the JWK Set member whose state is bad', () => {
    expect(() =>
      verifierWith({ keys: [{ ...rsaJwk, kid: 'k1', state: 'retired' as never }] }),
    ).toThrow(/^decryptionKeys \(kid "k1"\)\.state/);
  });

  it('accepts a retiring key already past its until at start-up (a late restart still starts)', () => {
    const verifier = verifierWith([rsa, { key: ec, state: 'retiring', until: past() }]);
    expect(setOf(verifier).keys).toHaveLength(1);
  });
});
