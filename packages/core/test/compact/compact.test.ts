/**
 * Shape checks on compact tokens (lib/compact.ts): the length cap, the strict base64url
 * alphabet, canonical final characters and the 3 / 5 segment counts (docs/architecture.md
 * SD-1 to SD-3, RFC 7515 §2 and §7.1, RFC 7516 §7.1).
 */
import fc from 'fast-check';
import { InvalidTokenError } from '@tokenward/core';
import {
  decodeJSONSegment,
  decodeSegment,
  isCanonicalSegment,
  splitCompact,
} from '../../src/compact/compact';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64u = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const header = b64u('{"alg":"RS256"}');
const payload = b64u('{"sub":"a"}');

function shapeError(token: string, max = 16384): InvalidTokenError {
  try {
    splitCompact(token, max);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return error as InvalidTokenError;
  }
  throw new Error('expected splitCompact to throw');
}

describe('isCanonicalSegment', () => {
  test.each([1, 5, 9])('rejects every segment of length %i (4n+1)', (length) => {
    expect(isCanonicalSegment('A'.repeat(length))).toBe(false);
  });

  test('accepts every segment whose length is a multiple of 4', () => {
    for (const c of ALPHABET) expect(isCanonicalSegment(`AAA${c}`)).toBe(true);
  });

  test.each([2, 3])(
    'accepts exactly the final characters whose unused bits are zero (length 4n+%i)',
    (rest) => {
      for (const c of ALPHABET) {
        const segment = 'A'.repeat(rest - 1) + c;
        // Canonical means: decoding and re-encoding gives the same text back.
        const roundTrips = Buffer.from(segment, 'base64url').toString('base64url') === segment;
        expect([c, isCanonicalSegment(segment)]).toEqual([c, roundTrips]);
      }
    },
  );

  test('accepts every encoding of random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 70 }), (bytes) => {
        expect(isCanonicalSegment(b64u(bytes))).toBe(true);
      }),
    );
  });
});

describe('splitCompact', () => {
  test('classifies three segments as a JWS', () => {
    expect(splitCompact(`${header}.${payload}.c2ln`, 100)).toEqual({
      kind: 'JWS',
      segments: [header, payload, 'c2ln'],
    });
  });

  test('classifies five segments as a JWE, with an empty encrypted key allowed (dir, ECDH-ES)', () => {
    expect(splitCompact(`${header}..aXY.Y3Q.dGFn`, 100)).toEqual({
      kind: 'JWE',
      segments: [header, '', 'aXY', 'Y3Q', 'dGFn'],
    });
    expect(splitCompact(`${header}.a2V5.aXY.Y3Q.dGFn`, 100).kind).toBe('JWE');
  });

  test('checks the length before anything else, and accepts exactly maxTokenLength', () => {
    const token = `${header}.${payload}.c2ln`;
    expect(splitCompact(token, token.length).kind).toBe('JWS');
    const error = shapeError(token, token.length - 1);
    expect(error.code).toBe('ERR_TOKEN_TOO_LONG');
    expect(error.message).toContain(String(token.length - 1));
    // Not even a token: the length check still wins.
    expect(shapeError('\u0000'.repeat(20), 19).code).toBe('ERR_TOKEN_TOO_LONG');
  });

  test.each([
    ['an empty string', ''],
    ['a single segment', header],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${header}.${payload}.c2ln.c2ln`],
    ['six segments', `${header}.a2V5.aXY.Y3Q.dGFn.dGFn`],
    ['an empty JWS header', `.${payload}.c2ln`],
    ['an empty JWS payload', `${header}..c2ln`],
    ['an empty JWS signature', `${header}.${payload}.`],
    ['an empty JWE header', '.a2V5.aXY.Y3Q.dGFn'],
    ['an empty JWE iv', `${header}.a2V5..Y3Q.dGFn`],
    ['an empty JWE ciphertext', `${header}.a2V5.aXY..dGFn`],
    ['an empty JWE tag', `${header}.a2V5.aXY.Y3Q.`],
    ['only dots', '....'],
    ['a space', `${header}.${payload}.c2 ln`],
    ['a tab', `${header}.${payload}\t.c2ln`],
    ['a line feed', `${header}.${payload}.c2ln\n`],
    ['a carriage return and line feed', `${header}\r\n.${payload}.c2ln`],
    ['a non-breaking space', `${header}.${payload}.c2ln\u00a0`],
    ['"=" padding', `${header}.${payload}.c2lnbg==`],
    ['a single "=" pad', `${header}.${payload}.c2lnbmE=`],
    ['"+" from standard base64', `${header}.${payload}.c2l+`],
    ['"/" from standard base64', `${header}.${payload}.c2l/`],
    ['a non-ASCII letter', `${header}.${payload}.c2lé`],
    ['a NUL character', `${header}.${payload}.c2ln\u0000`],
  ])('rejects %s as malformed', (_name, token) => {
    const error = shapeError(token);
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe(
      'the token is not a compact JWS (3 segments) or JWE (5 segments) in base64url',
    );
  });

  test.each([
    ['a non-canonical final character (4n+2)', `${header}.${payload}.c2lnbh`],
    ['a non-canonical final character (4n+3)', `${header}.${payload}.c2lnbmF`],
    ['a segment of length 4n+1', `${header}.${payload}.c2lnb`],
    ['a non-canonical JWE segment', `${header}..aXY.Y3Q.dGFnB`],
  ])('rejects %s', (_name, token) => {
    const error = shapeError(token);
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the token has a non-canonical base64url segment');
  });

  test('accepts any canonical three-segment token', () => {
    const segment = fc.uint8Array({ minLength: 1, maxLength: 40 }).map(b64u);
    fc.assert(
      fc.property(segment, segment, segment, (h, p, s) => {
        expect(splitCompact(`${h}.${p}.${s}`, 1000).segments).toEqual([h, p, s]);
      }),
    );
  });
});

describe('decodeSegment and decodeJSONSegment', () => {
  test('decode base64url bytes and JSON objects', () => {
    expect(Buffer.from(decodeSegment('_-8')).toString('hex')).toBe('ffef');
    expect(decodeJSONSegment(header, 'JWS header')).toEqual({ alg: 'RS256' });
  });

  test('reject a segment that is not a JSON object', () => {
    expect(() => decodeJSONSegment(b64u('[1]'), 'JWS header')).toThrow(
      'the JWS header is not a JSON object',
    );
    expect(() => decodeJSONSegment(b64u('{"a":1,"a":2}'), 'JWS header')).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_DUPLICATE_MEMBER' }),
    );
  });
});
