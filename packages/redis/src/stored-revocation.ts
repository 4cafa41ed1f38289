/**
 * How revocation entries travel through Redis: as JSON in the hash and on the pub/sub channel,
 * dates as milliseconds, and read back field by field (a planted or corrupted entry is dropped,
 * never trusted).
 */
import type { RevocationEntry } from '@tokenward/core';

/** What travels on the channel. */
export type Message =
  | { readonly op: 'add'; readonly entry: StoredEntry }
  | { readonly op: 'remove'; readonly id: string };

/** An entry as JSON: dates as milliseconds. */
export type StoredEntry = Omit<RevocationEntry, 'before' | 'expiresAt'> & {
  readonly before?: number;
  readonly expiresAt: number;
};

/** An entry as stored in Redis and sent on the channel. */
export const toStored = (entry: RevocationEntry): StoredEntry =>
  ({
    ...entry,
    expiresAt: entry.expiresAt.getTime(),
    ...('before' in entry && { before: entry.before.getTime() }),
  }) as StoredEntry;

/** Parses a stored entry; undefined for anything malformed (never trusted blindly). */
export function fromStored(text: string): RevocationEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || typeof v.issuer !== 'string') return undefined;
  if (typeof v.expiresAt !== 'number') return undefined;
  const expiresAt = new Date(v.expiresAt);
  if (v.kind === 'token' && typeof v.jti === 'string') {
    return { kind: 'token', issuer: v.issuer, jti: v.jti, expiresAt };
  }
  if (typeof v.before !== 'number') return undefined;
  const before = new Date(v.before);
  if (v.kind === 'subject' && typeof v.subject === 'string') {
    return { kind: 'subject', issuer: v.issuer, subject: v.subject, before, expiresAt };
  }
  if (v.kind === 'client' && typeof v.clientId === 'string') {
    return { kind: 'client', issuer: v.issuer, clientId: v.clientId, before, expiresAt };
  }
  return undefined;
}
