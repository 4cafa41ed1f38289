/**
 * The syntax of a tenant id: what may name a tenant in a host map, a path segment, a header or
 * a registry. Strict on purpose: no dots (so no `.` or `..` path segments), no `%` (so nothing
 * decodes into a separator), no separators; an id can go into keys, logs and URLs as it is.
 */

/** Letters, digits, `-` and `_`; 1 to 64 characters, starting with a letter or a digit. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Whether `value` is a well-formed tenant id. */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID.test(value);
}

/**
 * Validates an optional tenant id option.
 *
 * @throws TypeError naming `option`.
 */
export function resolveTenantId(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isTenantId(value)) {
    throw new TypeError(
      `${option}: expected a tenant id (letters, digits, - and _, at most 64 characters), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
