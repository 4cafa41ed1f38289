/**
 * Dev mode with tenants: one embedded dev issuer per tenant (its own signing and encryption keys
 * and its own `iss`), and the `Host` → tenant map that both the verifier and `GET /dev/token`
 * resolve requests by, so a token is minted for exactly the tenant its request is served as.
 */
import { tenantFromHost, type TenantResolver } from '@tokenward/core';
import { createDevIssuer, type DevIssuer } from '../dev/dev-issuer';
import { tenantHost, tenantIssuerId } from './tenant-settings';

/** The tenants' dev issuers and how a request names its tenant. */
export interface TenantDevIssuers {
  /** Each tenant's dev issuer, by tenant id, in the order `TOKENWARD_TENANTS` gives them. */
  readonly issuers: ReadonlyMap<string, DevIssuer>;
  /** Each tenant's host (`<id>.localhost`), by tenant id. */
  readonly hosts: ReadonlyMap<string, string>;
  /** The request's tenant by its `Host` (port ignored), or `undefined`. */
  readonly resolve: TenantResolver;
}

/**
 * Generates a dev issuer per tenant (keys in memory only, as in single-tenant dev mode).
 *
 * @example `const dev = await createTenantDevIssuers(['acme', 'globex'])`
 */
export async function createTenantDevIssuers(ids: readonly string[]): Promise<TenantDevIssuers> {
  const issuers = new Map<string, DevIssuer>();
  for (const id of ids) issuers.set(id, await createDevIssuer(tenantIssuerId(id)));
  const hosts = new Map(ids.map((id) => [id, tenantHost(id)] as const));
  return {
    issuers,
    hosts,
    resolve: tenantFromHost(Object.fromEntries(ids.map((id) => [tenantHost(id), id]))),
  };
}
