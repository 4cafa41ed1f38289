/**
 * The verification plan: {@link VerifierOptions} validated and normalised once (a `TypeError`
 * naming the option on misuse), so nothing on the request path re-checks configuration. Each
 * trusted issuer gets ONE {@link IssuerTrust} record (keys, algorithms, claim rules); a token's
 * `iss` selects it once (claims/trusted-issuer.ts).
 */
import { resolveTokenCacheOptions, type TokenCacheBounds } from '../cache/verified-token-cache';
import { resolveClaimsProfile } from '../claims/presets';
import type { ClaimRules } from '../claims/validate-claims';
import { normalizeMediaType } from '../compact/media-type';
import { DEFAULT_REALM } from '../errors/errors';
import type { ErrorFormat } from '../errors/problem-details';
import type { TokenSourcesOptions } from '../http/request';
import { importDecryptionKeys } from '../keys/decryption-keys';
import {
  resolveExternalKeyTimeout,
  splitExternalKeys,
  type ExternalKeyEntry,
} from '../keys/external-keys';
import type { ImportedKey } from '../keys/key-input';
import type { MonitoredKeySource } from '../keys/health';
import { resolveRemoteKeysSettings } from '../keys/remote-options';
import { CONTENT_ENCRYPTION_ALGORITHMS, KEY_MANAGEMENT_ALGORITHMS } from '../lib/algorithms';
import { resolveCryptoPool, type CryptoPool } from '../lib/crypto-pool';
import type { RejectionHandler } from '../verifier/rejection';
import { lifetime, resolveTrust, type IssuerTrust } from './issuer-trust';
import { resolveAuditor, type Auditor } from '../audit/auditor';
import { createVerifierMetrics, type VerifierMetrics } from '../metrics/verifier-metrics';
import { allowlist, seconds, stringList } from './option-checks';
import { resolveDPoP, type DPoPPlan } from '../binding/dpop/dpop-options';
import type { RevocationList } from '../lifecycle/revocation-list';
import { resolveMtls, type MtlsPlan } from '../binding/mtls/mtls-options';
import { resolveIntrospectionSettings } from '../introspection/introspection-options';
import { Introspector } from '../introspection/introspector';
import { resolveClientNetworks, type ClientNetworksPlan } from '../traffic/ip-allowlist';
import { resolveApprovedClients, type ApprovedClientList } from '../traffic/approved-clients';
import { resolveFailureBudget, type FailureBudgetPlan } from '../traffic/failure-budget';
import { resolveAnomalies, type AnomalyPlan } from '../traffic/anomaly/anomaly-options';
import { resolveResource, type ResourceIdentity } from '../metadata/resource-identifier';
import { resolveTenantId } from '../tenants/tenant-id';
import {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_MAX_TOKEN_LENGTH,
  MAX_CLOCK_TOLERANCE,
  type EncryptionMode,
  type VerifierOptions,
} from './verifier-options';

