/**
 * Strict JSON for JOSE headers and claims: valid UTF-8, valid JSON, a top-level object, and no
 * duplicate member names at any depth. RFC 7515 §4 / RFC 7519 §4 allow a parser to keep the
 * last duplicate, which lets two components read different values from one token; RFC 8725
 * recommends rejecting such input, so we do. Token parts are also held to depth and member caps
 * (compact/limits.ts), checked by one scan before `JSON.parse` (docs/architecture.md SD-4).
 */
import { InvalidTokenError } from '../errors/errors';
import { countParsedMembers, scanJSONShape } from './json-shape';
import { CLAIMS_JSON_LIMITS, NO_JSON_LIMITS, type JSONShapeLimits } from './limits';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** RFC 8259 §2: the only whitespace allowed between JSON tokens. */
const isJSONWhitespace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Finds the first duplicate member name in already-valid JSON text, comparing names after
 * unescaping (`"a"` and `"\u0061"` are the same member). Parsing does not call it (it compares
 * member counts instead, see {@link readStrictJSONObject}); it names the duplicate for a caller
 * that wants to say which one, and is the reference the count comparison is tested against.
 */
export function findDuplicateMember(text: string): string | undefined {
  // One entry per open container: a Set of member names for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      i++;
      let escaped = false;
      while (i < text.length) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) {
          escaped = true;
          i += 2;
          continue;
        }
        if (c === 0x22) break;
        i++;
      }
      i++; // past the closing quote
      const top = stack[stack.length - 1];
      if (top) {
        let j = i;
        while (j < text.length && isJSONWhitespace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x3a /* : */) {
          const raw = text.slice(start, i);
          const name = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
          if (top.has(name)) return name;
          top.add(name);
        }
      }
      continue;
    }
    if (ch === 0x7b /* { */) stack.push(new Set());
    else if (ch === 0x5b /* [ */) stack.push(null);
    else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) stack.pop();
    i++;
  }
  return undefined;
}

/** Why bytes are not a strict JSON object. */
export type StrictJSONProblem = 'not-utf8-json' | 'not-an-object' | 'duplicate-member';

/** Why token bytes are not a JSON object within the caps. */
type TokenJSONProblem = StrictJSONProblem | 'too-deep' | 'too-many-members';

/** The outcome of {@link readStrictJSONObject}. */
export type StrictJSONResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: StrictJSONProblem; readonly cause?: unknown };

type CappedJSONResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: TokenJSONProblem; readonly cause?: unknown };

const utf8SkippingBOM = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function readCappedJSONObject(
  bytes: Uint8Array,
  allowBOM: boolean,
  limits: JSONShapeLimits,
): CappedJSONResult {
  let text: string;
  try {
    text = (allowBOM ? utf8SkippingBOM : utf8).decode(bytes);
  } catch (cause) {
    return { ok: false, problem: 'not-utf8-json', cause };
  }
  // Before JSON.parse, whose time grows with the nesting: the scan stops at the cap.
  const shape = scanJSONShape(text, limits);
  if (!shape.ok) return { ok: false, problem: shape.problem };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return { ok: false, problem: 'not-utf8-json', cause };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not-an-object' };
  }
  // JSON.parse keeps one member per name: fewer parsed members than scanned `:` separators
  // means a repeated name somewhere (escaped spellings included).
  if (countParsedMembers(value) !== shape.members) {
    return { ok: false, problem: 'duplicate-member' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Decodes UTF-8 bytes into a JSON object with the strict rules, reporting what is wrong instead
 * of throwing, so token parsing and JWKS/metadata fetching can each raise their own error.
 * `allowBOM` strips a leading byte-order mark (tolerated in fetched documents, never in tokens).
 * No depth or member caps: a fetched document is bounded by the fetch's size cap.
 */
export function readStrictJSONObject(bytes: Uint8Array, allowBOM = false): StrictJSONResult {
  // Without caps the scan never reports 'too-deep' or 'too-many-members'.
  return readCappedJSONObject(bytes, allowBOM, NO_JSON_LIMITS) as StrictJSONResult;
}

/**
 * Decodes UTF-8 bytes into a JSON object, rejecting invalid UTF-8, invalid JSON, non-objects,
 * duplicate member names, and nesting or member counts past `limits`. `what` names the part in
 * the error ("JWS header", "JWT claims"); no error repeats any of the bytes.
 *
 * @param bytes The decoded segment or plaintext.
 * @param what The part's name, for the error description.
 * @param limits The shape caps (compact/limits.ts); claims caps unless given.
 * @throws InvalidTokenError `ERR_TOKEN_MALFORMED` or `ERR_TOKEN_DUPLICATE_MEMBER`.
 * @example
 * ```ts
 * parseJSONObject(new TextEncoder().encode('{"alg":"ES256"}'), 'JWS header', HEADER_JSON_LIMITS)
 * ```
 */
export function parseJSONObject(
  bytes: Uint8Array,
  what: string,
  limits: JSONShapeLimits = CLAIMS_JSON_LIMITS,
): Record<string, unknown> {
  const result = readCappedJSONObject(bytes, false, limits);
  if (result.ok) return result.value;
  switch (result.problem) {
    case 'not-utf8-json':
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${what} is not valid UTF-8 JSON`, {
        cause: result.cause,
      });
    case 'not-an-object':
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${what} is not a JSON object`);
    case 'too-deep':
      throw new InvalidTokenError(
        'ERR_TOKEN_MALFORMED',
        `the ${what} nests objects and arrays deeper than ${limits.maxDepth} levels`,
      );
    case 'too-many-members':
      throw new InvalidTokenError(
        'ERR_TOKEN_MALFORMED',
        `the ${what} has more than ${limits.maxMembers} members`,
      );
    default:
      throw new InvalidTokenError(
        'ERR_TOKEN_DUPLICATE_MEMBER',
        `the ${what} has a duplicate member name`,
      );
  }
}
