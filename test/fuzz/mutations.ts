/**
 * fast-check arbitraries that mutate valid compact tokens the way an attacker (or a broken
 * proxy) would: bit flips in the text and in decoded bytes, segment surgery, insertions,
 * truncations, and edits of the header or claims JSON without re-signing.
 */
import fc from 'fast-check';
import { b64u } from '../security/helpers/craft';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Characters that matter to the shape checks: base64 extras, padding, whitespace, NUL, look-alikes. */
const TRICKY = ['+', '/', '=', ' ', '\t', '\n', '\u0000', '.', '\u00e9', '\u0430', '\uff10', '%'];

/** Members worth setting in a header or claims set, known to tokenward or to JOSE. */
const INTERESTING_MEMBERS = [
  'alg',
  'enc',
  'kid',
  'typ',
  'cty',
  'crit',
  'b64',
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'zip',
  'epk',
  'p2c',
  'iss',
  'aud',
  'sub',
  'exp',
  'nbf',
  'iat',
  'scope',
  'client_id',
  '__proto__',
  'constructor',
];

const INTERESTING_VALUES: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    'none',
    'None',
    'HS256',
    'RS256',
    'ES256',
    'PS256',
    'dir',
    'RSA1_5',
    'PBES2-HS256+A128KW',
    'DEF',
    'JWT',
    'at+jwt',
    'https://issuer.example.com',
    'https://api.example.com',
    '../../dev/null',
    '',
    null,
    true,
    0,
    -1,
    2 ** 31 - 1,
    1e308,
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A description of one mutation, shown by fast-check in a counterexample. */
export type Mutation = (token: string) => string;

const named = (name: string, mutate: (token: string) => string): Mutation => {
  const fn = (token: string) => mutate(token);
  fn.toString = () => name;
  return fn;
};

/** Flips one character of the compact text into another base64url or a tricky character. */
const charReplace = fc
  .tuple(fc.nat(), fc.oneof(fc.constantFrom(...B64URL.split('')), fc.constantFrom(...TRICKY)))
  .map(([at, ch]) =>
    named(`replace char #${at} with ${JSON.stringify(ch)}`, (t) => {
      const i = at % t.length;
      return t.slice(0, i) + ch + t.slice(i + 1);
    }),
  );

/** Flips bits of one decoded byte of one segment, re-encoded canonically. */
const byteFlip = fc
  .tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }))
  .map(([seg, at, mask]) =>
    named(`xor byte #${at} of segment ${seg} with ${mask}`, (t) => {
      const parts = t.split('.');
      const i = seg % parts.length;
      const bytes = Buffer.from(parts[i] as string, 'base64url');
      if (bytes.length === 0) return t;
      const j = at % bytes.length;
      bytes.writeUInt8(bytes.readUInt8(j) ^ mask, j);
      parts[i] = bytes.toString('base64url');
      return parts.join('.');
    }),
  );

/** Removes, duplicates, swaps, empties or borrows whole segments. */
const segmentSurgery = (donors: readonly string[]) =>
  fc
    .tuple(
      fc.constantFrom('drop', 'duplicate', 'swap', 'empty', 'borrow', 'append-dot', 'prepend-dot'),
      fc.nat(),
      fc.nat(),
    )
    .map(([op, a, b]) =>
      named(`${op} segments ${a}/${b}`, (t) => {
        const parts = t.split('.');
        const i = a % parts.length;
        const j = b % parts.length;
        switch (op) {
          case 'drop':
            parts.splice(i, 1);
            break;
          case 'duplicate':
            parts.splice(i, 0, parts[i] as string);
            break;
          case 'swap':
            [parts[i], parts[j]] = [parts[j] as string, parts[i] as string];
            break;
          case 'empty':
            parts[i] = '';
            break;
          case 'borrow': {
            const donor = (donors[b % donors.length] as string).split('.');
            parts[i] = donor[i % donor.length] as string;
            break;
          }
          case 'append-dot':
            return `${t}.`;
          case 'prepend-dot':
            return `.${t}`;
        }
        return parts.join('.');
      }),
    );

/** Inserts a short string anywhere. */
const insertion = fc
  .tuple(
    fc.nat(),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...B64URL.split('')), minLength: 1, maxLength: 8 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
      fc.constantFrom(...TRICKY),
    ),
  )
  .map(([at, text]) =>
    named(`insert ${JSON.stringify(text)} at #${at}`, (t) => {
      const i = at % (t.length + 1);
      return t.slice(0, i) + text + t.slice(i);
    }),
  );

/** Cuts the token short. */
const truncation = fc
  .nat()
  .map((at) => named(`truncate at #${at}`, (t) => t.slice(0, at % t.length)));

/** Sets or deletes one member of the header or claims JSON, without re-signing. */
const jsonEdit = fc
  .tuple(
    fc.constantFrom(0, 1),
    fc.constantFrom(...INTERESTING_MEMBERS),
    INTERESTING_VALUES,
    fc.boolean(),
  )
  .map(([seg, member, value, remove]) =>
    named(
      `${remove ? 'delete' : 'set'} ${member}${remove ? '' : `=${JSON.stringify(value)}`} in segment ${seg}`,
      (t) => {
        const parts = t.split('.');
        if (parts[seg] === undefined) return t;
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(Buffer.from(parts[seg], 'base64url').toString('utf8'));
        } catch {
          return t;
        }
        if (typeof json !== 'object' || json === null) return t;
        if (remove) delete json[member];
        else Object.defineProperty(json, member, { value, enumerable: true, writable: true });
        parts[seg] = b64u(JSON.stringify(json));
        return parts.join('.');
      },
    ),
  );

/** Appends a duplicate member to the header or claims JSON text, without re-signing. */
const duplicateMember = fc
  .tuple(fc.constantFrom(0, 1), fc.constantFrom(...INTERESTING_MEMBERS), INTERESTING_VALUES)
  .map(([seg, member, value]) =>
    named(`append duplicate ${member} in segment ${seg}`, (t) => {
      const parts = t.split('.');
      if (parts[seg] === undefined) return t;
      const text = Buffer.from(parts[seg], 'base64url').toString('utf8');
      if (!text.endsWith('}')) return t;
      parts[seg] = b64u(
        `${text.slice(0, -1)},${JSON.stringify(member)}:${JSON.stringify(value ?? null)}}`,
      );
      return parts.join('.');
    }),
  );

/**
 * One mutation, or a few in a row, of any kind above. `donors` are other valid tokens whose
 * segments may be borrowed (a header from another algorithm, a payload for another subject).
 */
export function mutation(donors: readonly string[]): fc.Arbitrary<Mutation> {
  const one = fc.oneof(
    charReplace,
    byteFlip,
    segmentSurgery(donors),
    insertion,
    truncation,
    jsonEdit,
    duplicateMember,
  );
  return fc
    .array(one, { minLength: 1, maxLength: 3 })
    .map((steps) =>
      named(steps.map(String).join(' then '), (t) => steps.reduce((acc, step) => step(acc), t)),
    );
}

/** Strings shaped somewhat like compact tokens: base64url runs, dots and tricky characters. */
export const tokenLikeString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...B64URL.split(''), '.', ...TRICKY), maxLength: 400 }),
  fc
    .array(fc.string({ unit: fc.constantFrom(...B64URL.split('')), maxLength: 60 }), {
      minLength: 1,
      maxLength: 7,
    })
    .map((parts) => parts.join('.')),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
