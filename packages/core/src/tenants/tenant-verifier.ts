/**
 * `createTenantVerifier`: one verifier per tenant (its issuers, audience, signature keys,
 * decryption keys, claims mapping, cache, limits and audit tag), and a front that resolves each
 * request's tenant once and hands it to that tenant's verifier only. Isolation is by
 * construction: a tenant's keys, cache and key sources are never reachable from another
 * tenant's requests; a request that names no known tenant is refused, never served by another.
 */
import type { AuditOptions, AuditSink, AuditSinkInput } from '../audit/audit-sink';
import { resolveAuditor, type Auditor } from '../audit/auditor';
import type { VerifierOptions } from '../config/verifier-options';
import { InvalidRequestError, TokenwardError, type TokenwardErrorOptions } from '../errors/errors';
import { createVerifierMetrics, type MetricsOptions } from '../metrics/verifier-metrics';
import type { RequestLike } from '../http/request';
import { createVerifier } from '../verifier/create-verifier';
import {
  presentRejection,
  recordRouteAllow,
  registerBindingContext,
  registerCachePath,
  registerRouteDecisions,
  verifyRequestFromCache,
} from '../verifier/sync-path';
import type { Verifier, VerifierHealth, VerifyContext } from '../verifier/types';
import type { TenantResolver } from './resolve-tenant';
import { isTenantId } from './tenant-id';

/** One tenant's verifier options: everything `createVerifier` takes but the shared parts. */
export type TenantOptions = Omit<VerifierOptions, 'tenant' | 'audit' | 'metrics'>;

/** Options of {@link createTenantVerifier}. */
export interface TenantVerifierOptions {
  /** How a request names its tenant: `tenantFromHost`, `tenantFromPath`, `tenantFromHeader` or a function. */
  resolve: TenantResolver;
  /** The tenants at start, by id. More can be set and removed later (`verifier.tenants`). */
  tenants: Readonly<Record<string, TenantOptions>>;
  /**
   * One audit trail for every tenant: each event carries its tenant (`tenant`), and a refusal
   * of a request that names no tenant is recorded without one. Closed by `verifier.close()`.
   */
  audit?: AuditOptions;
  /** The metrics of every tenant's verifier (as `createVerifier`'s `metrics`). */
  metrics?: MetricsOptions | false;
  /** The realm of refusals made before a tenant is known. Default `api`. */
  realm?: string;
}

/** The tenants of a {@link TenantVerifier}, changed at run time without a restart. */
export interface TenantRegistry {
  /**
   * Adds a tenant, or replaces its options: its verifier is built now (so bad options throw
   * here, naming them) and serves the tenant's next request; the previous one finishes the
   * requests it holds and is closed.
   *
   * @throws TypeError for a malformed id or bad options.
   */
  set(id: string, options: TenantOptions): void;
  /** Removes a tenant: its next request is refused (`ERR_TENANT_UNKNOWN`). Whether it existed. */
  remove(id: string): boolean;
  /** The tenant ids, in the order they were added. */
  ids(): string[];
  /** Whether `id` is a tenant. */
  has(id: string): boolean;
}

/** A verifier for several tenants: a {@link Verifier}, plus its {@link TenantRegistry}. */
export interface TenantVerifier extends Verifier {
  /** The tenants, changed at run time. */
  readonly tenants: TenantRegistry;
  /**
   * {@link Verifier.health}, with each tenant's own health: `ready` when every tenant's key
   * sources can verify (as for one verifier with several issuers).
   */
  health(): Promise<
    VerifierHealth & { readonly tenants: Readonly<Record<string, VerifierHealth>> }
  >;
}

/**
 * The request names no tenant this API serves (no or an unknown host, path prefix or header):
 * 400 `invalid_request`, `ERR_TENANT_UNKNOWN`. Never answered by another tenant.
 */
export class TenantUnknownError extends InvalidRequestError {
  constructor(options?: TokenwardErrorOptions) {
    super('ERR_TENANT_UNKNOWN', 'the request names no tenant this API serves', options);
  }
}

/** The shared sink as each tenant's verifier sees it: writes and flushes, never closes. */
function unclosable(sink: AuditSinkInput): AuditSinkInput {
  if (typeof sink === 'function') return sink;
  const shared: AuditSink = {
    write: (events) => sink.write(events),
    ...(sink.flush !== undefined && { flush: () => (sink.flush as () => Promise<void>)() }),
    ...(sink.batchDelay !== undefined && { batchDelay: sink.batchDelay }),
  };
  return shared;
}

/**
 * Creates a verifier for several tenants. Each tenant's options are those of `createVerifier`
 * (issuers, audience, keys, `decryptionKeys`, `claims`, `cache`, `anomalies`, …); the tenant id
 * goes on every `AccessToken.tenant` and audit event, and a tenant's verifier refuses a JWE that
 * names no key (`kid`), so no tenant's key is ever tried on a token that does not name it.
 *
 * @throws TypeError for a bad option, naming it (`tenants.acme.issuer: …`).
 * @example
 * ```ts
 * const verifier = createTenantVerifier({
 *   resolve: tenantFromHost({ 'acme.api.example.com': 'acme', 'globex.api.example.com': 'globex' }),
 *   tenants: {
 *     acme: { issuer: 'https://login.acme.example/', audience: 'https://api.example.com', jwksUri, decryptionKeys: acmeKeys },
 *     globex: { issuer: 'https://globex.auth.example/', audience: 'https://api.example.com', jwksUri: globexJwks },
 *   },
 * })
 * verifier.tenants.set('initech', { … }) // at run time
 * ```
 */
