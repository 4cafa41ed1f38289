/**
 * The app's verifier in multi-tenant dev mode: `createTenantVerifier` over the tenants' dev
 * issuers, tenants resolved by `Host`. Each tenant gets its dev issuer's keys and `iss` plus the
 * app's per-request options; the audit trail and the metrics are the verifier's, shared by all.
 */
import {
  createTenantVerifier,
  type TenantOptions,
  type TenantVerifier,
  type VerifierOptions,
} from '@tokenward/core';
import type { TenantDevIssuers } from './tenant-dev-issuers';

/**
 * Builds the tenant verifier.
 *
 * @param dev The tenants' dev issuers and the `Host` resolver.
 * @param shared The app's options besides a key source (`verifierOptionsFor` without one): the
 *   revocation list, DPoP, the failure budget, approved clients, anomalies, audit and metrics.
 *   Every tenant gets the same stores: their entries and counters are keyed by issuer, token,
 *   subject or address, and each tenant has its own issuer, so no tenant's state answers for
 *   another's.
 * @example `tenantVerifierFor(dev, { revocation: list, audit, metrics })`
 */
export function tenantVerifierFor(
  dev: TenantDevIssuers,
  shared: Omit<VerifierOptions, 'tenant'>,
): TenantVerifier {
  const { audit, metrics, ...perRequest } = shared;
  const tenants: Record<string, TenantOptions> = {};
  for (const [id, issuer] of dev.issuers) {
    tenants[id] = { ...issuer.verifierOptions, ...perRequest };
  }
  return createTenantVerifier({
    resolve: dev.resolve,
    tenants,
    ...(audit !== undefined && { audit }),
    ...(metrics !== undefined && { metrics }),
    // Refusals made before a tenant is known carry the same realm as each tenant's own.
    realm: 'messages',
  });
}