/** Options after validation: what every stage of the pipeline reads. */
export interface VerificationPlan {
  /** JWS algorithms any trusted issuer accepts (each issuer is then held to its own). */
  readonly algorithms: ReadonlySet<string>;
  /** The trust record of every configured issuer, by its exact `iss`. */
  readonly trust: ReadonlyMap<string, IssuerTrust>;
  /** Every key source, for `verifier.health()`. */
  readonly keySources: readonly MonitoredKeySource[];
  readonly encryption: EncryptionMode;
  readonly decryptionKeys: readonly ImportedKey[];
  /** The `decryptionKeys` held outside the process (ExternalDecryptionKey), with their timeout. */
  readonly externalDecryptionKeys: readonly ExternalKeyEntry[];
  readonly keyManagementAlgorithms: ReadonlySet<string>;
  readonly contentEncryptionAlgorithms: ReadonlySet<string>;
  readonly allowUnsignedEncryptedTokens: boolean;
  readonly maxTokenLength: number;
  /** The bound on concurrent JWE private-key work (maxConcurrentDecryptions, maxQueuedDecryptions). */
  readonly cryptoPool: CryptoPool;
  /** The realm of every challenge this verifier's errors carry (fixed here, never patched). */
  readonly realm: string;
  readonly tokenSources: Required<TokenSourcesOptions>;
  /** Verified-token cache bounds, or undefined when the cache is off. */
  readonly cache: TokenCacheBounds | undefined;
  /** The `onRejection` hook, if any. */
  readonly onRejection: RejectionHandler | undefined;
  /** Whether clients get generic error descriptions. */
  readonly terseErrors: boolean;
  /** The body format of every error this verifier presents. */
  readonly errorFormat: ErrorFormat;
  /** The audit trail, when the `audit` option is set. */
  readonly auditor: Auditor | undefined;
  /** The OpenTelemetry instruments, unless `metrics: false`. */
  readonly metrics: VerifierMetrics | undefined;
  /** The revocation list every token is checked against, when the `revocation` option is set. */
  readonly revocation: RevocationList | undefined;
  /** DPoP proof checks (RFC 9449), when the `dpop` option is set. */
  readonly dpop: DPoPPlan | undefined;
  /** Client-certificate checks (RFC 8705 §3), when the `mtls` option is set. */
  readonly mtls: MtlsPlan | undefined;
  /** Token introspection (RFC 7662), when the `introspection` option is set. */
  readonly introspection: Introspector | undefined;
  /** The networks each client may call from, when the `clientNetworks` option is set. */
  readonly clientNetworks: ClientNetworksPlan | undefined;
  /** The clients this API serves, when the `approvedClients` option is set. */
  readonly approvedClients: ApprovedClientList | undefined;
  /** The per-address failure budget, when the `failureBudget` option is set. */
  readonly failureBudget: FailureBudgetPlan | undefined;
  /** The anomaly detectors, when the `anomalies` option is set. */
  readonly anomalies: AnomalyPlan | undefined;
  /** The resource identifier and its metadata URL (RFC 9728), when the `resource` option is set. */
  readonly resource: ResourceIdentity | undefined;
  /** The tenant this verifier serves (option `tenant`): a JWE must then name its key. */
  readonly tenant: string | undefined;
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'keys',
  'secret',
  'jwksUri',
  'discovery',
  'getKey',
  'getKeyTimeout',
  'issuers',
  'remoteKeys',
  'logger',
  'algorithms',
  'decryptionKeys',
  'externalKeyTimeout',
  'encryption',
  'keyManagementAlgorithms',
  'contentEncryptionAlgorithms',
  'allowUnsignedEncryptedTokens',
  'clockTolerance',
  'maxTokenAge',
  'maxTokenLifetime',
  'requiredClaims',
  'tokenType',
  'claims',
  'maxTokenLength',
  'maxConcurrentDecryptions',
  'maxQueuedDecryptions',
  'realm',
  'tokenSources',
  'cache',
  'onRejection',
  'errorDescriptions',
  'errorFormat',
  'audit',
  'metrics',
  'dpop',
  'mtls',
  'revocation',
  'introspection',
  'clientNetworks',
  'approvedClients',
  'failureBudget',
  'anomalies',
  'resource',
  'tenant',
]);

/**
 * Validates and normalises {@link VerifierOptions} into a {@link VerificationPlan}.
 *
 * @param options What the caller passed to `createVerifier`.
 * @throws TypeError naming the offending option.
 * @example
 * ```ts
 * const plan = buildPlan({ issuer, audience, keys })
 * plan.trust.get(issuer)?.rules.audiences
 * ```
 */
