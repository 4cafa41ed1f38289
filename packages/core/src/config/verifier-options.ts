/**
 * The options of {@link createVerifier} as callers write them, and their documented defaults.
 * config/plan.ts turns them into a {@link VerificationPlan} once.
 */
import type { DPoPOptions } from '../binding/dpop/dpop-options';
import type { RevocationList } from '../lifecycle/revocation-list';
import type { MtlsOptions } from '../binding/mtls/mtls-options';
import type { KeyObject } from 'node:crypto';
import type { TokenSourcesOptions } from '../http/request';
import type { TokenCacheOptions } from '../cache/verified-token-cache';
import type { ClaimsMapping, ClaimsPresetName } from '../claims/presets';
import type { DecryptionKeyInput } from '../keys/decryption-keys';
import type { RemoteKeysOptions, TokenwardLogger } from '../keys/remote-options';
import type { PublicKeyInput } from '../keys/local-keys';
import type { KeyLookup } from '../keys/key-lookup-options';
import type { ErrorDescriptionMode } from '../errors/descriptions';
import type { ErrorFormat } from '../errors/problem-details';
import type { RejectionHandler } from '../verifier/rejection';
import type { AuditOptions } from '../audit/audit-sink';
import type { MetricsOptions } from '../metrics/verifier-metrics';
import type { IntrospectionOptions } from '../introspection/introspection-options';
import type { ClientNetworksOptions } from '../traffic/ip-allowlist';
import type { ApprovedClientList } from '../traffic/approved-clients';
import type { FailureBudgetOptions } from '../traffic/failure-budget';
import type { AnomalyOptions } from '../traffic/anomaly/anomaly-options';

/** Whether encrypted (JWE) access tokens are required, accepted, or refused. */
export type EncryptionMode = 'required' | 'optional' | 'forbidden';

/**
 * The signature key source of one issuer: exactly one of `keys`, `secret`, `jwksUri`,
 * `discovery` or `getKey`.
 */
export interface SignatureKeyOptions {
  /**
   * The issuer's public signature keys: a JWK, a JWK Set, PEM text (SPKI or an X.509
   * certificate), a KeyObject, or a list of these.
   */
  keys?: PublicKeyInput | readonly PublicKeyInput[];
  /** A shared HMAC secret (HS256/384/512) of at least 32 bytes. */
  secret?: string | Uint8Array | KeyObject;
  /**
   * The URL of the issuer's JWK Set, fetched and cached (see `remoteKeys`): https, or http for
   * 127.0.0.1, ::1 and localhost only. Members with private or symmetric material, RSA keys under
   * 2048 bits and keys whose `use`/`key_ops`/`alg` rule out signature verification are ignored.
   */
  jwksUri?: string;
  /**
   * `true`: read the issuer's metadata (OpenID Connect Discovery `/.well-known/openid-configuration`,
   * then RFC 8414 `/.well-known/oauth-authorization-server` with the path inserted after the
   * host), require its `issuer` to equal the configured issuer exactly, and use its `jwks_uri` as
   * `jwksUri`. With several issuers, each one is discovered on its own.
   */
  discovery?: boolean;
  /**
   * An application lookup `(header, { issuer, signal }) => key(s)`, called on every verification
   * that misses the verified-token cache, after the algorithm allowlist and the issuer checks.
   * The header is not verified yet. It must answer public keys (JWK, JWK Set, PEM, KeyObject, or a
   * list), held to the rules of `keys`; an HMAC secret is always refused. Each returned object
   * is imported once. A throw is 401 `ERR_KEY_LOOKUP_FAILED` unless it is a `KeysUnavailableError`
   * (503) or an `InvalidTokenError`; no answer within `getKeyTimeout` is 503.
   */
  getKey?: KeyLookup;
  /** Allowed JWS algorithms for this issuer (defaults as for {@link VerifierOptions.algorithms}). */
  algorithms?: readonly string[];
}

/** One trusted issuer of the `issuers` option, with its own key source and, optionally, audience. */
export interface TrustedIssuerOptions extends SignatureKeyOptions {
  /** The exact `iss` value of this issuer's tokens. */
  issuer: string;
  /** Accepted `aud` values for this issuer's tokens. Default: the top-level `audience`. */
  audience?: string | readonly string[];
  /** This issuer's longest accepted lifetime (`exp − iat`, seconds). Default: the top-level one. */
  maxTokenLifetime?: number;
}

/**
 * Options of {@link createVerifier}. Exactly one signature key source (`keys`, `secret`,
 * `jwksUri`, `discovery` or `getKey`), or a list of `issuers` each with its own.
 */
