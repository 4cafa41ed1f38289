/**
 * The body of `POST /admin/revocations`, checked field by field (a bad one is a 400 naming it).
 */
import { BadRequestException } from '@nestjs/common';

/** What to revoke: one token by its `jti`, or everything issued to a subject or a client. */
export type RevocationRequest =
  | { readonly kind: 'token'; readonly jti: string; readonly expiresAt: Date }
  | { readonly kind: 'subject'; readonly subject: string; readonly before?: Date }
  | { readonly kind: 'client'; readonly clientId: string; readonly before?: Date };

/** Default lifetime kept for a token revocation without `expiresAt`: the dev tokens' hour, and a day to spare. */
const DEFAULT_TOKEN_ENTRY_MS = 25 * 3600 * 1000;
const KNOWN = new Set(['kind', 'jti', 'subject', 'clientId', 'expiresAt', 'before']);

const text = (body: Record<string, unknown>, field: string): string => {
  const value = body[field];
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new BadRequestException(`${field}: expected a string of 1 to 256 characters`);
  }
  return value;
};

const time = (body: Record<string, unknown>, field: string): Date | undefined => {
  const value = body[field];
  if (value === undefined) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new BadRequestException(`${field}: expected an ISO 8601 date-time`);
  }
  return date;
};

/**
 * Parses a revocation request.
 *
 * @throws BadRequestException (400) naming the offending field.
 * @example `parseRevocationRequest({ kind: 'subject', subject: 'alice' })`
 */
export function parseRevocationRequest(body: unknown): RevocationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(
      'expected a JSON object { "kind": "token" | "subject" | "client", … }',
    );
  }
  const given = body as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw new BadRequestException(
      `unknown field(s): ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`,
    );
  }
  switch (given.kind) {
    case 'token':
      return {
        kind: 'token',
        jti: text(given, 'jti'),
        expiresAt: time(given, 'expiresAt') ?? new Date(Date.now() + DEFAULT_TOKEN_ENTRY_MS),
      };
    case 'subject': {
      const before = time(given, 'before');
      return { kind: 'subject', subject: text(given, 'subject'), ...(before && { before }) };
    }
    case 'client': {
      const before = time(given, 'before');
      return { kind: 'client', clientId: text(given, 'clientId'), ...(before && { before }) };
    }
    default:
      throw new BadRequestException('kind: expected "token", "subject" or "client"');
  }
}
