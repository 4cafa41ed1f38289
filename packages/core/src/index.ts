/**
 * @tokenward/core — framework-free decryption (JWE) and verification (JWS) of OAuth 2.0 / JWT
 * access tokens, nested sign-then-encrypt tokens first of all.
 */
export { createVerifier } from './verifier/create-verifier';
export type {
  Verifier,
  VerifyContext,
  VerifierHealth,
  TokenGetter,
  DPoPRequest,
} from './verifier/types';
export type { RejectionEvent, RejectionHandler } from './verifier/rejection';
export { AUDIT_SCHEMA } from './audit/audit-event';
export type {
  AuditEvent,
  AuditDecisionEvent,
  AuditDropEvent,
  AuditAnomalyEvent,
  AuditAnomalyName,
  AuditDecisionName,
  AuditStage,
  AuditBindingScheme,
  AuditEncryption,
} from './audit/audit-event';
export type { AuditSink, AuditSinkInput, AuditOptions } from './audit/audit-sink';
export type { MetricsOptions } from './metrics/verifier-metrics';
export { METER_NAME } from './metrics/verifier-metrics';
export * from './audit/exports';
export { createMemoryReplayStore, ReplayStoreFullError } from './binding/replay-store';
export type { ReplayStore, MemoryReplayStoreOptions } from './binding/replay-store';
export {
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_PROOF_MAX_AGE,
  DEFAULT_REPLAY_STORE_TIMEOUT,
  MAX_PROOF_LENGTH,
} from './binding/dpop/dpop-options';
export type { DPoPOptions } from './binding/dpop/dpop-options';
export { DEFAULT_NONCE_STEP } from './binding/dpop/nonce';
export type { DPoPNonceOptions } from './binding/dpop/nonce';
export { jwkThumbprint } from './binding/dpop/thumbprint';
export type {
  MtlsOptions,
  MtlsPlan,
  ForwardedCertificate,
  ForwardedCertificateFormat,
} from './binding/mtls/mtls-options';
export {
  clientCertificateThumbprint,
  MAX_CERTIFICATE_HEADER_LENGTH,
} from './binding/mtls/client-certificate';
export { ReplayCheckUnavailableError } from './errors/replay-check-unavailable-error';
export { RevocationUnavailableError } from './errors/revocation-unavailable-error';
export { IntrospectionUnavailableError } from './errors/introspection-unavailable-error';
export { DEFAULT_INTROSPECTION } from './introspection/introspection-options';
export type {
  IntrospectionOptions,
  IntrospectionMode,
  IntrospectionClientAuthentication,
} from './introspection/introspection-options';
export { createMemoryRevocationList } from './lifecycle/memory-revocation-list';
export type { MemoryRevocationListOptions } from './lifecycle/memory-revocation-list';
export { revocationId } from './lifecycle/revocation-list';
export type {
  RevocationList,
  RevocationEntry,
  RevocationVerdict,
} from './lifecycle/revocation-list';
export type {
  VerifierOptions,
  EncryptionMode,
  SignatureKeyOptions,
  TrustedIssuerOptions,
} from './config/verifier-options';
export { ServiceUnavailableError } from './errors/service-unavailable-error';
export { KeysUnavailableError } from './errors/keys-unavailable-error';
export { VerifierBusyError } from './errors/verifier-busy-error';
export { AccessDeniedError } from './errors/access-denied-error';
export { parseIp, parseNetworks, ipInNetworks } from './traffic/ip-address';
export type { IpAddress, NetworkList } from './traffic/ip-address';
export { IpNotAllowedError, requireNetwork } from './traffic/ip-allowlist';
export type { ClientNetworksOptions } from './traffic/ip-allowlist';
export {
  createMemoryApprovedClients,
  ClientNotApprovedError,
  ClientApprovalUnavailableError,
} from './traffic/approved-clients';
export type {
  ApprovedClientList,
  ApprovalVerdict,
  MemoryApprovedClients,
} from './traffic/approved-clients';
export {
  createMemoryFailureBudgetStore,
  FailureBudgetExhaustedError,
  DEFAULT_FAILURE_BUDGET,
  MAX_FAILURE_BUDGET_SECONDS,
} from './traffic/failure-budget';
export type {
  FailureBudgetOptions,
  FailureBudgetLimits,
  FailureBudgetStore,
  MemoryFailureBudgetStoreOptions,
} from './traffic/failure-budget';
export { createMemoryAnomalyStore } from './traffic/anomaly/anomaly-store';
export type { AnomalyStore, MemoryAnomalyStoreOptions } from './traffic/anomaly/anomaly-store';
export { MAX_ANOMALY_SECONDS } from './traffic/anomaly/anomaly-options';
export type {
  AnomalyOptions,
  DenialBurstOptions,
  OccurrenceOptions,
  TokenSpreadOptions,
} from './traffic/anomaly/anomaly-options';
export {
  AnomalyBlockedError,
  RiskTooHighError,
  RiskUnavailableError,
  TokenQuarantinedError,
} from './traffic/anomaly/anomaly-errors';
export { RISK_WEIGHTS, RISK_STORE_FAILURE_MS } from './traffic/anomaly/anomaly-detector';
export type { RiskScore } from './traffic/anomaly/anomaly-detector';
export { assessRisk, requireRiskBelow } from './traffic/anomaly/risk';
export { DEFAULT_REMOTE_KEYS, MAX_REMOTE_TIMEOUT } from './keys/remote-options';
export type { RemoteKeysOptions, TokenwardLogger } from './keys/remote-options';
export { MAX_REMOTE_JWKS_KEYS } from './keys/remote-jwks';
export type { KeySourceHealth, KeySourceKind, KeySourceStatus } from './keys/health';
export { DISCOVERY_MAX_AGE_MS } from './keys/discovery';
export {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_MAX_TOKEN_LENGTH,
  MAX_CLOCK_TOLERANCE,
} from './config/verifier-options';
export type { AccessToken, TokenBinding } from './verifier/access-token';
export { assertSingleAuthorizationHeader } from './http/authorization';
export { extractBearerToken } from './http/extract-token';
export type {
  RequestLike,
  RequestSocket,
  TokenSourcesOptions,
  ExtractedToken,
  TokenLocation,
} from './http/request';
export type {
  CacheAdmission,
  TokenCacheBounds,
  TokenCacheOptions,
} from './cache/verified-token-cache';
export { DEFAULT_TOKEN_CACHE, DOORKEEPER_SLOTS } from './cache/verified-token-cache';
export {
  TokenwardError,
  MissingTokenError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidDPoPProofError,
  UseDPoPNonceError,
  DEFAULT_REALM,
} from './errors/errors';
export { TERSE_BY_ATTRIBUTE } from './errors/descriptions';
export type { ErrorDescriptionMode } from './errors/descriptions';
export type {
  TokenwardErrorCode,
  TokenwardErrorCodes,
  BearerErrorAttribute,
  TokenwardErrorOptions,
  AuthScheme,
  ChallengeSet,
} from './errors/errors';
export {
  requireScopes,
  requireAnyScope,
  requireRoles,
  requireAnyRole,
  requireClaim,
  requireBinding,
  allOf,
  scopesOf,
  anyOf,
  runPolicies,
} from './authz/policies';
export type { Policy, ClaimPredicate } from './authz/policies';
export type { RouteRequirement, ResponseHeaderSetter } from './authz/policies';
export { rateLimit, DEFAULT_RATE_LIMIT_PREFIX } from './traffic/rate-limit';
export type {
  RateLimitOptions,
  RateLimitWindow,
  RateLimitTier,
  RateLimitKey,
} from './traffic/rate-limit';
export { memoryRateLimitStore, DEFAULT_RATE_LIMIT_MAX_KEYS } from './traffic/rate-limit-store';
export type {
  RateLimitStore,
  MemoryRateLimitStoreOptions,
  RateLimitStoreWindow,
  RateLimitCounter,
  RateLimitState,
} from './traffic/rate-limit-store';
export { RateLimitedError } from './errors/rate-limited-error';
export { PRESET_NAMES } from './claims/presets';
export type { ClaimsPresetName, ClaimsMapping, ClaimPath } from './claims/presets';
export { createIssuer } from './issuer/create-issuer';
export type { Issuer, IssuerOptions, IssueClaims, IssueOptions } from './issuer/create-issuer';
export type { PublicKeyInput } from './keys/local-keys';
export type { DecryptionKeyInput } from './keys/decryption-keys';
export { MAX_DECRYPTION_CANDIDATES } from './keys/decryption-keys';
export { MAX_KEY_CANDIDATES } from './keys/key-source';
export type { SigningKeySource, KeySelector } from './keys/key-source';
export { DEFAULT_GET_KEY_TIMEOUT, MAX_GET_KEY_TIMEOUT } from './keys/key-lookup-options';
export type {
  KeyLookup,
  KeyLookupContext,
  KeyLookupHeader,
  KeyLookupResult,
} from './keys/key-lookup-options';
export type { ImportedKey, JSONWebKeySet, NamedKey } from './keys/key-input';
export {
  ASYMMETRIC_JWS_ALGORITHMS,
  HMAC_JWS_ALGORITHMS,
  KEY_MANAGEMENT_ALGORITHMS,
  CONTENT_ENCRYPTION_ALGORITHMS,
} from './lib/algorithms';
export type {
  JWSAlgorithm,
  KeyManagementAlgorithm,
  ContentEncryptionAlgorithm,
} from './lib/algorithms';
// Step-up authentication (RFC 9470)
export { requireStepUp } from './authz/step-up';
export type { StepUpOptions } from './authz/step-up';
export { InsufficientUserAuthenticationError } from './errors/insufficient-user-authentication-error';
export type { UserAuthenticationRequirement } from './errors/insufficient-user-authentication-error';
// RFC 9457 problem details (`errorFormat: 'problem'`)
export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, problemType } from './errors/problem-details';
export type { ErrorFormat, ProblemDetails } from './errors/problem-details';
export { TOKENWARD_ERROR_CODES } from './errors/error-codes';
export { createTenantVerifier, TenantUnknownError } from './tenants/tenant-verifier';
export type {
  TenantOptions,
  TenantRegistry,
  TenantVerifier,
  TenantVerifierOptions,
} from './tenants/tenant-verifier';
export { tenantFromHeader, tenantFromHost, tenantFromPath } from './tenants/resolve-tenant';
export type { TenantResolver } from './tenants/resolve-tenant';
export { TENANT_ID, isTenantId } from './tenants/tenant-id';
// OAuth 2.0 Protected Resource Metadata (RFC 9728): the document of a verifier with `resource`.
export {
  protectedResourceMetadataDocument,
  protectedResourceMetadataResponse,
  protectedResourceMetadataUrl,
  DEFAULT_RESOURCE_METADATA_MAX_AGE,
} from './metadata/protected-resource-metadata';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataInput,
  ProtectedResourceMetadataResponse,
} from './metadata/protected-resource-metadata';
export { PROTECTED_RESOURCE_METADATA_PATH } from './metadata/resource-identifier';
// The public JWK Set issuers encrypt to, and the rotation states of decryption keys.
export { DEFAULT_ENCRYPTION_ALGORITHMS, encryptionKeySet } from './keys/encryption-keys';
export type {
  DecryptionJWK,
  DecryptionJWKSet,
  DecryptionKeyEntry,
  DecryptionKeyRotation,
  DecryptionKeyState,
} from './keys/decryption-keys';
// Decryption keys held outside the process (an HSM, a cloud KMS): the key-custody seam.
export { KeyServiceUnavailableError } from './errors/key-service-unavailable-error';
export type {
  ExternalDecryptionKey,
  ExternalEcdhKey,
  ExternalKeyCallOptions,
  ExternalRsaOaepKey,
} from './keys/external-keys';
