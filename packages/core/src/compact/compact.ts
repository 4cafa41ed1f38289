/**
 * Shape checks on a compact token before any decoding (docs/architecture.md SD-1 to SD-3): length
 * caps on the token and its protected header, the strict base64url alphabet with canonical final
 * characters, and exactly three (JWS) or five (JWE) segments. Lenient base64 decoders skip whitespace, accept `=`, `+` and `/`, and
 * ignore non-zero trailing bits, so two different strings could decode to one token; we accept
 * exactly one spelling (RFC 7515 §2, RFC 8725bis).
 */
import { InvalidTokenError } from '../errors/errors';
import { parseJSONObject } from './json';
import {
  CLAIMS_JSON_LIMITS,
  HEADER_JSON_LIMITS,
  MAX_HEADER_SEGMENT_CHARS,
  type JSONShapeLimits,
} from './limits';

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Encrypted key is empty for `dir` and `ECDH-ES` (RFC 7516 §7.1); every other part is not.
const JWE_SHAPE =
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// With 2 (or 3) characters in the last quantum, the final character carries 4 (or 2) unused
// bits, which must be zero for the encoding to be canonical.
const CANONICAL_LAST_OF_2 = /[AQgw]$/;
const CANONICAL_LAST_OF_3 = /[AEIMQUYcgkosw048]$/;

/** A parsed compact token: its segments, never yet trusted. */
export interface CompactToken {
  readonly kind: 'JWS' | 'JWE';
  readonly segments: readonly string[];
}

/** Checks that one base64url segment is canonical (no impossible length, no stray bits). */
export function isCanonicalSegment(segment: string): boolean {
  switch (segment.length % 4) {
    case 1:
      return false;
    case 2:
      return CANONICAL_LAST_OF_2.test(segment);
    case 3:
      return CANONICAL_LAST_OF_3.test(segment);
    default:
      return true;
  }
}

/**
 * Whether a token has the shape of a JWS (3 segments) or JWE (5 segments) compact serialization,
 * by the same patterns {@link splitCompact} classifies with: what is not is an opaque token,
 * which only introspection can verify.
 */
export function isCompactSerialization(token: string): boolean {
  return JWS_SHAPE.test(token) || JWE_SHAPE.test(token);
}

/** Classifies a compact token as JWS or JWE after the length, charset and segment checks. */
export function splitCompact(token: string, maxTokenLength: number): CompactToken {
  if (token.length > maxTokenLength) {
    throw new InvalidTokenError(
      'ERR_TOKEN_TOO_LONG',
      `the token is longer than ${maxTokenLength} characters (option maxTokenLength)`,
    );
  }
  let kind: CompactToken['kind'];
  if (JWS_SHAPE.test(token)) kind = 'JWS';
  else if (JWE_SHAPE.test(token)) kind = 'JWE';
  else {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'the token is not a compact JWS (3 segments) or JWE (5 segments) in base64url',
    );
  }
  const segments = token.split('.');
  // The protected header is decoded and parsed before anything else is known about the token;
  // no supported header needs more than a fraction of this (compact/limits.ts).
  if ((segments[0] as string).length > MAX_HEADER_SEGMENT_CHARS) {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      `the ${kind} protected header is longer than ${MAX_HEADER_SEGMENT_CHARS} characters`,
    );
  }
  if (!segments.every(isCanonicalSegment)) {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'the token has a non-canonical base64url segment',
    );
  }
  return { kind, segments };
}

/**
 * Decodes a segment already checked by {@link splitCompact}. Node's own decoder is lenient, but
 * the segment has passed the strict alphabet and canonical-bits checks, so there is exactly one
 * way to read it; jose's decoder on Node 20 goes through `atob` and a JavaScript loop, several
 * times slower for the same bytes.
 */
export function decodeSegment(segment: string): Uint8Array {
  return Buffer.from(segment, 'base64url');
}

/**
 * Decodes and parses a JSON segment with the strict JSON rules and the given shape caps.
 *
 * @param segment A segment checked by {@link splitCompact}.
 * @param what The part's name for errors ("JWT claims").
 * @param limits Depth and member caps; the claims caps unless given.
 * @throws InvalidTokenError `ERR_TOKEN_MALFORMED` or `ERR_TOKEN_DUPLICATE_MEMBER`.
 */
export function decodeJSONSegment(
  segment: string,
  what: string,
  limits: JSONShapeLimits = CLAIMS_JSON_LIMITS,
): Record<string, unknown> {
  return parseJSONObject(decodeSegment(segment), what, limits);
}

/**
 * Decodes and parses a protected header (JWS or JWE) with the header caps: depth 4, 64 members.
 *
 * @param segment The first segment of a token checked by {@link splitCompact}.
 * @param layer Which header, for errors.
 * @throws InvalidTokenError `ERR_TOKEN_MALFORMED` or `ERR_TOKEN_DUPLICATE_MEMBER`.
 * @example
 * ```ts
 * const header = decodeHeaderSegment(splitCompact(token, 16384).segments[0], 'JWS')
 * ```
 */
export function decodeHeaderSegment(
  segment: string,
  layer: 'JWS' | 'JWE',
): Record<string, unknown> {
  return decodeJSONSegment(segment, `${layer} header`, HEADER_JSON_LIMITS);
}
