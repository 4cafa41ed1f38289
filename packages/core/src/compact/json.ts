/**
 * Strict JSON for JOSE headers and claims: valid UTF-8, valid JSON, a top-level object, and no
 * duplicate member names at any depth. RFC 7515 §4 / RFC 7519 §4 allow a parser to keep the
 * last duplicate, which lets two components read different values from one token; RFC 8725
 * recommends rejecting such input, so we do.
 */
import { InvalidTokenError } from '../errors/errors';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** RFC 8259 §2: the only whitespace allowed between JSON tokens. */
const isJSONWhitespace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Finds the first duplicate member name in already-valid JSON text, comparing names after
 * unescaping (`"a"` and `"\u0061"` are the same member).
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

/** The outcome of {@link readStrictJSONObject}. */
export type StrictJSONResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: StrictJSONProblem; readonly cause?: unknown };

const utf8SkippingBOM = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes UTF-8 bytes into a JSON object with the strict rules, reporting what is wrong instead
 * of throwing, so token parsing and JWKS/metadata fetching can each raise their own error.
 * `allowBOM` strips a leading byte-order mark (tolerated in fetched documents, never in tokens).
 */
export function readStrictJSONObject(bytes: Uint8Array, allowBOM = false): StrictJSONResult {
  let text: string;
  let value: unknown;
  try {
    text = (allowBOM ? utf8SkippingBOM : utf8).decode(bytes);
    value = JSON.parse(text);
  } catch (cause) {
    return { ok: false, problem: 'not-utf8-json', cause };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not-an-object' };
  }
  if (findDuplicateMember(text) !== undefined) return { ok: false, problem: 'duplicate-member' };
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Decodes UTF-8 bytes into a JSON object, rejecting invalid UTF-8, invalid JSON, non-objects and
 * duplicate member names. `what` names the part in the error ("JWS header", "claims").
 */
export function parseJSONObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const result = readStrictJSONObject(bytes);
  if (result.ok) return result.value;
  switch (result.problem) {
    case 'not-utf8-json':
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${what} is not valid UTF-8 JSON`, {
        cause: result.cause,
      });
    case 'not-an-object':
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${what} is not a JSON object`);
    default:
      throw new InvalidTokenError(
        'ERR_TOKEN_DUPLICATE_MEMBER',
        `the ${what} has a duplicate member name`,
      );
  }
}
