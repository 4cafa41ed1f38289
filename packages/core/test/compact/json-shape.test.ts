/**
 * SD-1 and SD-4 (docs/architecture.md), unit level: the protected-header length cap before any
 * decoding, and the depth and member caps of the one pre-scan before JSON.parse
 * (compact/json-shape.ts, compact/limits.ts); the duplicate check by member counts agrees with
 * the name-by-name reference scan.
 */
import fc from 'fast-check';
import { InvalidTokenError } from '@tokenward/core';
import { splitCompact } from '../../src/compact/compact';
import { findDuplicateMember, parseJSONObject, readStrictJSONObject } from '../../src/compact/json';
import { countParsedMembers, scanJSONShape } from '../../src/compact/json-shape';
import {
  CLAIMS_JSON_LIMITS,
  HEADER_JSON_LIMITS,
  MAX_HEADER_SEGMENT_CHARS,
} from '../../src/compact/limits';

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const members = (n: number) => Array.from({ length: n }, (_, i) => `"m${i}":0`).join(',');

function thrown(run: () => unknown): InvalidTokenError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return error as InvalidTokenError;
  }
  throw new Error('expected an InvalidTokenError');
}

describe('scanJSONShape', () => {
  it('counts depth from the top-level object and every name separator as one member', () => {
    expect(scanJSONShape('{"a":{"b":[1,{"c":2}]}}', { maxDepth: 4, maxMembers: 3 })).toEqual({
      ok: true,
      members: 3,
    });
    expect(scanJSONShape('{"a":{"b":[1,{"c":2}]}}', { maxDepth: 3, maxMembers: 3 })).toEqual({
      ok: false,
      problem: 'too-deep',
    });
    expect(scanJSONShape('{"a":{"b":[1,{"c":2}]}}', { maxDepth: 4, maxMembers: 2 })).toEqual({
      ok: false,
      problem: 'too-many-members',
    });
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    const text = String.raw`{"a\":[[[":"]]]}{{{:\\","b":"\"\\\":[{"}`;
    expect(JSON.parse(text)).toEqual({ 'a":[[[': ']]]}{{{:\\', b: '"\\":[{' });
    expect(scanJSONShape(text, { maxDepth: 1, maxMembers: 2 })).toEqual({ ok: true, members: 2 });
  });

  it('stops on an unterminated string instead of reading past the text', () => {
    expect(scanJSONShape(String.raw`{"a":"\"\"\"`, HEADER_JSON_LIMITS)).toEqual({
      ok: true,
      members: 1,
    });
  });
});

