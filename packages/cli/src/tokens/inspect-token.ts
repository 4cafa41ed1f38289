/**
 * What can be read from a compact token without any key: the JWS header and claims (unverified),
 * or the JWE protected header. Key material a header carries (`jwk`, `x5c`, `epk`) is left out.
 */

/** A token that is not a compact JWS or JWE, or whose readable parts do not decode. */
export class TokenShapeError extends Error {
  override readonly name = 'TokenShapeError';
}

/** Header members that carry key material: never printed, only named. */
const KEY_MEMBERS = ['jwk', 'x5c', 'epk'] as const;

/** The value printed in place of a header member that carries key material. */
export const OMITTED_KEY = '(key material: not shown)';

/**
 * The JSON object of one base64url segment.
 *
 * @throws TokenShapeError when the segment is not base64url JSON of an object.
 */
export function decodeSegmentJson(segment: string, what = 'header'): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new TokenShapeError(`the ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenShapeError(`the ${what} is not base64url-encoded JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenShapeError(`the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** `header` without the values of its key-material members. */
export function withoutKeyMaterial(header: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...header };
  for (const member of KEY_MEMBERS) if (member in shown) shown[member] = OMITTED_KEY;
  return shown;
}

/** What {@link inspectToken} read. */
export type Inspection =
  | {
      readonly kind: 'JWS';
      readonly segments: 3;
      readonly header: Record<string, unknown>;
      /** The claims, not verified: the signature was not checked. */
      readonly claims: Record<string, unknown>;
      readonly signatureBytes: number;
    }
  | {
      readonly kind: 'JWE';
      readonly segments: 5;
      readonly header: Record<string, unknown>;
      /** Whether the header announces a signed JWT inside (`cty` JWT or at+jwt). */
      readonly nested: boolean;
      readonly encryptedKeyBytes: number;
      readonly ciphertextBytes: number;
    };

const bytes = (segment: string): number => Buffer.from(segment, 'base64url').length;

/**
 * Reads the parts of a compact token that need no key.
 *
 * @throws TokenShapeError for anything but a compact JWS (3 segments) or JWE (5 segments) whose
 *   header (and, for a JWS, claims) decode.
 * @example `const seen = inspectToken(token)`
 */
export function inspectToken(token: string): Inspection {
  const segments = token.split('.');
  if (segments.length !== 3 && segments.length !== 5) {
    throw new TokenShapeError(
      `not a compact JWS (3 segments) or JWE (5 segments): ${segments.length} segment${segments.length === 1 ? '' : 's'}`,
    );
  }
  const header = withoutKeyMaterial(decodeSegmentJson(segments[0] as string, 'header'));
  if (segments.length === 3) {
    return {
      kind: 'JWS',
      segments: 3,
      header,
      claims: decodeSegmentJson(segments[1] as string, 'claims segment'),
      signatureBytes: bytes(segments[2] as string),
    };
  }
  const cty = typeof header.cty === 'string' ? header.cty.toLowerCase() : '';
  return {
    kind: 'JWE',
    segments: 5,
    header,
    nested: ['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt'].includes(cty),
    encryptedKeyBytes: bytes(segments[1] as string),
    ciphertextBytes: bytes(segments[3] as string),
  };
}

/** The time claims of `claims` as text: ISO instants, and whether `exp` has passed. */
export function describeTimes(claims: Record<string, unknown>, nowMs = Date.now()): string[] {
  const lines: string[] = [];
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    const value = claims[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const at = new Date(value * 1000);
    const iso = Number.isNaN(at.getTime()) ? String(value) : at.toISOString();
    let note = '';
    if (name === 'exp') note = value * 1000 <= nowMs ? ' (expired)' : ' (not expired)';
    if (name === 'nbf' && value * 1000 > nowMs) note = ' (not yet valid)';
    lines.push(`${name}: ${iso}${note}`);
  }
  return lines;
}
