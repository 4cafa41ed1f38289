/**
 * SD-1 and SD-4 (docs/architecture.md) through `createVerifier`: correctly signed tokens whose
 * protected header is too long, or whose header or claims nest too deep or hold too many
 * members, are refused with 401 `ERR_TOKEN_MALFORMED` and an RFC 6750 challenge that repeats
 * nothing of the token; the largest real header (a P-521 ECDH-ES JWE with `apu`/`apv`, `kid`,
 * `cty`, `typ`) is far inside the caps; the `onRejection` hook does not parse a hostile shape.
 */
import { CompactEncrypt } from 'jose';
import type { RejectionEvent } from '@tokenward/core';
import { MAX_HEADER_SEGMENT_CHARS } from '../../src/compact/limits';
import {
  anAccessToken,
  b64u,
  claims,
  expectInvalidToken,
  keyPair,
  makeVerifier,
  mint,
  NOW,
  rawJWS,
  testKey,
} from '../helpers/keys';

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const members = (n: number) => Array.from({ length: n }, (_, i) => `"m${i}":0`).join(',');
/** Claims JSON text of a valid token, with `extra` members spliced in. */
const claimsWith = (extra: string) => JSON.stringify(claims()).replace(/}$/, `,${extra}}`);
const HEADER = JSON.stringify({ alg: 'RS256', kid: 'rsa-default', typ: 'at+jwt' });

async function signed(headerText: string, claimsText: string): Promise<string> {
  const key = await testKey();
  return rawJWS(headerText.replace('rsa-default', key.kid), claimsText, key.privateKey);
}

async function refused(token: string, description: string): Promise<void> {
  const error = await expectInvalidToken(await makeVerifier(), token, 'ERR_TOKEN_MALFORMED');
  expect(error.message).toBe(description);
  const challenge = error.headers['WWW-Authenticate'] as string;
  for (const segment of token.split('.')) expect(challenge).not.toContain(segment.slice(0, 16));
}

describe('SD-1: the protected header length cap', () => {
  it('refuses a signed token whose header is 5,000 nested arrays (13,000 characters)', async () => {
    const token = await signed(HEADER.replace(/}$/, `,"x":${nested(5_000)}}`), claimsWith('"a":1'));
    expect(token.split('.')[0]?.length).toBeGreaterThan(MAX_HEADER_SEGMENT_CHARS);
    await refused(token, 'the JWS protected header is longer than 4096 characters');
  });

  it('accepts a P-521 ECDH-ES+A256KW JWE header with apu, apv, a 64-character kid, cty and typ', async () => {
    const encryption = await keyPair('p521');
    const kid = `${encryption.kid}-${'k'.repeat(64)}`.slice(0, 64);
    const verifier = await makeVerifier({ decryptionKeys: { ...encryption.privateJwk, kid } });
    const token = await new CompactEncrypt(new TextEncoder().encode(await mint(claims())))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', typ: 'at+jwt', kid })
      .setKeyManagementParameters({
        apu: new TextEncoder().encode('x'.repeat(64)),
        apv: new TextEncoder().encode('y'.repeat(64)),
      })
      .encrypt(encryption.publicKey);
    const header = token.split('.')[0] as string;
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({
      epk: { crv: 'P-521' },
      apu: expect.any(String),
      apv: expect.any(String),
    });
    // The largest header a supported algorithm produces uses under a quarter of the cap.
    expect(header.length).toBeLessThan(MAX_HEADER_SEGMENT_CHARS / 4);
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toMatchObject(
      anAccessToken,
    );
  });
});

describe('SD-4: depth and member caps', () => {
  it('refuses a signed JWS header nested deeper than 4 levels', async () => {
    const token = await signed(HEADER.replace(/}$/, `,"x":${nested(4)}}`), claimsWith('"a":1'));
    await refused(token, 'the JWS header nests objects and arrays deeper than 4 levels');
  });

  it('refuses a signed JWS header with more than 64 members', async () => {
    const token = await signed(HEADER.replace(/}$/, `,${members(62)}}`), claimsWith('"a":1'));
    await refused(token, 'the JWS header has more than 64 members');
  });

  it('refuses signed claims of 5,000 nested arrays, and accepts 16 levels', async () => {
    const deep = await signed(HEADER, claimsWith(`"x":${nested(5_000)}`));
    await refused(deep, 'the JWT claims nests objects and arrays deeper than 16 levels');
    const verifier = await makeVerifier();
    const ok = await signed(HEADER, claimsWith(`"x":${nested(15)}`));
    await expect(verifier.verify(ok, { currentDate: NOW })).resolves.toMatchObject(anAccessToken);
  });

  it('refuses signed claims with more than 1,000 members, and accepts 1,000', async () => {
    const base = Object.keys(claims()).length;
    const verifier = await makeVerifier();
    const ok = await signed(HEADER, claimsWith(members(1_000 - base)));
    await expect(verifier.verify(ok, { currentDate: NOW })).resolves.toMatchObject(anAccessToken);
    const many = await signed(HEADER, claimsWith(members(1_001 - base)));
    await refused(many, 'the JWT claims has more than 1000 members');
  });

  it('refuses a nested token whose inner JWS header is too deep', async () => {
    const encryption = await keyPair('rsa', 'enc');
    const verifier = await makeVerifier({ decryptionKeys: encryption.privateJwk });
    const inner = await signed(HEADER.replace(/}$/, `,"x":${nested(10)}}`), claimsWith('"a":1'));
    const token = await new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: encryption.kid })
      .encrypt(encryption.publicKey);
    const error = await expectInvalidToken(verifier, token, 'ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the JWS header nests objects and arrays deeper than 4 levels');
  });
});

describe('the onRejection hook', () => {
  it('reads no iss from claims past the caps, and still reads it from ordinary ones', async () => {
    const events: RejectionEvent[] = [];
    const verifier = await makeVerifier({ onRejection: (event) => events.push(event) });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const deep = `${b64u(HEADER)}.${b64u(claimsWith(`"x":${nested(5_000)}`))}.AAAA`;
      await expect(verifier.verify(deep, { currentDate: NOW })).rejects.toMatchObject({
        code: 'ERR_TOKEN_MALFORMED',
      });
      // Neither the verifier nor the hook handed the deep claims to JSON.parse.
      for (const [text] of parse.mock.calls) expect(String(text)).not.toContain('[[[[[[[[');
    } finally {
      parse.mockRestore();
    }
    expect(events[0]).toMatchObject({ code: 'ERR_TOKEN_MALFORMED', alg: 'RS256' });
    expect(events[0]?.issuer).toBeUndefined();
    await expect(
      verifier.verify(`${b64u(HEADER)}.${b64u(claimsWith('"a":1'))}.AAAA`, { currentDate: NOW }),
    ).rejects.toMatchObject({ code: 'ERR_JWS_KEY_NOT_FOUND' });
    expect(events[1]?.issuer).toBe(claims().iss);
  });
});
