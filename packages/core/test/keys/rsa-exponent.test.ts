/**
 * SD-25 (docs/architecture.md), the RSA public exponent: odd with 2^16 < e < 2^256 (FIPS 186-5
 * §5.4, keys/rsa-exponent.ts). Real keys: one generated with e = 3, and a real 3072-bit modulus
 * with a 3,070-bit exponent (node:crypto imports it). A JWK Set served on 127.0.0.1 skips both;
 * configured `keys`, `decryptionKeys` and `getKey` answers are refused.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { createVerifier, type TokenwardError } from '@tokenward/core';
import { importPublicKey } from '../../src/keys/key-input';
import { isAcceptableRSAExponent, RSA_EXPONENT_RULE } from '../../src/keys/rsa-exponent';
import { anAccessToken, rejection } from '../helpers/keys';
import { AUDIENCE, json, NOW, startIdP, type FakeIdP } from '../helpers/idp';

const ISSUER = 'https://issuer.example.com/';
const RULE = 'the RSA public exponent must be odd, above 2^16 and below 2^256';
const b64u = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const bigintBytes = (value: bigint) => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
};

// One key generated with e = 3 (private half kept, so tokens signed with it are real).
const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
const e3Public: JWK = { ...e3.publicKey.export({ format: 'jwk' }), kid: 'e3', alg: 'RS256' };
// A real 3072-bit modulus whose `e` is replaced by an odd 3,070-bit number (below n, so
// node:crypto imports it: a JWK's `e` is only base64url bytes).
const modulus = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
const hugeE = randomBytes(384);
hugeE[0] = 0x3f; // 3,070 bits: below the modulus, whose top bit is set
hugeE[383] = (hugeE[383] as number) | 1;
const hugePublic: JWK = {
  ...modulus.export({ format: 'jwk' }),
  e: b64u(hugeE),
  kid: 'huge-e',
  alg: 'RS256',
};
const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
const goodPublic: JWK = { ...good.publicKey.export({ format: 'jwk' }), kid: 'good', alg: 'RS256' };
const withE = (e: bigint): JWK => ({ ...goodPublic, e: b64u(bigintBytes(e)) });

function token(kid: string, key: KeyObject | undefined): string {
  const now = Math.floor(NOW.getTime() / 1000);
  const input = `${b64u(JSON.stringify({ alg: 'RS256', kid, typ: 'at+jwt' }))}.${b64u(
    JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'u', iat: now - 60, exp: now + 600 }),
  )}`;
  // Without a private key (the huge-e key has none), a random signature: a forgery attempt.
  const signature = key ? sign('sha256', Buffer.from(input), key) : randomBytes(384);
  return `${input}.${b64u(signature)}`;
}

async function expectKeyNotFound(promise: Promise<unknown>): Promise<void> {
  const error: TokenwardError = await rejection(promise);
  expect(error.code).toBe('ERR_JWS_KEY_NOT_FOUND');
  expect(error.status).toBe(401);
  expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
}

describe('isAcceptableRSAExponent', () => {
  it.each([
    ['65537', true, 65537n],
    ['2^16 + 3', true, 2n ** 16n + 3n],
    ['2^256 - 1', true, 2n ** 256n - 1n],
    ['1', false, 1n],
    ['3', false, 3n],
    ['2^16 - 1', false, 2n ** 16n - 1n],
    ['2^16', false, 2n ** 16n],
    ['2^16 + 2 (even)', false, 2n ** 16n + 2n],
    ['2^256 + 1', false, 2n ** 256n + 1n],
    ['a 3,070-bit odd number', false, BigInt(`0x${hugeE.toString('hex')}`)],
  ])('e = %s: accepted %s', (_name, accepted, e) => {
    expect(isAcceptableRSAExponent(e)).toBe(accepted);
  });

  it('states the rule it enforces', () => {
    expect(RSA_EXPONENT_RULE).toBe(RULE);
  });
});

describe('configured keys', () => {
  it('imports 65537 and the bounds just inside, from real moduli', () => {
    expect(importPublicKey(goodPublic, 'keys').kid).toBe('good');
    expect(importPublicKey(withE(2n ** 16n + 3n), 'keys').kid).toBe('good');
    expect(importPublicKey(withE(2n ** 256n - 1n), 'keys').kid).toBe('good');
  });

  it.each([
    ['e = 3 (a generated key)', e3Public],
    ['a 3,070-bit e', hugePublic],
    ['e = 2^256 + 1', withE(2n ** 256n + 1n)],
  ])('refuses %s in keys with a TypeError naming the option', (_name, jwk) => {
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: jwk })).toThrow(
      new TypeError(`keys: ${RULE}`),
    );
  });

  it('refuses a decryption key with e = 3', () => {
    const jwk = { ...e3.privateKey.export({ format: 'jwk' }), kid: 'd', use: 'enc' };
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: goodPublic,
        decryptionKeys: jwk,
      }),
    ).toThrow(RULE);
  });

  it('refuses a getKey answer with e = 3 (401 ERR_KEY_LOOKUP_FAILED, the rule as cause)', async () => {
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      getKey: () => e3Public,
      cache: false,
    });
    const error = await rejection(v.verify(token('e3', e3.privateKey), { currentDate: NOW }));
    expect(error.code).toBe('ERR_KEY_LOOKUP_FAILED');
    expect(error.status).toBe(401);
    expect(String((error.cause as Error | undefined)?.message)).toContain(RULE);
  });
});

describe('a remote JWK Set on 127.0.0.1', () => {
  let idp: FakeIdP;
  beforeAll(async () => {
    idp = await startIdP();
    idp.on('/jwks.json', json({ keys: [e3Public, hugePublic, goodPublic] }));
  });
  afterAll(() => idp.close());

  it('skips the e = 3 and the 3,070-bit-e keys, logs why, and keeps the good one', async () => {
    const warnings: string[] = [];
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${idp.url}/jwks.json`,
      cache: false,
      logger: {
        warn: (message, details) => warnings.push(`${message} ${JSON.stringify(details)}`),
      },
    });
    const at = { currentDate: NOW };
    await expect(v.verify(token('good', good.privateKey), at)).resolves.toMatchObject(
      anAccessToken,
    );
    // Correctly signed with the e = 3 private key, and still refused: the key is not held.
    await expectKeyNotFound(v.verify(token('e3', e3.privateKey), at));
    await expectKeyNotFound(v.verify(token('huge-e', undefined), at));
    expect((await v.health()).sources[0]).toMatchObject({ status: 'ok', keyCount: 1 });
    const log = warnings.join('\n');
    expect(log).toMatch(/"kid":"e3".*odd, above 2\^16 and below 2\^256/);
    expect(log).toMatch(/"kid":"huge-e".*odd, above 2\^16 and below 2\^256/);
  });
});
