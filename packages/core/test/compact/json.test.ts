/**
 * Strict JSON for headers and claims (lib/json.ts): UTF-8, a top-level object, and no duplicate
 * member names at any depth, compared after unescaping (docs/architecture.md SD-4, RFC 8725).
 */
import fc from 'fast-check';
import { InvalidTokenError } from '@tokenward/core';
import { findDuplicateMember, parseJSONObject } from '../../src/compact/json';

const bytes = (text: string) => new TextEncoder().encode(text);

function parseError(input: Uint8Array | string): InvalidTokenError {
  try {
    parseJSONObject(typeof input === 'string' ? bytes(input) : input, 'JWT claims');
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return error as InvalidTokenError;
  }
  throw new Error('expected parseJSONObject to throw');
}

describe('findDuplicateMember', () => {
  test.each([
    ['no members', '{}'],
    ['distinct members', '{"a":1,"b":2,"c":{"a":1}}'],
    ['the same name in sibling objects', '{"x":{"id":1},"y":{"id":2}}'],
    ['the same name in objects inside an array', '[{"id":1},{"id":2}]'],
    ['a value that looks like a member', '{"a":"\\"b\\":1","b":2}'],
    ['a value equal to a member name', '{"a":"a","b":"a"}'],
    ['array elements equal to member names', '{"a":["a","a"],"b":["a"]}'],
    ['an escaped backslash before the closing quote', '{"a\\\\":1,"a":2}'],
    ['names differing only in case', '{"kid":1,"KID":2,"Kid":3}'],
    ['nested arrays and objects', '{"a":[[{"a":[{"a":1}]}]],"b":{"a":{"a":{}}}}'],
  ])('finds none with %s', (_name, text) => {
    expect(findDuplicateMember(text)).toBeUndefined();
  });

  test.each([
    ['a top-level duplicate', '{"alg":"RS256","alg":"none"}', 'alg'],
    ['a duplicate after other members', '{"a":1,"b":2,"c":3,"a":4}', 'a'],
    ['an escaped duplicate', '{"aud":"x","\\u0061ud":"y"}', 'aud'],
    ['a fully escaped duplicate', '{"\\u006b\\u0069\\u0064":1,"kid":2}', 'kid'],
    ['an escaped quote in both names', '{"a\\"":1,"a\\u0022":2}', 'a"'],
    [
      'a surrogate pair and the literal character',
      '{"\\ud83d\\ude00":1,"\u{1F600}":2}',
      '\u{1F600}',
    ],
    ['__proto__ twice', '{"__proto__":1,"__proto__":2}', '__proto__'],
    ['a duplicate inside a nested object', '{"cnf":{"jkt":"a","jkt":"b"}}', 'jkt'],
    ['a duplicate in an object inside an array', '{"list":[{"x":1},{"y":1,"y":2}]}', 'y'],
    ['whitespace before the colon', '{ "a" : 1 , "a"\n:\t2 }', 'a'],
    ['a duplicate after a closed nested object', '{"a":{"b":1},"a":2}', 'a'],
  ])('finds %s', (_name, text, duplicate) => {
    expect(findDuplicateMember(text)).toBe(duplicate);
  });

  test('agrees with a reference implementation on generated objects', () => {
    // Objects built from a tiny alphabet of names so duplicates are frequent; JSON.stringify never
    // writes duplicates, so they are spliced in as raw text.
    const name = fc.constantFrom('a', 'b', '\\u0061', 'c');
    const member = fc.tuple(name, fc.oneof(fc.integer(), fc.constantFrom('"a"', '[]', '{"a":1}')));
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), (members) => {
        const text = `{${members.map(([n, v]) => `"${n}":${v}`).join(',')}}`;
        const names = members.map(([n]) => (n === '\\u0061' ? 'a' : n));
        const expected = names.find((n, i) => names.indexOf(n) !== i);
        expect(findDuplicateMember(text)).toBe(expected);
      }),
    );
  });
});

describe('parseJSONObject', () => {
  test('returns the object for valid, duplicate-free JSON', () => {
    expect(parseJSONObject(bytes('{"a":1,"b":{"c":[1,2]}}'), 'JWT claims')).toEqual({
      a: 1,
      b: { c: [1, 2] },
    });
  });

  test('keeps __proto__ as a plain member without touching the prototype', () => {
    const value = parseJSONObject(bytes('{"__proto__":{"admin":true}}'), 'JWT claims');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { admin?: unknown }).admin).toBeUndefined();
  });

  test.each([
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    [
      'an overlong UTF-8 encoding',
      new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]),
    ],
    ['a byte order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"a":1}')])],
    ['invalid JSON', bytes('{"a":1,}')],
    ['single quotes', bytes("{'a':1}")],
    ['trailing text', bytes('{"a":1} x')],
    ['empty input', bytes('')],
  ])('rejects %s as malformed', (_name, input) => {
    const error = parseError(input);
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
    expect(error.message).toBe('the JWT claims is not valid UTF-8 JSON');
    expect(error.cause).toBeDefined();
  });

  test.each(['[]', '[{"a":1}]', 'null', '42', '"text"', 'true'])(
    'rejects the top-level value %s as not an object',
    (text) => {
      const error = parseError(text);
      expect(error.code).toBe('ERR_TOKEN_MALFORMED');
      expect(error.message).toBe('the JWT claims is not a JSON object');
    },
  );

  test('rejects duplicate members with ERR_TOKEN_DUPLICATE_MEMBER without naming the value', () => {
    const error = parseError('{"sub":"alice","\\u0073ub":"admin"}');
    expect(error.code).toBe('ERR_TOKEN_DUPLICATE_MEMBER');
    expect(error.status).toBe(401);
    expect(error.message).not.toMatch(/alice|admin/);
  });
});