export function createTenantVerifier(options: TenantVerifierOptions): TenantVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTenantVerifier: expected options { resolve, tenants }');
  }
  const { resolve } = options;
  if (typeof resolve !== 'function') {
    throw new TypeError('resolve: expected a tenant resolver (tenantFromHost, …) or a function');
  }
  if (typeof options.tenants !== 'object' || options.tenants === null) {
    throw new TypeError('tenants: expected an object { tenantId: verifier options }');
  }
  const realm = options.realm ?? 'api';
  const sharedAudit =
    options.audit === undefined
      ? undefined
      : { ...options.audit, sink: unclosable(options.audit.sink) };
  // Records what happens before a tenant is known (and keeps the shared sink's lifecycle here).
  const frontAuditor: Auditor | undefined = resolveAuditor(sharedAudit);
  // Counts those refusals beside the tenants' decisions (no issuer: none was looked at).
  const frontMetrics = createVerifierMetrics(options.metrics, new Set());
  const verifiers = new Map<string, Verifier>();

  const build = (id: string, tenant: TenantOptions): Verifier => {
    if (!isTenantId(id)) {
      throw new TypeError(
        `tenants: ${JSON.stringify(id)} is not a tenant id (letters, digits, - and _, at most 64 characters)`,
      );
    }
    if (typeof tenant !== 'object' || tenant === null) {
      throw new TypeError(`tenants.${id}: expected verifier options`);
    }
    for (const shared of ['tenant', 'audit', 'metrics'] as const) {
      if (shared in tenant) {
        throw new TypeError(`tenants.${id}.${shared}: set on createTenantVerifier, not per tenant`);
      }
    }
    try {
      return createVerifier({
        ...tenant,
        tenant: id,
        ...(sharedAudit !== undefined && { audit: sharedAudit }),
        ...(options.metrics !== undefined && { metrics: options.metrics }),
      });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new TypeError(`tenants.${id}.${error.message}`, { cause: error });
    }
  };
  for (const [id, tenant] of Object.entries(options.tenants)) verifiers.set(id, build(id, tenant));

  /** The request's tenant's verifier, or `undefined`. A throwing resolver names no tenant. */
  const verifierFor = (request: RequestLike): Verifier | undefined => {
    let id: string | undefined;
    try {
      id = resolve(request);
    } catch {
      return undefined;
    }
    return typeof id === 'string' ? verifiers.get(id) : undefined;
  };

  /** The refusal of a request without a known tenant: presented, recorded, never a fall-back. */
  const unknown = (request: RequestLike | undefined, context: VerifyContext | undefined) => {
    const error = new TenantUnknownError().withRealm(realm);
    frontMetrics?.decision('authentication', 'deny', error.code, undefined);
    frontAuditor?.deny(
      {
        stage: 'authentication',
        request,
        route: context?.route,
      },
      error,
      undefined,
    );
    return Promise.reject(error);
  };

  const tenants: TenantRegistry = {
    set(id, tenant) {
      const next = build(id, tenant);
      const previous = verifiers.get(id);
      verifiers.set(id, next);
      // Requests the previous verifier holds finish with it; close only flushes its audit queue.
      void previous?.close();
    },
    remove(id) {
      const previous = verifiers.get(id);
      if (previous === undefined) return false;
      verifiers.delete(id);
      void previous.close();
      return true;
    },
    ids: () => [...verifiers.keys()],
    has: (id) => verifiers.has(id),
  };

  const verifier: TenantVerifier = {
    realm,
    tenants,
    verify(token, context) {
      const id = context?.tenant;
      const inner = typeof id === 'string' ? verifiers.get(id) : undefined;
      return inner === undefined ? unknown(undefined, context) : inner.verify(token, context);
    },
    verifyRequest(request, context) {
      const inner = verifierFor(request);
      return inner === undefined
        ? unknown(request, context)
        : inner.verifyRequest(request, context);
    },
    async health() {
      const entries = await Promise.all(
        [...verifiers].map(async ([id, v]) => [id, await v.health()] as const),
      );
      return {
        ready: entries.every(([, h]) => h.ready),
        sources: entries.flatMap(([, h]) => h.sources),
        maxTokenLifetimes: Object.assign({}, ...entries.map(([, h]) => h.maxTokenLifetimes)),
        tenants: Object.fromEntries(entries),
      };
    },
    async close() {
      await Promise.all([...verifiers.values()].map((v) => v.close()));
      await frontAuditor?.close();
      const sink = options.audit?.sink;
      if (typeof sink === 'object' && sink !== null) await sink.close?.().catch(() => undefined);
    },
  };

  // The adapters' synchronous cache path, route decisions and binding context: each request's
  // tenant's verifier answers, as it would on its own.
  registerCachePath(verifier, (request, context) => {
    const inner = verifierFor(request);
    return inner === undefined ? undefined : verifyRequestFromCache(inner, request, context);
  });
  // Each tenant's verifier may or may not have its own dpop.origin: the framework's is passed.
  registerBindingContext(verifier, 'framework');
  registerRouteDecisions(verifier, {
    allow: (token, request, route) => {
      const inner = token.tenant === undefined ? undefined : verifiers.get(token.tenant);
      if (inner !== undefined) recordRouteAllow(inner, token, request, route);
    },
    deny: (error, request, place) => {
      const tenant = place.token?.tenant;
      const inner = tenant !== undefined ? verifiers.get(tenant) : request && verifierFor(request);
      if (inner !== undefined)
        return presentRejection(inner, error, request, place) as TokenwardError;
      return error.withRealm(realm);
    },
  });
  return verifier;
}