export interface VerifierOptions {
  /**
   * Accepted `iss` values, compared exactly (no trailing-slash or case folding). Required, unless
   * `issuers` is given instead. With several issuers, `keys`, `secret` and `jwksUri` serve all of
   * them, and `discovery: true` discovers each one's keys separately.
   */
  issuer?: string | readonly string[];
  /**
   * Accepted `aud` values; a token must name at least one. Required, unless every entry of
   * `issuers` has its own `audience`.
   */
  audience?: string | readonly string[];
  /**
   * Several issuers, each with its own key source and optionally its own `audience` and
   * `algorithms`; replaces `issuer`, `keys`, `secret`, `jwksUri`, `discovery` and `getKey`. A token is
   * checked only against the keys of the issuer its `iss` names, and only when that issuer is
   * listed here.
   */
  issuers?: readonly TrustedIssuerOptions[];
  /** See {@link SignatureKeyOptions.jwksUri}. */
  jwksUri?: string;
  /** See {@link SignatureKeyOptions.discovery}. */
  discovery?: boolean;
  /** See {@link SignatureKeyOptions.getKey}. */
  getKey?: KeyLookup;
  /**
   * Seconds a `getKey` lookup may take before the verification answers 503
   * `ERR_KEYS_UNAVAILABLE` (the lookup's `signal` is aborted). Default 5; at most 60.
   */
  getKeyTimeout?: number;
  /** Caching, cooldown, stale window, timeout and size cap of remote key sources. */
  remoteKeys?: RemoteKeysOptions;
  /**
   * Where remote key sources report failed fetches and ignored keys. Default: nowhere. Nothing
   * secret (tokens, claims, key material) is ever logged.
   */
  logger?: TokenwardLogger;
  /**
   * The issuer's public signature keys: a JWK, a JWK Set, PEM text (SPKI or an X.509
   * certificate), a KeyObject, or a list of these. Members of a JWK Set with `use: "enc"` are
   * skipped; RSA keys must have at least 2048 bits.
   */
  keys?: PublicKeyInput | readonly PublicKeyInput[];
  /**
   * A shared HMAC secret (HS256/384/512), at least 32 bytes; HS384 needs 48 and HS512 64
   * (RFC 7518 §3.2). The HS algorithms are only ever allowed with this option.
   */
  secret?: string | Uint8Array | KeyObject;
  /**
   * Allowed JWS algorithms. Default: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA with
   * `keys`; the HS algorithms the secret is long enough for with `secret`. `none` is never allowed.
   */
  algorithms?: readonly string[];
  /**
   * The resource server's private decryption keys: private JWKs or a private JWK Set, PKCS#8 PEM,
   * KeyObjects, raw symmetric key bytes, or `{ kid, key }` for keys without a `kid`. Several may be
   * given (rotation): a JWE's `kid` selects among them; a JWE without `kid` tries at most 3 keys
   * whose type fits its `alg`.
   */
  decryptionKeys?: DecryptionKeyInput | readonly DecryptionKeyInput[];
  /**
   * Seconds a call of an external decryption key (`ExternalDecryptionKey` in `decryptionKeys`:
   * an HSM, a KMS) may take, the wait for a crypto-pool slot included, before the verification
   * answers 503 `ERR_KEY_SERVICE_UNAVAILABLE` (the call's `signal` is aborted). Default 2; at
   * most 60.
   */
  externalKeyTimeout?: number;
  /** Default `'optional'` when `decryptionKeys` are given, else `'forbidden'`. */
  encryption?: EncryptionMode;
  /** Allowed JWE `alg` values. Default: every supported one (RSA-OAEP*, ECDH-ES*, A*KW, A*GCMKW, dir); never RSA1_5 or PBES2. */
  keyManagementAlgorithms?: readonly string[];
  /** Allowed JWE `enc` values. Default: A128/192/256GCM and A128CBC-HS256/A192CBC-HS384/A256CBC-HS512. */
  contentEncryptionAlgorithms?: readonly string[];
  /**
   * Accept a JWE whose plaintext is a bare claims set rather than a signed JWT, only when its key
   * management is symmetric (`dir`, `A*KW`, `A*GCMKW`), where the shared key authenticates the
   * sender. Default false: an encrypted token must carry its issuer's signature.
   */
  allowUnsignedEncryptedTokens?: boolean;
  /** Clock skew tolerated on `exp`, `nbf`, `iat`, in seconds. Default 30; at most 300. */
  clockTolerance?: number;
  /** Reject tokens whose `iat` is older than this many seconds (and tokens without `iat`). */
  maxTokenAge?: number;
  /**
   * The longest lifetime accepted, `exp − iat` in seconds: short-lived tokens enforced, not only
   * advised (a token without `iat` is refused while it is set). Per issuer in `issuers`.
   * Default: none.
   */
  maxTokenLifetime?: number;
  /** Claims that must be present (beyond `iss`, `aud`, `exp`, which always are). */
  requiredClaims?: readonly string[];
  /**
   * Accepted header `typ` values, case-insensitive, `application/` optional; `''` accepts a
   * token without `typ`. Default: RFC 9068 `at+jwt`, or the convention of the claims preset.
   */
  tokenType?: string | readonly string[];
  /** Where scopes, roles and client id are read from: a preset name or a mapping. */
  claims?: ClaimsPresetName | ClaimsMapping;
  /** Longest token accepted, in characters, checked before any decoding. Default 16384. */
  maxTokenLength?: number;
  /**
   * JWE decryption attempts (RSA-OAEP unwrap, ECDH-ES agreement: private-key work, on worker
   * threads) running at once. Default 4. Verified-token cache hits never wait for a slot.
   */
  maxConcurrentDecryptions?: number;
  /**
   * Decryption attempts that may wait for a slot; one more is refused at once with 503
   * `ERR_VERIFIER_BUSY` and `Retry-After: 1` (VerifierBusyError). Default 256.
   */
  maxQueuedDecryptions?: number;
  /** The `realm` of `WWW-Authenticate` challenges. Default `"api"`. */
  realm?: string;
  /** Places besides the Authorization header a token may come from (`verifyRequest`). */
  tokenSources?: TokenSourcesOptions;
  /**
   * The verified-token cache: on by default (10,000 tokens, 16 Mi token characters, entries at
   * most 600 s and never past the token's `exp`, a token stored the second time it is verified:
   * `admission: 'repeat'`); `false` turns it off. A hit skips decryption and
   * signature verification only: `exp`/`nbf`/`iat` are re-checked on every hit, and policies run
   * on every request. A signing key removed from the issuer's JWKS stops being trusted for cached
   * tokens after at most `maxTtl` seconds.
   */
  cache?: boolean | TokenCacheOptions;
  /**
   * Called synchronously with a `RejectionEvent` for every failure this verifier reports
   * (extraction, cache hits, every stage, and the policy failures of the first-party adapters),
   * before the client is answered. The event has the code, status, RFC 6750 attribute, the
   * unverified `iss`, `aud`, `kid` and `alg`, and the request method and path; never the token,
   * another claim or the query string. An exception thrown by the hook is caught and ignored.
   */
  onRejection?: RejectionHandler;
  /**
   * What `error_description` tells clients. `'detailed'` (default): which check failed.
   * `'terse'`: a fixed generic text per outcome ("The access token is invalid"; expiry and
   * not-yet-valid keep their own, since clients act on them). The detailed message stays on the
   * error's `message` for logs and `onRejection`.
   */
  errorDescriptions?: ErrorDescriptionMode;
  /**
   * The body of every refusal this verifier presents (the adapters' policy failures included).
   * `'oauth'` (default): RFC 6750 JSON, `{ error, error_description }`. `'problem'`: RFC 9457
   * `application/problem+json` with `type` (a stable URI per error code), `title`, `status`,
   * `detail` (the `error_description`, terse under `errorDescriptions: 'terse'`), `code` and
   * `error`. The status and headers (`WWW-Authenticate`, `Retry-After`, …) are the same. See
   * docs/errors.md.
   */
  errorFormat?: ErrorFormat;
  /**
   * The audit trail: one `tokenward.audit/1` event per decision (allow and deny, at verification
   * and at the adapters' route step) to a sink (file, pino or a function), through a bounded
   * queue that never slows or fails a request. Subject, client and token id appear only as keyed
   * pseudonyms (`pseudonymizationKey`). Default: off. See docs/audit.md.
   */
  audit?: AuditOptions;
  /**
   * OpenTelemetry metrics (meter `tokenward`): decisions, verification duration, cache look-ups,
   * key fetches, lost audit events. Default: the global meter provider as it is when the verifier
   * is created (a no-op without an SDK). `false`: none.
   */
  metrics?: MetricsOptions | false;
  /**
   * DPoP (RFC 9449): tokens bound to a key their holder proves on every request. With it, the
   * `DPoP` scheme is accepted, each proof is checked in full and its `jti` claimed once in the
   * replay store; challenges offer `DPoP` beside (or, when required, instead of) `Bearer`.
   * Without it, a DPoP-bound token is refused. See docs/dpop.md.
   */
  dpop?: DPoPOptions;
  /**
   * Revocation: every token, from the cache or not, is checked against this list before it is
   * accepted (401 `ERR_TOKEN_REVOKED`; 503 when the list's copy is too stale to say). See
   * `createMemoryRevocationList`, and `createRedisRevocationList` in `@tokenward/redis` for
   * several instances.
   */
  revocation?: RevocationList;
  /**
   * Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf` carries `x5t#S256` is
   * accepted only from a client presenting that certificate, on the TLS connection or, from a
   * trusted proxy that terminated TLS, in the one forwarded header it sets. `{}` reads the TLS
   * connection only. Without it, a certificate-bound token is refused (`ERR_TOKEN_BOUND`); with
   * it, `verify(token)` has no certificate to check, so only `verifyRequest` accepts one. See
   * docs/mtls.md.
   */
  mtls?: MtlsOptions;
  /**
   * Token introspection (RFC 7662): a token that is not a JWS or JWE (an opaque token) is
   * verified by asking the authorization server's introspection endpoint, and its `active: true`
   * answer becomes the AccessToken, held to the claim rules of the issuer its `iss` names. With
   * `mode: 'always'`, JWTs are introspected too, after their own verification. Answers are
   * cached by the token's SHA-256 (not in the verified-token cache) and concurrent questions
   * about one token share one request; revocation and the binding checks run on every request.
   * Without it, opaque tokens are refused (`ERR_TOKEN_MALFORMED`). See docs/introspection.md.
   */
  introspection?: IntrospectionOptions;
  /**
   * IP allowlists per client: the CIDR blocks each `client_id` may call from
   * (`{ 'payments-svc': ['10.0.0.0/8', '2001:db8::/32'] }`), parsed once here. The key `default`
   * applies to clients not listed and to tokens without a client id; without it they are
   * unrestricted. Checked after verification on every request, cache hits included, against
   * `RequestLike.ip`, the address the framework computed under its trust-proxy setting (never a
   * raw `X-Forwarded-For`); a request without a parsable address is refused where a list
   * applies, so `verify(token)`, which has no request, refuses a restricted client. Refusal:
   * 403 `ERR_IP_NOT_ALLOWED` (IpNotAllowedError). See docs/traffic-control.md.
   */
  clientNetworks?: ClientNetworksOptions;
  /**
   * The clients this API serves: an array of client ids, or an {@link ApprovedClientList}
   * (`createMemoryApprovedClients`, changeable at run time). A verified token whose client is
   * not approved, or that has no client id, is refused with 403 `ERR_CLIENT_NOT_APPROVED` on
   * every request, cache hits included; a list that cannot say answers 503
   * `ERR_CLIENT_APPROVAL_UNAVAILABLE`. Default: every client.
   */
  approvedClients?: readonly string[] | ApprovedClientList;
  /**
   * A budget of authentication failures per client address (`verifyRequest` and the adapters):
   * after `failures` (default 20) 401 token failures within `window` seconds (default 60), the
   * address is refused for `block` seconds (default `window`) with 429
   * `ERR_FAILURE_BUDGET_EXHAUSTED` and `Retry-After`, before extraction, decryption or
   * signature work. IPv6 addresses count per /64. A request without an address is not
   * budgeted. Default: off; `{}` for the defaults.
   */
  failureBudget?: FailureBudgetOptions;
  /**
   * Anomaly detectors, each an audit event and optionally a temporary block: one token used
   * from too many addresses (`tokenSpread`), a burst of denials of one client (`denialBurst`), a
   * revoked token presented again (`revokedTokenUse`), a replayed DPoP proof
   * (`replayedProof`). Their signals make the risk score of `requireRiskBelow`. A failing store
   * blocks nothing. Default: off. See docs/traffic-control.md.
   */
  anomalies?: AnomalyOptions;
  /**
   * The tenant this verifier serves (a tenant id: letters, digits, `-` and `_`, at most 64), set
   * by `createTenantVerifier` for each tenant's verifier. It is copied to every
   * `AccessToken.tenant` and every audit event's `tenant`, and it makes the verifier refuse a
   * JWE that names no key (`kid`), so no tenant's decryption key is ever tried on a token that
   * does not name it. Default: none.
   */
  tenant?: string;
  /**
   * The API's resource identifier (RFC 9728 §1.2): an https URL without query or fragment, in
   * canonical form (`https://api.example.com`, `https://api.example.com/mcp`); http only for
   * 127.0.0.1, ::1 and localhost. With it, every challenge carries `resource_metadata` (RFC 9728
   * §5.1), the URL of the metadata document the adapters serve. Default: none. See
   * docs/resource-metadata.md.
   */
  resource?: string;
}

/** Default clock tolerance in seconds. */
export const DEFAULT_CLOCK_TOLERANCE = 30;
/** Largest clock tolerance accepted, in seconds. */
export const MAX_CLOCK_TOLERANCE = 300;
/** Default `maxTokenLength`, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 16384;
