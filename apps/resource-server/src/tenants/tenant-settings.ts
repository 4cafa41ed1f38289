/**
 * `TOKENWARD_TENANTS`: dev mode's multi-tenant switch. Each tenant id names a tenant served on
 * `<id>.localhost`, with its own embedded dev issuer; the ids are checked here so a bad value is
 * one start-up line naming the variable, like every other variable.
 */
import { commaList, quote } from '../config/env-checks';

/** The variable that turns on multi-tenant mode. */
export const TENANTS_VARIABLE = 'TOKENWARD_TENANTS';
/** Fewest tenants: one tenant is single-tenant mode, which needs no variable. */
export const MIN_TENANTS = 2;
/** Most tenants: each one generates its own keys at start-up. */
export const MAX_TENANTS = 10;

/**
 * A tenant id of this app: a DNS label in lower case (letters, digits and `-`, 1 to 63
 * characters, not starting or ending with `-`), so that `<id>.localhost` is a hostname and the
 * id is also a tenant id for the verifier (which allows more: `_` and upper case).
 */
const TENANT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The host a tenant is served on: `<id>.localhost` (RFC 6761 §6.3: loopback). */
export function tenantHost(id: string): string {
  return `${id}.localhost`;
}

/** The `iss` of a tenant's dev tokens: `urn:tokenward:dev-issuer:<id>`. */
export function tenantIssuerId(id: string): string {
  return `urn:tokenward:dev-issuer:${id}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `TOKENWARD_TENANTS` (comma-separated tenant ids), adding one problem when it is bad.
 *
 * @returns The ids in the order given, or `undefined` when the variable is unset (or bad).
 * @example `loadTenants({ TOKENWARD_TENANTS: 'acme,globex' }, problems) // ['acme', 'globex']`
 */
export function loadTenants(env: Env, problems: string[]): readonly string[] | undefined {
  const text = env[TENANTS_VARIABLE]?.trim();
  if (text === undefined || text === '') return undefined;
  const ids = commaList(text);
  const bad = ids.filter((id) => !TENANT_LABEL.test(id));
  if (bad.length > 0) {
    problems.push(
      `${TENANTS_VARIABLE}: expected comma-separated tenant ids (lower-case letters, digits and -, 1 to 63 characters, not starting or ending with -), got ${bad.map(quote).join(', ')}`,
    );
    return undefined;
  }
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (repeated.length > 0) {
    problems.push(
      `${TENANTS_VARIABLE}: each tenant once, got ${repeated.map(quote).join(', ')} more than once`,
    );
    return undefined;
  }
  if (ids.length < MIN_TENANTS || ids.length > MAX_TENANTS) {
    problems.push(
      `${TENANTS_VARIABLE}: expected ${MIN_TENANTS} to ${MAX_TENANTS} tenant ids, got ${ids.length} (unset it for one tenant)`,
    );
    return undefined;
  }
  return ids;
}