export function buildPlan(options: VerifierOptions): VerificationPlan {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createVerifier: options object required');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`${key}: unknown option`);
  }
  // Key sources are built before the instruments (which need the issuer list): they report
  // fetches through this late-bound reference.
  const late: { metrics?: VerifierMetrics } = {};
  const remote = resolveRemoteKeysSettings(options.remoteKeys, options.logger, (result) =>
    late.metrics?.keyFetch(result),
  );
  const { keys: keysByIssuer, sources: keySources, audiences } = resolveTrust(options, remote);
  const algorithms = new Set([...keysByIssuer.values()].flatMap((t) => [...t.algorithms]));

  // External keys (an HSM, a KMS) are checked here; the in-process ones are imported.
  const { local: localDecryptionKeys, external: externalDecryptionKeys } = splitExternalKeys(
    options.decryptionKeys,
    resolveExternalKeyTimeout(options.externalKeyTimeout),
  );
  const decryptionKeys =
    localDecryptionKeys === undefined ? [] : importDecryptionKeys(localDecryptionKeys);
  const hasDecryptionKeys = decryptionKeys.length + externalDecryptionKeys.length > 0;
  const encryption = options.encryption ?? (hasDecryptionKeys ? 'optional' : 'forbidden');
  if (!['required', 'optional', 'forbidden'].includes(encryption)) {
    throw new TypeError(`encryption: expected 'required', 'optional' or 'forbidden'`);
  }
  if (encryption !== 'forbidden' && !hasDecryptionKeys) {
    throw new TypeError(`encryption: '${encryption}' needs the decryptionKeys option`);
  }

  const clockTolerance =
    options.clockTolerance === undefined
      ? DEFAULT_CLOCK_TOLERANCE
      : seconds(options.clockTolerance, 'clockTolerance', MAX_CLOCK_TOLERANCE);
  const maxTokenAge =
    options.maxTokenAge === undefined ? undefined : seconds(options.maxTokenAge, 'maxTokenAge');
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 16) {
    throw new TypeError('maxTokenLength: expected an integer of at least 16 characters');
  }
  const requiredClaims = options.requiredClaims ?? [];
  // An array is required: spreading a lone string would quietly require 's', 'u', 'b'.
  if (
    !Array.isArray(requiredClaims) ||
    !requiredClaims.every((c) => typeof c === 'string' && c !== '')
  )
    throw new TypeError('requiredClaims: expected an array of claim names');
  const profile = resolveClaimsProfile(options.claims, audiences);
  const tokenTypes =
    options.tokenType === undefined
      ? profile.tokenTypes
      : stringList(options.tokenType, 'tokenType', true).map(normalizeMediaType);
  const realm = options.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || realm === '')
    throw new TypeError('realm: expected a non-empty string');

  if (options.onRejection !== undefined && typeof options.onRejection !== 'function') {
    throw new TypeError('onRejection: expected a function');
  }
  const errorDescriptions = options.errorDescriptions ?? 'detailed';
  if (errorDescriptions !== 'detailed' && errorDescriptions !== 'terse') {
    throw new TypeError(`errorDescriptions: expected 'detailed' or 'terse'`);
  }
  // Only undefined means the default: a null from a config file is a mistake, not 'oauth'.
  const errorFormat = options.errorFormat === undefined ? 'oauth' : options.errorFormat;
  if (errorFormat !== 'oauth' && errorFormat !== 'problem') {
    throw new TypeError(`errorFormat: expected 'oauth' or 'problem'`);
  }

  const maxTokenLifetime =
    options.maxTokenLifetime === undefined
      ? undefined
      : lifetime(options.maxTokenLifetime, 'maxTokenLifetime');
  const shared = { clockTolerance, maxTokenAge, requiredClaims, tokenTypes, profile };
  const tenant = resolveTenantId(options.tenant, 'tenant');
  // ONE record per issuer: its key source, its algorithms and its claim rules (its own audience
  // when `issuers` sets one). The token's `iss` picks it once (claims/trusted-issuer.ts).
  const trust = new Map<string, IssuerTrust>();
  for (const [issuer, keys] of keysByIssuer) {
    const rules: ClaimRules = {
      ...shared,
      issuer,
      audiences: keys.audiences,
      maxTokenLifetime: keys.maxTokenLifetime ?? maxTokenLifetime,
    };
    trust.set(issuer, Object.freeze({ issuer, ...keys, rules, ...(tenant && { tenant }) }));
  }

  const introspection = resolveIntrospectionSettings(
    options.introspection,
    [...trust.keys()],
    remote,
    hasDecryptionKeys,
  );
  const keyManagementAlgorithms = allowlist(
    options.keyManagementAlgorithms,
    KEY_MANAGEMENT_ALGORITHMS,
    'keyManagementAlgorithms',
  );
  const contentEncryptionAlgorithms = allowlist(
    options.contentEncryptionAlgorithms,
    CONTENT_ENCRYPTION_ALGORITHMS,
    'contentEncryptionAlgorithms',
  );
  const cryptoPool = resolveCryptoPool(options);

  const metrics = createVerifierMetrics(options.metrics, new Set(trust.keys()));
  late.metrics = metrics;
  const auditor = resolveAuditor(
    options.audit,
    (cause, count) => metrics?.auditDropped(cause, count),
    tenant,
  );

  return {
    auditor,
    metrics,
    algorithms,
    trust,
    keySources,
    encryption,
    decryptionKeys,
    externalDecryptionKeys,
    keyManagementAlgorithms,
    contentEncryptionAlgorithms,
    allowUnsignedEncryptedTokens: options.allowUnsignedEncryptedTokens === true,
    maxTokenLength,
    cryptoPool,
    realm,
    tokenSources: {
      query: options.tokenSources?.query === true,
      body: options.tokenSources?.body === true,
    },
    cache: resolveTokenCacheOptions(options.cache),
    onRejection: options.onRejection,
    terseErrors: errorDescriptions === 'terse',
    errorFormat,
    dpop: resolveDPoP(options.dpop, clockTolerance, options.logger),
    revocation: resolveRevocation(options.revocation),
    clientNetworks: resolveClientNetworks(options.clientNetworks),
    approvedClients: resolveApprovedClients(options.approvedClients),
    failureBudget: resolveFailureBudget(options.failureBudget),
    anomalies: resolveAnomalies(options.anomalies),
    resource: resolveResource(options.resource),
    tenant,
    mtls: resolveMtls(options.mtls),
    introspection:
      introspection &&
      new Introspector(
        introspection,
        remote,
        // RFC 9701 answers are checked with the one issuer's keys and algorithms, and decrypted
        // with the keys and allowlists encrypted access tokens are.
        introspection.response.format === 'jwt'
          ? {
              trust: trust.get(introspection.response.issuer) as IssuerTrust,
              clockTolerance,
              decryption: {
                keyManagementAlgorithms,
                contentEncryptionAlgorithms,
                decryptionKeys,
                externalDecryptionKeys,
                cryptoPool,
              },
            }
          : undefined,
        metrics,
      ),
  };
}

/** Validates the `revocation` option: a {@link RevocationList} (its `check` is what runs). */
function resolveRevocation(value: unknown): RevocationList | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as RevocationList).check !== 'function'
  ) {
    throw new TypeError(
      'revocation: expected a RevocationList (createMemoryRevocationList, or createRedisRevocationList from @tokenward/redis)',
    );
  }
  return value as RevocationList;
}