describe('parseJSONObject shape caps', () => {
  it('refuses a header nested deeper than 4 levels, and accepts 4 (an epk object is 2)', () => {
    expect(parseJSONObject(bytes(`{"a":${nested(3)}}`), 'JWS header', HEADER_JSON_LIMITS)).toEqual({
      a: [[[]]],
    });
    const error = thrown(() =>
      parseJSONObject(bytes(`{"a":${nested(4)}}`), 'JWS header', HEADER_JSON_LIMITS),
    );
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the JWS header nests objects and arrays deeper than 4 levels');
  });

  it('refuses a header with more than 64 members', () => {
    expect(
      Object.keys(parseJSONObject(bytes(`{${members(64)}}`), 'JWE header', HEADER_JSON_LIMITS)),
    ).toHaveLength(64);
    const error = thrown(() =>
      parseJSONObject(bytes(`{${members(65)}}`), 'JWE header', HEADER_JSON_LIMITS),
    );
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the JWE header has more than 64 members');
  });

  it('holds claims to depth 16 and 1000 members by default', () => {
    expect(CLAIMS_JSON_LIMITS).toEqual({ maxDepth: 16, maxMembers: 1000 });
    expect(parseJSONObject(bytes(`{"a":${nested(15)}}`), 'JWT claims')).toHaveProperty('a');
    expect(thrown(() => parseJSONObject(bytes(`{"a":${nested(16)}}`), 'JWT claims')).message).toBe(
      'the JWT claims nests objects and arrays deeper than 16 levels',
    );
    expect(Object.keys(parseJSONObject(bytes(`{${members(1000)}}`), 'JWT claims'))).toHaveLength(
      1000,
    );
    const error = thrown(() => parseJSONObject(bytes(`{${members(1001)}}`), 'JWT claims'));
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the JWT claims has more than 1000 members');
  });

  it('checks the caps before JSON.parse: a too-deep text is refused even when it is invalid JSON', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const error = thrown(() => parseJSONObject(bytes(`{"a":${'['.repeat(6000)}`), 'JWT claims'));
      expect(error.message).toMatch(/deeper than 16 levels/);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('never puts the text it refuses into the description', () => {
    const secretName = 'secret-member-name';
    const error = thrown(() =>
      parseJSONObject(bytes(`{"${secretName}":${nested(20)}}`), 'JWT claims'),
    );
    expect(error.message).not.toContain(secretName);
  });

  it('leaves fetched documents uncapped (their size is bounded by the fetch)', () => {
    const result = readStrictJSONObject(bytes(`{"keys":${nested(100)},${members(2000)}}`));
    expect(result.ok).toBe(true);
  });
});

describe('duplicate members by count', () => {
  it('counts own members at every depth, __proto__ included', () => {
    expect(
      countParsedMembers(JSON.parse('{"a":[{"b":1},{"c":{"d":2}}],"__proto__":{"e":3}}')),
    ).toBe(6);
  });

  it.each([
    ['{"a":1,"a":2}'],
    [String.raw`{"a":1,"\u0061":2}`],
    ['{"x":[{"y":1},{"y":2,"y":3}]}'],
    ['{"__proto__":1,"__proto__":2}'],
  ])('refuses %s as a duplicate', (text) => {
    expect(thrown(() => parseJSONObject(bytes(text), 'JWT claims')).code).toBe(
      'ERR_TOKEN_DUPLICATE_MEMBER',
    );
  });

  it('agrees with the name-by-name reference scan on generated objects', () => {
    // Few distinct names, so duplicates (at any depth, escaped or not) are frequent.
    const name = fc.constantFrom(
      'a',
      'b',
      String.raw`\u0061`,
      String.raw`a\"b`,
      String.raw`a\u0022b`,
      '{',
      ':',
    );
    const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('1', 'true', '"s:[{"', 'null'),
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
        fc
          .array(fc.tuple(name, tie('value')), { maxLength: 4 })
          .map((pairs) => `{${pairs.map(([n, v]) => `"${n}":${v}`).join(',')}}`),
      ),
    })).value;
    const object = fc
      .array(fc.tuple(name, value), { maxLength: 5 })
      .map((pairs) => `{${pairs.map(([n, v]) => `"${n}":${v}`).join(',')}}`);
    fc.assert(
      fc.property(object, (text) => {
        expect(() => JSON.parse(text) as unknown).not.toThrow();
        const result = readStrictJSONObject(bytes(text));
        const duplicate = findDuplicateMember(text) !== undefined;
        expect(result.ok ? 'ok' : result.problem).toBe(duplicate ? 'duplicate-member' : 'ok');
      }),
      { numRuns: 2000, seed: 20250115 },
    );
  });
});

describe('protected header length cap', () => {
  const rest = 'eyJhIjoxfQ.c2ln';

  it(`accepts a header segment of ${MAX_HEADER_SEGMENT_CHARS} characters`, () => {
    const header = 'A'.repeat(MAX_HEADER_SEGMENT_CHARS);
    expect(splitCompact(`${header}.${rest}`, 16384).segments[0]).toBe(header);
  });

  it.each([
    ['JWS', 'A'.repeat(MAX_HEADER_SEGMENT_CHARS + 1) + '.' + rest],
    ['JWE', 'A'.repeat(MAX_HEADER_SEGMENT_CHARS + 1) + '..AAAA.AAAA.AAAA'],
  ])('refuses a longer %s header before decoding it', (kind, token) => {
    // Length 4097 is also no valid base64url length: the cap fires first.
    const error = thrown(() => splitCompact(token, 16384));
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe(`the ${kind} protected header is longer than 4096 characters`);
  });
});
