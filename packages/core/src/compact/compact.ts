/**
 * Shape checks on a compact token before any decoding (docs/architecture.md SD-1 to SD-3): a length
 * cap, the strict base64url alphabet with canonical final characters, and exactly three (JWS) or
 * five (JWE) segments. Lenient base64 decoders skip whitespace, accept `=`, `+` and `/`, and
 * ignore non-zero trailing bits, so two different strings could decode to one token; we accept
 * exactly one spelling (RFC 7515 §2, RFC 8725bis).
 */
import { InvalidTokenError } from '../errors/errors';
import { parseJSONObject } from './json';

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

/** Decodes and parses a JSON segment (header or claims) with the strict JSON rules. */
export function decodeJSONSegment(segment: string, what: string): Record<string, unknown> {
  return parseJSONObject(decodeSegment(segment), what);
}
