/**
 * The query of `GET /dev/token`, read from the raw query string so that a repeated parameter
 * (`?sub=a&sub=b`) is refused instead of turning into an array, and an unknown one (a typo such
 * as `?scopes=`) is refused instead of silently ignored.
 */
import { BadRequestException } from '@nestjs/common';

/** Tokens the API refuses, for demos: each wrong in exactly one way (401 `invalid_token`). */
export const INVALID_DEMO_KINDS = ['expired', 'not-yet-valid', 'wrong-audience'] as const;
/** One of {@link INVALID_DEMO_KINDS}. */
export type InvalidDemoKind = (typeof INVALID_DEMO_KINDS)[number];

/** A validated `/dev/token` query. */
export interface DevTokenQuery {
  /** `scope`: space-separated scopes. */
  readonly scopes: string[];
  /** `roles`: comma-separated roles. */
  readonly roles: string[];
  /** `sub`; the dev issuer's default (`dev-user`) when absent. */
  readonly sub?: string;
  /** `encrypted` (default true): nested, signed then encrypted; false for signed only. */
  readonly encrypted: boolean;
  /** `format`: `json` (default, an RFC 6749 §5.1-shaped response) or `raw` (the bare token). */
  readonly format: 'json' | 'raw';
  /** `invalid`: mint a token the API must refuse. */
  readonly invalid?: InvalidDemoKind;
  /** `dpop_jkt`: bind the token to this DPoP key (its RFC 7638 thumbprint, `cnf.jkt`). */
  readonly dpopJkt?: string;
}

const PARAMETERS = ['scope', 'roles', 'sub', 'encrypted', 'format', 'invalid', 'dpop_jkt'] as const;
// A SHA-256 JWK thumbprint, base64url (RFC 7638, RFC 9449 §6.1).
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const NAME = /^[\x21-\x7e]{1,64}$/;

function list(text: string | undefined, separator: RegExp, what: string): string[] {
  const items = (text ?? '').split(separator).filter((item) => item !== '');
  if (items.length > 20 || !items.every((item) => NAME.test(item))) {
    throw new BadRequestException(`${what}: up to 20 printable names without spaces`);
  }
  return items;
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[]) {
  if (text !== undefined && !allowed.includes(text as T)) {
    throw new BadRequestException(`${name}: expected one of ${allowed.join(', ')}`);
  }
  return text as T | undefined;
}

/**
 * Parses and validates the query string of `/dev/token`.
 *
 * @param url The request URL (`req.originalUrl`), path and query.
 * @throws BadRequestException (400) naming the offending parameters.
 * @example `parseDevTokenQuery('/dev/token?scope=messages:read&invalid=expired')`
 */
export function parseDevTokenQuery(url: string): DevTokenQuery {
  const at = url.indexOf('?');
  const params = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
  const names = [...params.keys()];
  const unknown = [...new Set(names.filter((n) => !(PARAMETERS as readonly string[]).includes(n)))];
  if (unknown.length > 0) {
    throw new BadRequestException(
      `unknown query parameter(s): ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}; expected ${PARAMETERS.join(', ')}`,
    );
  }
  const repeated = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (repeated.length > 0) {
    throw new BadRequestException(
      `repeated query parameter(s): ${repeated.join(', ')}; give each once`,
    );
  }
  const get = (name: (typeof PARAMETERS)[number]) => params.get(name) ?? undefined;
  const sub = get('sub');
  if (sub !== undefined && !NAME.test(sub)) {
    throw new BadRequestException('sub: a printable name without spaces');
  }
  const encrypted = oneOf('encrypted', get('encrypted'), ['true', 'false']);
  const format = oneOf('format', get('format'), ['json', 'raw']) ?? 'json';
  const invalid = oneOf('invalid', get('invalid'), INVALID_DEMO_KINDS);
  const dpopJkt = get('dpop_jkt');
  if (dpopJkt !== undefined && !THUMBPRINT.test(dpopJkt)) {
    throw new BadRequestException(
      'dpop_jkt: expected the SHA-256 JWK thumbprint of the DPoP key (43 base64url characters)',
    );
  }
  return {
    scopes: list(get('scope'), /\s+/, 'scope'),
    roles: list(get('roles'), /,/, 'roles'),
    ...(sub !== undefined && { sub }),
    encrypted: encrypted !== 'false',
    format,
    ...(invalid !== undefined && { invalid }),
    ...(dpopJkt !== undefined && { dpopJkt }),
  };
}
