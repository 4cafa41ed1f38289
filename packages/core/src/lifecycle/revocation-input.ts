/**
 * The arguments of `revoke*()`, checked and completed into a stored entry: names non-empty and
 * bounded, times real dates within reason, `expiresAt` after `before`.
 */
import type { RevocationEntry } from './revocation-list';

const MAX_NAME = 1024;
/** No entry may outlive this: a year covers any access token. */
const MAX_HORIZON_MS = 366 * 86_400_000;

function name(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_NAME) {
    throw new TypeError(`${what}: expected a non-empty string of at most ${MAX_NAME} characters`);
  }
  return value;
}

function date(value: unknown, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${what}: expected a valid Date`);
  }
  return value;
}

/** The options every revocation list validates once. */
export interface RevocationSettings {
  /** Seconds a subject or client entry lasts after `before` by default. */
  readonly maxTokenLifetime: number;
  readonly maxEntries: number;
  /** The issuers entries may name; any when undefined. */
  readonly issuers: ReadonlySet<string> | undefined;
}

/**
 * The entry a `revoke*()` call stores.
 *
 * @throws TypeError naming the bad argument (an absurd time, an issuer not in `issuers`).
 */
export function normalizeRevocation(
  kind: RevocationEntry['kind'],
  input: unknown,
  settings: RevocationSettings,
  nowMs = Date.now(),
): RevocationEntry {
  const { maxTokenLifetime } = settings;
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`revoke: expected an object`);
  }
  const given = input as Record<string, unknown>;
  const issuer = name(given.issuer, 'issuer');
  if (settings.issuers !== undefined && !settings.issuers.has(issuer)) {
    throw new TypeError('issuer: not one of the issuers this list revokes for (option issuers)');
  }
  const horizon = (when: Date, what: string) => {
    if (when.getTime() > nowMs + MAX_HORIZON_MS) {
      throw new TypeError(`${what}: more than a year ahead`);
    }
    return when;
  };
  if (kind === 'token') {
    const expiresAt = horizon(date(given.expiresAt, 'expiresAt'), 'expiresAt');
    return { kind, issuer, jti: name(given.jti, 'jti'), expiresAt };
  }
  const before = given.before === undefined ? new Date(nowMs) : date(given.before, 'before');
  if (before.getTime() > nowMs + 60_000) {
    throw new TypeError('before: in the future; a revocation covers tokens already issued');
  }
  if (before.getTime() < nowMs - MAX_HORIZON_MS)
    throw new TypeError('before: more than a year ago');
  const expiresAt =
    given.expiresAt === undefined
      ? new Date(before.getTime() + maxTokenLifetime * 1000)
      : horizon(date(given.expiresAt, 'expiresAt'), 'expiresAt');
  if (expiresAt <= before) throw new TypeError('expiresAt: must be after before');
  return kind === 'subject'
    ? { kind, issuer, subject: name(given.subject, 'subject'), before, expiresAt }
    : { kind, issuer, clientId: name(given.clientId, 'clientId'), before, expiresAt };
}
