/**
 * The security defaults of docs/architecture.md (SD-1 to SD-20, SD-26 and SD-27; the remote-key
 * rules are tested in test/keys/), one or more tests per rule named by its number, each built so that
 * it fails if the rule is removed: tokens are validly signed or genuinely decryptable except for
 * the one property the rule is about, so nothing else can reject them.
 */
import { sign as cryptoSign } from 'node:crypto';
import { CompactEncrypt, errors as joseErrors } from 'jose';
import type { Verifier } from '@tokenward/core';
import {
  anAccessToken,
  AUDIENCE,
  b64u,
  claims,
  encryptJWE,
  expectInvalidToken,
  ISSUER,
  keyPair,
  makeVerifier,
  NOW,
  NOW_S,
  rawJWE,
  rawJWS,
  rejection,
  secret,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';
import { decryptJWE } from '../../src/jwe/decrypt-jwe';

let issuerKey: TestKeyPair; // the issuer's signing key
let apiKey: TestKeyPair; // the resource server's RSA encryption key
let attacker: TestKeyPair; // someone else's RSA key
let apiEcKey: TestKeyPair; // the resource server's P-256 encryption key
let verifier: Verifier; // trusts issuerKey, decrypts with apiKey and apiEcKey

beforeAll(async () => {
  [issuerKey, apiKey, attacker, apiEcKey] = await Promise.all([
    keyPair('rsa'),
    keyPair('rsa', 'api'),
    keyPair('rsa', 'attacker'),
    keyPair('p256', 'api'),
  ]);
  verifier = await makeVerifier({ decryptionKeys: [apiKey.privateJwk, apiEcKey.privateJwk] });
});

const json = (value: unknown) => JSON.stringify(value);
const at = { currentDate: NOW };
/** A validly signed inner JWS with the default claims. */
const goodJWS = () => signJWS(claims(), issuerKey);
/** Signs already-encoded segments (any text, canonical or not) with the issuer's RS256 key. */
const signSegments = (header: string, payload: string) =>
  `${header}.${payload}.${cryptoSign('sha256', Buffer.from(`${header}.${payload}`), issuerKey.privateKey).toString('base64url')}`;
const rs256Header = json({ alg: 'RS256', typ: 'at+jwt' });

describe('SD-1 to SD-4: length, charset, segments and duplicate members, before any decoding', () => {
  test('SD-1: a token longer than maxTokenLength is rejected, a token of exactly that length is not', async () => {
    const token = await goodJWS();
    const tight = await makeVerifier({ maxTokenLength: token.length });
    await expect(tight.verify(token, at)).resolves.toMatchObject({ issuer: ISSUER });
    const tooTight = await makeVerifier({ maxTokenLength: token.length - 1 });
    await expectInvalidToken(tooTight, token, 'ERR_TOKEN_TOO_LONG');
  });

  test('SD-1: the length cap fires before the charset check (the default cap is 16384)', async () => {
    // Not base64url at all: only the length check can explain ERR_TOKEN_TOO_LONG.
    await expectInvalidToken(verifier, '!'.repeat(16385), 'ERR_TOKEN_TOO_LONG');
    await expectInvalidToken(verifier, '!'.repeat(16384), 'ERR_TOKEN_MALFORMED');
  });

  test('SD-1: the length cap also applies to JWE tokens', async () => {
    const jwe = await encryptJWE(await goodJWS(), apiKey);
    const v = await makeVerifier({
      decryptionKeys: apiKey.privateJwk,
      maxTokenLength: jwe.length - 1,
    });
    await expectInvalidToken(v, jwe, 'ERR_TOKEN_TOO_LONG');
  });

  test.each([
    ['a space', ' '],
    ['a tab', '\t'],
    ['a line feed', '\n'],
    ['a carriage return', '\r'],
  ])('SD-2: %s inside the signature segment is rejected', async (_name, ws) => {
    const token = await goodJWS();
    // Lenient decoders (atob) drop whitespace, so the signature would still verify.
    const at40 = token.length - 40;
    await expectInvalidToken(
      verifier,
      token.slice(0, at40) + ws + token.slice(at40),
      'ERR_TOKEN_MALFORMED',
    );
  });

  test('SD-2: leading or trailing whitespace is rejected', async () => {
    const token = await goodJWS();
    await expectInvalidToken(verifier, ` ${token}`, 'ERR_TOKEN_MALFORMED');
    await expectInvalidToken(verifier, `${token}\n`, 'ERR_TOKEN_MALFORMED');
  });

  test('SD-2: "=" padding is rejected', async () => {
    const token = await goodJWS();
    const signature = token.split('.')[2] as string;
    expect(signature.length % 4).toBe(2); // a 256-byte RSA signature needs two pad characters
    await expectInvalidToken(verifier, `${token}==`, 'ERR_TOKEN_MALFORMED');
  });

  test('SD-2: the standard base64 characters "+" and "/" are rejected', async () => {
    // Claims chosen so that their base64url holds both "-" and "_".
    const payload = b64u(json(claims({ x: '\u00fb\u00ff\u00fe>>>???' })));
    expect(payload).toMatch(/-/);
    expect(payload).toMatch(/_/);
    const header = b64u(rs256Header);
    const standard = payload.replace(/-/g, '+').replace(/_/g, '/');
    await expectInvalidToken(verifier, signSegments(header, standard), 'ERR_TOKEN_MALFORMED');
    // The url-safe spelling of the same claims is accepted.
    await expect(verifier.verify(signSegments(header, payload), at)).resolves.toMatchObject(
      anAccessToken,
    );
  });

  test('SD-2: non-canonical trailing bits in the signature are rejected', async () => {
    const token = await goodJWS();
    const signature = token.split('.')[2] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = signature.at(-1) as string;
    const sibling = alphabet[alphabet.indexOf(last) + 1] as string; // flips an unused bit only
    const mutated = signature.slice(0, -1) + sibling;
    // A lenient decoder reads the same signature bytes from both spellings.
    expect(Buffer.from(atob(mutated.replace(/-/g, '+').replace(/_/g, '/')), 'binary')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    await expectInvalidToken(verifier, token.slice(0, -1) + sibling, 'ERR_TOKEN_MALFORMED');
  });

  test('SD-2: non-canonical trailing bits in a validly signed payload segment are rejected', async () => {
    // Pad the claims until their encoding ends in a 3-character quantum (2 unused bits).
    let filler = '';
    let payload = b64u(json(claims({ filler })));
    while (payload.length % 4 !== 3) {
      filler += 'x';
      payload = b64u(json(claims({ filler })));
    }
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const mutated = payload.slice(0, -1) + alphabet[alphabet.indexOf(payload.at(-1) as string) + 1];
    const header = b64u(rs256Header);
    await expect(verifier.verify(signSegments(header, payload), at)).resolves.toMatchObject(
      anAccessToken,
    );
    // The signature covers the mutated text, so only the canonical-encoding check can reject it.
    await expectInvalidToken(verifier, signSegments(header, mutated), 'ERR_TOKEN_MALFORMED');
  });

  test('SD-2: a segment whose length leaves one character in the last quantum is rejected', async () => {
    const token = await goodJWS();
    const [h, p] = token.split('.') as [string, string, string];
    // 4n+1 characters cannot encode whole bytes; our check fires before any decoder sees it.
    let padded = `${p}A`;
    while (padded.length % 4 !== 1) padded += 'A';
    await expectInvalidToken(verifier, signSegments(h, padded), 'ERR_TOKEN_MALFORMED');
  });

  test.each([
    ['1 segment', (t: string) => t.split('.')[0] as string],
    ['2 segments', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['4 segments', (t: string) => `${t}.${t.split('.')[2]}`],
    ['6 segments', (t: string) => `${t}.AAAA.AAAA.AAAA`],
    ['an empty payload segment', (t: string) => t.replace(/\.[^.]+\./, '..')],
    ['an empty signature segment', (t: string) => t.replace(/\.[^.]+$/, '.')],
    ['a trailing dot', (t: string) => `${t}.`],
  ])('SD-3: a JWS with %s is rejected', async (_name, shape) => {
    await expectInvalidToken(verifier, shape(await goodJWS()), 'ERR_TOKEN_MALFORMED');
  });

  test.each([
    ['an empty initialization vector', 2],
    ['an empty ciphertext', 3],
    ['an empty authentication tag', 4],
  ])('SD-3: a JWE with %s is rejected', async (_name, index) => {
    const jwe = (await encryptJWE(await goodJWS(), apiKey)).split('.');
    jwe[index] = '';
    await expectInvalidToken(verifier, jwe.join('.'), 'ERR_TOKEN_MALFORMED');
  });

  test('SD-4: duplicate member names in the JWS header are rejected', async () => {
    // The first typ would fail the token-type check; a last-wins parser sees at+jwt.
    const header = '{"alg":"RS256","typ":"JWT","typ":"at+jwt"}';
    await expectInvalidToken(
      verifier,
      rawJWS(header, json(claims()), issuerKey.privateKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
    const single = '{"alg":"RS256","typ":"at+jwt"}';
    await expect(
      verifier.verify(rawJWS(single, json(claims()), issuerKey.privateKey), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('SD-4: duplicate member names in the claims are rejected', async () => {
    const body = json(claims()).slice(0, -1) + `,"aud":"https://other.example"}`;
    await expectInvalidToken(
      verifier,
      rawJWS(rs256Header, body, issuerKey.privateKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  test('SD-4: escaped duplicates ("sub" and "\\u0073ub") in the claims are rejected', async () => {
    const body = json(claims()).slice(0, -1) + `,"\\u0073ub":"admin"}`;
    expect(JSON.parse(body).sub).toBe('admin'); // what a last-wins parser would read
    await expectInvalidToken(
      verifier,
      rawJWS(rs256Header, body, issuerKey.privateKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  test('SD-4: escaped duplicates ("alg" and "\\u0061lg") in the JWS header are rejected', async () => {
    const header = '{"alg":"RS256","\\u0061lg":"RS256","typ":"at+jwt"}';
    await expectInvalidToken(
      verifier,
      rawJWS(header, json(claims()), issuerKey.privateKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  test('SD-4: duplicate member names nested inside a claim are rejected', async () => {
    const body = json(claims()).slice(0, -1) + `,"cnf":{"jkt":"a","jkt":"b"}}`;
    await expectInvalidToken(
      verifier,
      rawJWS(rs256Header, body, issuerKey.privateKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  test('SD-4: duplicate member names in the JWE header are rejected', async () => {
    const inner = await goodJWS();
    const dup = '{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"json","cty":"JWT"}';
    await expectInvalidToken(
      verifier,
      rawJWE(dup, inner, { alg: 'RSA-OAEP-256', key: apiKey.publicKey }),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
    const single = '{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT"}';
    await expect(
      verifier.verify(rawJWE(single, inner, { alg: 'RSA-OAEP-256', key: apiKey.publicKey }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('SD-4: escaped duplicates ("cty" and "\\u0063ty") in the JWE header are rejected', async () => {
    const dup = '{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT","\\u0063ty":"JWT"}';
    await expectInvalidToken(
      verifier,
      rawJWE(dup, await goodJWS(), { alg: 'RSA-OAEP-256', key: apiKey.publicKey }),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  test('SD-4: duplicate member names in the claims of a JWS inside a JWE are rejected', async () => {
    const body = json(claims()).slice(0, -1) + `,"scope":"admin"}`;
    const inner = rawJWS(rs256Header, body, issuerKey.privateKey);
    await expectInvalidToken(
      verifier,
      await encryptJWE(inner, apiKey),
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });
});

describe('SD-5 to SD-10: JWS algorithms, key binding and key hints', () => {
  test.each(['none', 'None', 'NONE', 'nOnE'])(
    'SD-5: alg "%s" is never accepted, whatever the signature segment holds',
    async (alg) => {
      const header = json({ alg, typ: 'at+jwt' });
      const token = rawJWS(header, json(claims()), undefined, 'none');
      // An empty signature fails the shape check; any non-empty one must fail the alg check.
      await expectInvalidToken(verifier, token, 'ERR_TOKEN_MALFORMED');
      await expectInvalidToken(verifier, `${token}AAAA`, 'ERR_JWS_ALG_NOT_ALLOWED');
      const hmacVerifier = await makeVerifier({ secret: secret(64) });
      await expectInvalidToken(hmacVerifier, `${token}AAAA`, 'ERR_JWS_ALG_NOT_ALLOWED');
    },
  );

  test.each(['none', 'None', 'NONE'])('SD-5: algorithms: ["%s"] is a TypeError', async (alg) => {
    await expect(makeVerifier({ algorithms: [alg] })).rejects.toThrow(TypeError);
    await expect(makeVerifier({ secret: secret(32), algorithms: [alg] })).rejects.toThrow(
      TypeError,
    );
  });

  test('SD-7: an HS256 token signed with the issuer RSA public key (PEM text) is rejected', async () => {
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const forged = rawJWS(
      json({ alg: 'HS256', typ: 'at+jwt' }),
      json(claims()),
      Buffer.from(pem),
      'HS256',
    );
    const pemVerifier = await makeVerifier({ keys: pem });
    await expectInvalidToken(pemVerifier, forged, 'ERR_JWS_ALG_NOT_ALLOWED');
    // Also when the key is configured as a JWK or a JWK Set.
    await expectInvalidToken(verifier, forged, 'ERR_JWS_ALG_NOT_ALLOWED');
    const setVerifier = await makeVerifier({ keys: { keys: [issuerKey.publicJwk] } });
    await expectInvalidToken(setVerifier, forged, 'ERR_JWS_ALG_NOT_ALLOWED');
  });

  test('SD-7: HS* algorithms cannot be enabled next to public keys', async () => {
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      await expect(makeVerifier({ keys: pem, algorithms: [alg] })).rejects.toThrow(
        /algorithms: HS\d+ is only allowed with the secret option/,
      );
    }
  });

  test('SD-7: HS384 and HS512 need a secret of at least 48 and 64 bytes', async () => {
    const key32 = secret(32);
    const v32 = await makeVerifier({ secret: key32 });
    for (const alg of ['HS384', 'HS512']) {
      const token = await signJWS(claims(), key32, { alg });
      await expectInvalidToken(v32, token, 'ERR_JWS_ALG_NOT_ALLOWED');
    }
    await expect(
      v32.verify(await signJWS(claims(), key32, { alg: 'HS256' }), at),
    ).resolves.toMatchObject(anAccessToken);

    const key48 = secret(48);
    const v48 = await makeVerifier({ secret: key48 });
    await expect(
      v48.verify(await signJWS(claims(), key48, { alg: 'HS384' }), at),
    ).resolves.toMatchObject(anAccessToken);
    await expectInvalidToken(
      v48,
      await signJWS(claims(), key48, { alg: 'HS512' }),
      'ERR_JWS_ALG_NOT_ALLOWED',
    );

    const key64 = secret(64);
    const v64 = await makeVerifier({ secret: key64 });
    await expect(
      v64.verify(await signJWS(claims(), key64, { alg: 'HS512' }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test('SD-7: a secret shorter than 32 bytes is a TypeError', async () => {
    await expect(makeVerifier({ secret: secret(31) })).rejects.toThrow(
      /secret: must be at least 32 bytes/,
    );
    await expect(makeVerifier({ secret: 'x'.repeat(31) })).rejects.toThrow(TypeError);
    await expect(makeVerifier({ secret: secret(32), algorithms: ['HS384'] })).rejects.toThrow(
      /secret: HS384 needs a secret of at least 48 bytes/,
    );
    await expect(makeVerifier({ secret: secret(48), algorithms: ['HS512'] })).rejects.toThrow(
      /secret: HS512 needs a secret of at least 64 bytes/,
    );
  });

  test('SD-6: an algorithm is bound to the key type (ES256 never reaches an RSA key)', async () => {
    const ec = await keyPair('p256', 'attacker');
    // Claims the issuer's kid, signs with an EC key: no configured key fits ES256.
    const token = await signJWS(claims(), ec, { kid: issuerKey.kid });
    await expectInvalidToken(verifier, token, 'ERR_JWS_KEY_NOT_FOUND');
  });

  test('SD-6: an algorithm outside the allowlist is rejected even with the right key', async () => {
    const v = await makeVerifier({ algorithms: ['PS256'] });
    await expectInvalidToken(v, await goodJWS(), 'ERR_JWS_ALG_NOT_ALLOWED');
    await expect(
      v.verify(await signJWS(claims(), issuerKey, { alg: 'PS256' }), at),
    ).resolves.toMatchObject(anAccessToken);
  });

  test.each(['jwk', 'jku', 'x5u', 'x5c'])(
    'SD-8: a JWS header carrying %s is rejected, even when the signature is ours',
    async (name) => {
      const values: Record<string, unknown> = {
        jwk: attacker.publicJwk,
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/cert.pem',
        x5c: ['MIIB'],
      };
      // Signed by the issuer's real key: the header hint alone must cause the rejection.
      const token = await signJWS(claims(), issuerKey, { [name]: values[name] });
      await expectInvalidToken(verifier, token, 'ERR_HEADER_KEY_NOT_ALLOWED');
    },
  );

  test('SD-8: a token signed by the key embedded in its own jwk header is rejected', async () => {
    const token = await signJWS(claims(), attacker, { jwk: attacker.publicJwk, kid: undefined });
    await expectInvalidToken(verifier, token, 'ERR_HEADER_KEY_NOT_ALLOWED');
  });

  test.each(['jwk', 'jku', 'x5u', 'x5c'])(
    'SD-8: a JWE header carrying %s is rejected',
    async (name) => {
      const values: Record<string, unknown> = {
        jwk: attacker.publicJwk,
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/cert.pem',
        x5c: ['MIIB'],
      };
      const jwe = await encryptJWE(await goodJWS(), apiKey, { [name]: values[name] });
      await expectInvalidToken(verifier, jwe, 'ERR_HEADER_KEY_NOT_ALLOWED');
    },
  );

  test('SD-10: a JWS with crit is rejected, even when validly signed', async () => {
    const header = json({ alg: 'RS256', typ: 'at+jwt', crit: ['exp'], exp: NOW_S + 60 });
    await expectInvalidToken(
      verifier,
      rawJWS(header, json(claims()), issuerKey.privateKey),
      'ERR_JWS_CRIT_UNSUPPORTED',
    );
  });

  test('SD-10: an RFC 7797 b64 header is rejected, with or without crit', async () => {
    const withCrit = json({ alg: 'RS256', typ: 'at+jwt', b64: false, crit: ['b64'] });
    await expectInvalidToken(
      verifier,
      rawJWS(withCrit, json(claims()), issuerKey.privateKey),
      'ERR_JWS_CRIT_UNSUPPORTED',
    );
    const bare = json({ alg: 'RS256', typ: 'at+jwt', b64: true });
    await expectInvalidToken(
      verifier,
      rawJWS(bare, json(claims()), issuerKey.privateKey),
      'ERR_JWS_CRIT_UNSUPPORTED',
    );
  });

  test('SD-10: a JWE with crit is rejected', async () => {
    const header = json({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'JWT',
      crit: ['exp'],
      exp: NOW_S,
    });
    const jwe = rawJWE(header, await goodJWS(), { alg: 'RSA-OAEP-256', key: apiKey.publicKey });
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_CRIT_UNSUPPORTED');
  });

  test('SD-9: kid is only a lookup key: a foreign key reusing our kid fails', async () => {
    const forged = await signJWS(claims(), attacker, { kid: issuerKey.kid });
    await expectInvalidToken(verifier, forged, 'ERR_JWS_SIGNATURE_INVALID');
  });

  test('SD-9: a kid naming no configured key finds no key', async () => {
    for (const kid of ['unknown', '../../../dev/null', "' OR 1=1 --"]) {
      const token = await signJWS(claims(), issuerKey, { kid });
      await expectInvalidToken(verifier, token, 'ERR_JWS_KEY_NOT_FOUND');
    }
  });

  test('SD-9: a kid that is not a string is malformed', async () => {
    const token = await signJWS(claims(), issuerKey, { kid: 42 });
    await expectInvalidToken(verifier, token, 'ERR_TOKEN_MALFORMED');
  });
});

describe('SD-11 to SD-16: JWE', () => {
  test('SD-11: a decryptable RSA1_5 JWE is rejected', async () => {
    const header = json({ alg: 'RSA1_5', enc: 'A256GCM', cty: 'JWT' });
    const jwe = rawJWE(header, await goodJWS(), { alg: 'RSA1_5', key: apiKey.publicKey });
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_ALG_NOT_ALLOWED');
  });

  test('SD-11: the RSA1_5 check fires before any decryption (garbage body)', async () => {
    const garbage = `${b64u(json({ alg: 'RSA1_5', enc: 'A128CBC-HS256', cty: 'JWT' }))}.AAAA.AAAA.AAAA.AAAA`;
    await expectInvalidToken(verifier, garbage, 'ERR_JWE_ALG_NOT_ALLOWED');
  });

  test.each(['RSA1_5', 'PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW'])(
    'SD-11: keyManagementAlgorithms: ["%s"] is a TypeError',
    async (alg) => {
      await expect(
        makeVerifier({ decryptionKeys: apiKey.privateJwk, keyManagementAlgorithms: [alg] }),
      ).rejects.toThrow(/keyManagementAlgorithms: .* is never allowed/);
    },
  );

  test.each(['RSA1_5', 'PBES2-HS256+A128KW', 'rsa1_5', 'none'])(
    'SD-11: the JWE layer refuses %s even if an allowlist held it',
    async (alg) => {
      // Options can never put these in the allowlist (see above); this checks the second lock.
      const header = b64u(json({ alg, enc: 'A256GCM', cty: 'JWT' }));
      const error = await rejection(
        decryptJWE(`${header}.AAAA.AAAA.AAAA.AAAA`, [header, 'AAAA', 'AAAA', 'AAAA', 'AAAA'], {
          keyManagementAlgorithms: new Set([alg]),
          contentEncryptionAlgorithms: new Set(['A256GCM']),
          decryptionKeys: [{ kid: undefined, alg: undefined, key: apiKey.privateKey }],
          allowUnsigned: false,
        }),
      );
      expect(error.code).toBe('ERR_JWE_ALG_NOT_ALLOWED');
    },
  );

  test.each([
    ['PBES2-HS256+A128KW', 16],
    ['PBES2-HS384+A192KW', 24],
    ['PBES2-HS512+A256KW', 32],
  ])('SD-11: a %s JWE is rejected, even when we hold the password', async (alg, bytes) => {
    const password = secret(bytes);
    const jwe = await new CompactEncrypt(new TextEncoder().encode(await goodJWS()))
      .setProtectedHeader({ alg, enc: 'A256GCM', cty: 'JWT' })
      .setKeyManagementParameters({ p2c: 1000, p2s: secret(16) })
      .encrypt(password);
    const v = await makeVerifier({ decryptionKeys: password });
    await expectInvalidToken(v, jwe, 'ERR_JWE_ALG_NOT_ALLOWED');
  });

  test('SD-12: a compressed (zip) JWE is rejected', async () => {
    const jwe = await encryptJWE(await goodJWS(), apiKey, { zip: 'DEF' });
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_ZIP_NOT_ALLOWED');
  });

  test('SD-13: the key management algorithm is an allowlist', async () => {
    const v = await makeVerifier({
      decryptionKeys: apiKey.privateJwk,
      keyManagementAlgorithms: ['RSA-OAEP-256'],
    });
    await expectInvalidToken(
      v,
      await encryptJWE(await goodJWS(), apiKey, { alg: 'RSA-OAEP' }),
      'ERR_JWE_ALG_NOT_ALLOWED',
    );
    await expect(v.verify(await encryptJWE(await goodJWS(), apiKey), at)).resolves.toMatchObject(
      anAccessToken,
    );
    const unknown = `${b64u(json({ alg: 'RSA-OAEP-999', enc: 'A256GCM', cty: 'JWT' }))}.AAAA.AAAA.AAAA.AAAA`;
    await expectInvalidToken(verifier, unknown, 'ERR_JWE_ALG_NOT_ALLOWED');
  });

  test('SD-13: the content encryption algorithm is an allowlist', async () => {
    const v = await makeVerifier({
      decryptionKeys: apiKey.privateJwk,
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const cbc = await encryptJWE(await goodJWS(), apiKey, { enc: 'A128CBC-HS256' });
    await expectInvalidToken(v, cbc, 'ERR_JWE_ENC_NOT_ALLOWED');
    await expect(verifier.verify(cbc, at)).resolves.toMatchObject({ token: cbc });
    const noEnc = `${b64u(json({ alg: 'RSA-OAEP-256', cty: 'JWT' }))}.AAAA.AAAA.AAAA.AAAA`;
    await expectInvalidToken(verifier, noEnc, 'ERR_JWE_ENC_NOT_ALLOWED');
  });

  test.each([
    ['missing', undefined],
    ['"json"', 'json'],
    ['"application/json"', 'application/json'],
    ['"JWS"', 'JWS'],
    ['"JWT+other"', 'JWT+other'],
  ])('SD-14: a JWE whose cty is %s is rejected', async (_name, cty) => {
    const jwe = await encryptJWE(await goodJWS(), apiKey, { cty });
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_NOT_NESTED');
  });

  test('SD-14: a JWE of bare claims (cty JWT) encrypted with our public key is rejected', async () => {
    // Anyone holding our public key can make this; it proves nothing about the issuer.
    const jwe = await encryptJWE(json(claims()), apiKey);
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_INNER_NOT_JWS');
  });

  test('SD-14: a JWE of bare claims without cty is rejected', async () => {
    const jwe = await encryptJWE(json(claims()), apiKey, { cty: undefined, typ: 'at+jwt' });
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_NOT_NESTED');
  });

  test('SD-14: a JWE whose plaintext is not UTF-8 is rejected', async () => {
    const jwe = await encryptJWE(new Uint8Array([0xff, 0xfe, 0x2e, 0x80]), apiKey);
    await expectInvalidToken(verifier, jwe, 'ERR_JWE_INNER_NOT_JWS');
  });

  test('SD-14: a JWE wrapping an alg:none JWS is rejected', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${rawJWS(json({ alg, typ: 'at+jwt' }), json(claims()), undefined, 'none')}AAAA`;
      await expectInvalidToken(
        verifier,
        await encryptJWE(unsigned, apiKey),
        'ERR_JWS_ALG_NOT_ALLOWED',
      );
    }
  });

  test('SD-14: a JWE wrapping an attacker-signed JWS is rejected', async () => {
    const withOurKid = await signJWS(claims(), attacker, { kid: issuerKey.kid });
    await expectInvalidToken(
      verifier,
      await encryptJWE(withOurKid, apiKey),
      'ERR_JWS_SIGNATURE_INVALID',
    );
    const withOwnKid = await signJWS(claims(), attacker);
    await expectInvalidToken(
      verifier,
      await encryptJWE(withOwnKid, apiKey),
      'ERR_JWS_KEY_NOT_FOUND',
    );
    const withoutKid = await signJWS(claims(), attacker, { kid: undefined });
    await expectInvalidToken(
      verifier,
      await encryptJWE(withoutKid, apiKey),
      'ERR_JWS_SIGNATURE_INVALID',
    );
  });

  test('SD-14: a JWE wrapping an HS256 JWS made with the issuer public key is rejected', async () => {
    const pem = issuerKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const forged = rawJWS(
      json({ alg: 'HS256', typ: 'at+jwt' }),
      json(claims()),
      Buffer.from(pem),
      'HS256',
    );
    await expectInvalidToken(verifier, await encryptJWE(forged, apiKey), 'ERR_JWS_ALG_NOT_ALLOWED');
  });

  test('SD-14: a JWE wrapping another JWE is rejected', async () => {
    const inner = await encryptJWE(await goodJWS(), apiKey);
    await expectInvalidToken(verifier, await encryptJWE(inner, apiKey), 'ERR_JWE_INNER_NOT_JWS');
  });

  test('SD-14: a JWE wrapping text that is no compact token is rejected', async () => {
    await expectInvalidToken(
      verifier,
      await encryptJWE('not a token', apiKey),
      'ERR_JWE_INNER_NOT_JWS',
    );
  });

  test.each([
    ['iss', 'https://other.example/'],
    ['sub', 'admin'],
    ['aud', 'https://other.example'],
    ['exp', NOW_S + 999999],
    ['nbf', NOW_S - 5],
    ['iat', NOW_S - 5],
    ['jti', 'other'],
  ])('SD-16: a %s replicated in the JWE header must equal the inner claim', async (name, value) => {
    const jwe = await encryptJWE(await goodJWS(), apiKey, { [name]: value });
    const error = await expectInvalidToken(verifier, jwe, 'ERR_JWE_HEADER_CLAIM_MISMATCH');
    expect(error.claim).toBe(name);
  });

  test('SD-16: replicated claims equal to the inner ones are accepted', async () => {
    const c = claims({ aud: [AUDIENCE, 'https://other.example'] });
    const jwe = await encryptJWE(await signJWS(c, issuerKey), apiKey, {
      iss: c.iss,
      sub: c.sub,
      aud: c.aud,
      exp: c.exp,
    });
    const token = await verifier.verify(jwe, at);
    expect(token.encryption).toMatchObject({ iss: ISSUER, sub: 'user-123' });
  });

  test('SD-15: allowUnsignedEncryptedTokens accepts bare claims only with symmetric key management', async () => {
    const shared = secret(32);
    const v = await makeVerifier({
      decryptionKeys: [apiKey.privateJwk, apiEcKey.privateJwk, shared],
      allowUnsignedEncryptedTokens: true,
    });
    const bare = json(claims());
    for (const alg of ['dir', 'A256KW', 'A256GCMKW']) {
      const jwe = await encryptJWE(bare, shared, { alg, cty: undefined, typ: 'at+jwt' });
      const token = await v.verify(jwe, at);
      expect(token.subject).toBe('user-123');
      expect(token.encryption).toMatchObject({ alg });
    }
    for (const [key, alg] of [
      [apiKey, 'RSA-OAEP-256'],
      [apiKey, 'RSA-OAEP'],
      [apiEcKey, 'ECDH-ES'],
      [apiEcKey, 'ECDH-ES+A256KW'],
    ] as const) {
      const jwe = await encryptJWE(bare, key, { alg, cty: undefined, typ: 'at+jwt' });
      await expectInvalidToken(v, jwe, 'ERR_JWE_NOT_NESTED');
    }
  });

  test('SD-15: without allowUnsignedEncryptedTokens, symmetric bare claims are rejected too', async () => {
    const shared = secret(32);
    const v = await makeVerifier({ decryptionKeys: shared });
    const jwe = await encryptJWE(json(claims()), shared, {
      alg: 'dir',
      cty: undefined,
      typ: 'at+jwt',
    });
    await expectInvalidToken(v, jwe, 'ERR_JWE_NOT_NESTED');
  });

  test('SD-15: unsigned symmetric tokens still need a trusted issuer and matching replicated claims', async () => {
    const shared = secret(16);
    const v = await makeVerifier({ decryptionKeys: shared, allowUnsignedEncryptedTokens: true });
    const foreign = await encryptJWE(json(claims({ iss: 'https://evil.example/' })), shared, {
      alg: 'A128KW',
      cty: undefined,
      typ: 'at+jwt',
    });
    await expectInvalidToken(v, foreign, 'ERR_ISSUER_INVALID');
    const mismatch = await encryptJWE(json(claims()), shared, {
      alg: 'A128KW',
      cty: undefined,
      typ: 'at+jwt',
      sub: 'admin',
    });
    await expectInvalidToken(v, mismatch, 'ERR_JWE_HEADER_CLAIM_MISMATCH');
  });
});

describe('SD-17 to SD-20: claims and token type (also inside a JWE)', () => {
  const nested = async (overrides: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    encryptJWE(await signJWS(claims(overrides), issuerKey, header), apiKey);

  test('SD-17: iss must match exactly (no trailing-slash folding)', async () => {
    await expectInvalidToken(
      verifier,
      await nested({ iss: ISSUER.slice(0, -1) }),
      'ERR_ISSUER_INVALID',
    );
    await expectInvalidToken(
      verifier,
      await nested({ iss: ISSUER.toUpperCase() }),
      'ERR_ISSUER_INVALID',
    );
  });

  test('SD-18: aud is required and matched', async () => {
    await expectInvalidToken(verifier, await nested({ aud: undefined }), 'ERR_CLAIM_MISSING');
    await expectInvalidToken(
      verifier,
      await nested({ aud: 'https://other.example' }),
      'ERR_AUDIENCE_INVALID',
    );
  });

  test('SD-19: exp is required and enforced', async () => {
    await expectInvalidToken(verifier, await nested({ exp: undefined }), 'ERR_CLAIM_MISSING');
    await expectInvalidToken(verifier, await nested({ exp: NOW_S - 31 }), 'ERR_TOKEN_EXPIRED');
  });

  test('SD-19: nbf and iat are checked', async () => {
    await expectInvalidToken(
      verifier,
      await nested({ nbf: NOW_S + 31 }),
      'ERR_TOKEN_NOT_YET_VALID',
    );
    await expectInvalidToken(
      verifier,
      await nested({ iat: NOW_S + 31 }),
      'ERR_TOKEN_ISSUED_IN_FUTURE',
    );
  });

  test('SD-20: an ID token (typ JWT) is not an access token, signed or encrypted', async () => {
    await expectInvalidToken(
      verifier,
      await signJWS(claims(), issuerKey, { typ: 'JWT' }),
      'ERR_TOKEN_TYPE_INVALID',
    );
    await expectInvalidToken(verifier, await nested({}, { typ: 'JWT' }), 'ERR_TOKEN_TYPE_INVALID');
    await expectInvalidToken(
      verifier,
      await nested({}, { typ: undefined }),
      'ERR_TOKEN_TYPE_INVALID',
    );
  });
});

describe('SD-26 and SD-27: errors never contain the token or its claims', () => {
  const SECRET_VALUES = {
    sub: 'SUBJECT-9d1c7e',
    email: 'alice.private-4f2a@example.org',
    scope: 'SCOPE-7c3b admin',
    jti: 'JTI-51aa90',
    client_id: 'CLIENT-e2b8',
  };
  const leaky = (overrides: Record<string, unknown> = {}) =>
    claims({ ...SECRET_VALUES, ...overrides });

  test('SD-26: no error message, challenge or JSON body contains the token or a claim value', async () => {
    const shared = secret(32);
    const v = await makeVerifier({
      decryptionKeys: [apiKey.privateJwk, shared],
      allowUnsignedEncryptedTokens: true,
    });
    const jws = (c: Record<string, unknown>, h: Record<string, unknown> = {}) =>
      signJWS(c, issuerKey, h);
    const cases: [string, Record<string, unknown>][] = [];
    const add = async (token: Promise<string> | string, c: Record<string, unknown>) => {
      cases.push([await token, c]);
    };
    const foreignIss = leaky({ iss: 'https://ISSUER-SECRET-33.example/' });
    const foreignAud = leaky({ aud: 'AUDIENCE-SECRET-44' });
    const stringExp = leaky({ exp: 'EXP-SECRET-55' });
    const badSub = leaky({ sub: ['SUB-ARRAY-SECRET-66'] });
    await add(jws(leaky({ exp: NOW_S - 3600 })), leaky());
    await add(jws(leaky({ nbf: NOW_S + 3600 })), leaky());
    await add(jws(leaky({ iat: NOW_S + 3600 })), leaky());
    await add(jws(foreignIss), foreignIss);
    await add(jws(foreignAud), foreignAud);
    await add(jws(stringExp), stringExp);
    await add(jws(badSub), badSub);
    await add(jws(leaky({ exp: undefined })), leaky());
    await add(jws(leaky(), { typ: 'JWT' }), leaky());
    await add(jws(leaky(), { jwk: attacker.publicJwk }), leaky());
    await add(signJWS(leaky(), attacker, { kid: issuerKey.kid }), leaky());
    await add(signJWS(leaky(), attacker), leaky());
    await add(`${rawJWS(json({ alg: 'none' }), json(leaky()), undefined, 'none')}AAAA`, leaky());
    await add(
      rawJWS(
        rs256Header,
        json(leaky()).slice(0, -1) + ',"sub":"DUP-SECRET-77"}',
        issuerKey.privateKey,
      ),
      leaky({ sub: 'DUP-SECRET-77' }),
    );
    await add(encryptJWE(await jws(leaky({ exp: NOW_S - 3600 })), apiKey), leaky());
    await add(encryptJWE(json(leaky()), apiKey), leaky());
    await add(encryptJWE(json(leaky()), apiKey, { cty: 'json' }), leaky());
    await add(
      encryptJWE(await jws(leaky()), apiKey, { sub: 'HEADER-SUB-SECRET-88' }),
      leaky({ x: 'HEADER-SUB-SECRET-88' }),
    );
    await add(encryptJWE(json(leaky()), apiKey, { cty: undefined, typ: 'at+jwt' }), leaky());
    await add(
      encryptJWE(json(foreignIss), shared, { alg: 'dir', cty: undefined, typ: 'at+jwt' }),
      foreignIss,
    );
    await add(encryptJWE(await jws(leaky()), apiKey, { kid: 'KID-SECRET-99' }), leaky());
    const tampered = (await encryptJWE(await jws(leaky()), apiKey)).split('.');
    tampered[3] = `${tampered[3]?.slice(0, -4)}AAAA`;
    await add(tampered.join('.'), leaky());

    const values = (c: Record<string, unknown>): string[] =>
      Object.values(c)
        .flatMap((v) => (Array.isArray(v) ? v : [v]))
        .map(String)
        .filter((s) => s.length >= 8);
    const seen = new Set<string>();
    for (const [token, c] of cases) {
      const error = await rejection(v.verify(token, at));
      seen.add(error.code);
      const surfaces = [
        error.message,
        error.headers['WWW-Authenticate'],
        json(error.toJSON()),
        String(error),
      ];
      const forbidden = [token, ...token.split('.').filter((s) => s.length >= 8), ...values(c)];
      for (const surface of surfaces) {
        for (const value of forbidden) expect(surface).not.toContain(value);
      }
    }
    // The cases really exercise many different failure paths.
    expect(seen.size).toBeGreaterThanOrEqual(15);
  });

  test('SD-26: a token that is too long or arrives twice is not echoed', async () => {
    const token = await signJWS(leaky(), issuerKey);
    const short = await makeVerifier({ maxTokenLength: 64 });
    const tooLong = await expectInvalidToken(short, token, 'ERR_TOKEN_TOO_LONG');
    const twice = await rejection(
      verifier.verifyRequest(
        {
          method: 'GET',
          url: `/?access_token=${token}`,
          headers: { authorization: `Bearer ${token}` },
        },
        at,
      ),
    );
    expect(twice.status).toBe(400);
    for (const error of [tooLong, twice]) {
      for (const surface of [
        error.message,
        error.headers['WWW-Authenticate'],
        json(error.toJSON()),
      ]) {
        for (const segment of token.split('.')) expect(surface).not.toContain(segment.slice(0, 16));
      }
    }
  });

  test('SD-26: an error carries the claim name, never its value', async () => {
    const token = await signJWS(claims({ aud: 'AUDIENCE-SECRET-44' }), issuerKey);
    const error = await expectInvalidToken(verifier, token, 'ERR_AUDIENCE_INVALID');
    expect(error.claim).toBe('aud');
    expect(error.message).not.toContain('AUDIENCE-SECRET-44');
  });

  test('SD-27: a jose failure stays in cause and is not shown to the client', async () => {
    // AES-CBC-HMAC content is decrypted by jose itself (the node:crypto engines take AES-GCM only).
    const parts = (await encryptJWE(await goodJWS(), apiKey, { enc: 'A256CBC-HS512' })).split('.');
    parts[4] = `AAAA${parts[4]?.slice(4)}`; // a forged authentication tag
    const error = await expectInvalidToken(verifier, parts.join('.'), 'ERR_JWE_DECRYPTION_FAILED');
    expect(error.cause).toBeInstanceOf(joseErrors.JWEDecryptionFailed);
    const joseMessage = (error.cause as Error).message;
    expect(joseMessage).not.toBe('');
    expect(error.message).not.toContain(joseMessage);
    expect(error.headers['WWW-Authenticate']).not.toContain(joseMessage);
    expect(json(error.toJSON())).not.toContain(joseMessage);
  });
});
