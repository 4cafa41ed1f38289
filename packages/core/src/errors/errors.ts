/**
 * Errors raised by tokenward, one class per RFC 6750 outcome, each with a stable `code`.
 *
 * Adapters copy `status`, `headers` and `toJSON()` into the response; they never decide HTTP
 * meaning themselves. Messages say what is wrong and which option changes it; they never contain
 * the token or claim values.
 */
import { terseDescription, type BearerErrorAttribute } from './descriptions';
import { problemDetails, type ErrorFormat, type ProblemDetails } from './problem-details';

/**
 * Every failure code, as the keys of an interface so applications can add their own by module
 * augmentation (a custom policy's code, say); `true` is only a placeholder value. Codes are public
 * API: tokenward never renames one, so code may `switch` on them.
 *
 * @example
 * ```ts
 * declare module '@tokenward/core' {
 *   interface TokenwardErrorCodes {
 *     ERR_TENANT_SUSPENDED: true
 *   }
 * }
 * throw new InsufficientScopeError('ERR_TENANT_SUSPENDED', 'the tenant is suspended')
 * ```
 */
export interface TokenwardErrorCodes {
  // 401 without an error attribute (RFC 6750 §3.1: the request carried no credentials)
  ERR_TOKEN_MISSING: true;
  // 400 invalid_request
  ERR_REQUEST_MALFORMED: true;
  ERR_REQUEST_MULTIPLE_TOKENS: true;
  ERR_REQUEST_TOKEN_LOCATION_DISABLED: true;
  // 401 invalid_token: shape of the token
  ERR_TOKEN_TOO_LONG: true;
  ERR_TOKEN_MALFORMED: true;
  ERR_TOKEN_DUPLICATE_MEMBER: true;
  // 401 invalid_token: JWS
  ERR_JWS_ALG_NOT_ALLOWED: true;
  ERR_HEADER_KEY_NOT_ALLOWED: true;
  ERR_JWS_CRIT_UNSUPPORTED: true;
  ERR_JWS_KEY_NOT_FOUND: true;
  // the getKey lookup threw, or returned a key configured `keys` would refuse
  ERR_KEY_LOOKUP_FAILED: true;
  ERR_JWS_SIGNATURE_INVALID: true;
  // 401 invalid_token: JWE
  ERR_JWE_NOT_ALLOWED: true;
  ERR_JWE_REQUIRED: true;
  ERR_JWE_ALG_NOT_ALLOWED: true;
  ERR_JWE_ENC_NOT_ALLOWED: true;
  ERR_JWE_ZIP_NOT_ALLOWED: true;
  ERR_JWE_CRIT_UNSUPPORTED: true;
  ERR_JWE_NOT_NESTED: true;
  ERR_JWE_INNER_NOT_JWS: true;
  ERR_JWE_KEY_NOT_FOUND: true;
  ERR_JWE_DECRYPTION_FAILED: true;
  ERR_JWE_HEADER_CLAIM_MISMATCH: true;
  // 401 invalid_token: claims
  ERR_TOKEN_TYPE_INVALID: true;
  ERR_CLAIM_MISSING: true;
  ERR_CLAIM_INVALID: true;
  ERR_ISSUER_INVALID: true;
  ERR_AUDIENCE_INVALID: true;
  ERR_TOKEN_EXPIRED: true;
  ERR_TOKEN_NOT_YET_VALID: true;
  ERR_TOKEN_ISSUED_IN_FUTURE: true;
  ERR_TOKEN_TOO_OLD: true;
  ERR_TOKEN_LIFETIME_TOO_LONG: true;
  // 401 invalid_token: the token verified, but the application refused it (a falsy result of
  // @tokenward/nest TokenwardStrategy's validate())
  ERR_TOKEN_REJECTED: true;
  // 503 without an error attribute (KeysUnavailableError): the issuer's signing keys cannot be
  // fetched and no cached key set is young enough to use
  ERR_KEYS_UNAVAILABLE: true;
  // 503 without an error attribute (VerifierBusyError): every slot for private-key work is taken
  // and the wait queue is full
  ERR_VERIFIER_BUSY: true;
  // 403 insufficient_scope
  ERR_SCOPE_MISSING: true;
  ERR_ROLE_MISSING: true;
  ERR_CLAIM_MISMATCH: true;
  // 401 invalid_token: sender-constrained tokens (RFC 9449, RFC 8705)
  ERR_TOKEN_BOUND: true;
  ERR_DPOP_TOKEN_NOT_BOUND: true;
  ERR_DPOP_REQUIRED: true;
  ERR_BINDING_REQUIRED: true;
  // 401 invalid_token: the token was revoked before its exp
  ERR_TOKEN_REVOKED: true;
  // 401 invalid_token: the authorization server's introspection endpoint (RFC 7662) did not
  // answer `active: true` for the token
  ERR_TOKEN_INACTIVE: true;
  ERR_MTLS_CERTIFICATE_MISSING: true;
  ERR_MTLS_CERTIFICATE_MISMATCH: true;
  // 401 invalid_dpop_proof (RFC 9449 §4.3, §11.1)
  ERR_DPOP_PROOF_MISSING: true;
  ERR_DPOP_PROOF_MULTIPLE: true;
  ERR_DPOP_PROOF_TOO_LONG: true;
  ERR_DPOP_PROOF_MALFORMED: true;
  ERR_DPOP_TYP_INVALID: true;
  ERR_DPOP_ALG_NOT_ALLOWED: true;
  ERR_DPOP_JWK_INVALID: true;
  ERR_DPOP_SIGNATURE_INVALID: true;
  ERR_DPOP_HTM_MISMATCH: true;
  ERR_DPOP_HTU_MISMATCH: true;
  ERR_DPOP_IAT_INVALID: true;
  ERR_DPOP_ATH_MISMATCH: true;
  ERR_DPOP_JKT_MISMATCH: true;
  ERR_DPOP_REPLAYED: true;
  // 401 use_dpop_nonce (RFC 9449 §8): the proof lacks the server's nonce, or carries a stale one
  ERR_DPOP_NONCE_REQUIRED: true;
  // 503 without an error attribute (ReplayCheckUnavailableError): the replay store cannot answer
  ERR_REPLAY_STORE_UNAVAILABLE: true;
  // 503 without an error attribute (RevocationUnavailableError): the revocation list is too stale
  ERR_REVOCATION_UNAVAILABLE: true;
  // 503 without an error attribute (IntrospectionUnavailableError): the introspection endpoint
  // failed, timed out or answered something that is not an introspection response
  ERR_INTROSPECTION_UNAVAILABLE: true;
  // 429 without an error attribute (RateLimitedError): a route's rate limit for the caller's
  // identity is used up, or the request has nothing to key that limit on
  ERR_RATE_LIMITED: true;
  // 403 without an error attribute or challenge (AccessDeniedError): the token is not at fault,
  // the request's network (IpNotAllowedError) or the token's client (ClientNotApprovedError) is
  ERR_IP_NOT_ALLOWED: true;
  ERR_CLIENT_NOT_APPROVED: true;
  // 503 without an error attribute (ClientApprovalUnavailableError): the approved-client list
  // cannot say
  ERR_CLIENT_APPROVAL_UNAVAILABLE: true;
  // 429 without an error attribute (FailureBudgetExhaustedError): too many authentication
  // failures from the request's address
  ERR_FAILURE_BUDGET_EXHAUSTED: true;
  // 401 invalid_token (TokenQuarantinedError): an anomaly detector suspended this token (used
  // from too many addresses, or with a replayed proof); a new token is accepted
  ERR_TOKEN_QUARANTINED: true;
  // 403 without an error attribute (AnomalyBlockedError): the token's client or the request's
  // address is suspended after an anomaly (a burst of denials, a revoked token presented)
  ERR_ANOMALY_BLOCKED: true;
  // 403 without an error attribute (RiskTooHighError): the request's risk score is at or above
  // the route's limit (requireRiskBelow)
  ERR_RISK_TOO_HIGH: true;
  // 503 without an error attribute (RiskUnavailableError): the risk score cannot be computed
  ERR_RISK_UNAVAILABLE: true;
  // 400 invalid_request (TenantUnknownError): the request names no tenant this API serves
  ERR_TENANT_UNKNOWN: true;
  // 401 insufficient_user_authentication (RFC 9470, InsufficientUserAuthenticationError): the
  // token's authentication does not meet the route's requireStepUp: no accepted acr, no
  // auth_time under a maxAge, or an auth_time older than maxAge
  ERR_ACR_INSUFFICIENT: true;
  ERR_AUTH_TIME_MISSING: true;
  ERR_AUTH_TOO_OLD: true;
  // 503 without an error attribute (KeyServiceUnavailableError): a decryption key held outside
  // the process (an HSM, a cloud KMS) threw, rejected or did not answer within externalKeyTimeout
  ERR_KEY_SERVICE_UNAVAILABLE: true;
}

/** A failure code: one of {@link TokenwardErrorCodes}, including codes added by augmentation. */
export type TokenwardErrorCode = keyof TokenwardErrorCodes;

/** The `error` attribute values of a challenge (RFC 6750 §3.1, RFC 9449 §7.1 and §8). */
export type { BearerErrorAttribute } from './descriptions';

/** An authentication scheme tokenward accepts access tokens under. */
export type AuthScheme = 'Bearer' | 'DPoP';

/**
 * The challenges a verifier answers with: which schemes it offers and which one the refused
 * request used. Without one, an error challenges `Bearer` alone.
 */
export interface ChallengeSet {
  /** Whether `Bearer` is offered (false when DPoP is required). */
  readonly bearer: boolean;
  /** The DPoP `algs` to offer (RFC 9449 §7.1); `DPoP` is not offered without them. */
  readonly dpopAlgorithms?: readonly string[];
  /** The scheme the request used: its challenge carries the error attributes. */
  readonly used?: AuthScheme;
  /** A fresh server nonce for the `DPoP-Nonce` header (RFC 9449 §8). */
  readonly dpopNonce?: string;
}

/** Realm of `WWW-Authenticate` challenges when neither the verifier nor the error names one. */
export const DEFAULT_REALM = 'api';

/** Options accepted by every tokenward error constructor. */
export interface TokenwardErrorOptions {
  /** The underlying error (for example jose's), kept for logs and never shown to clients. */
  cause?: unknown;
  /** The claim a claim failure is about (a name, never a value). */
  claim?: string;
  /** The realm of the `WWW-Authenticate` challenge. Default {@link DEFAULT_REALM}. */
  realm?: string;
}

// RFC 6750 §3 and RFC 6749 §5.2 limit error_description and scope to %x20-21 / %x23-5B /
// %x5D-7E: no controls (so a header can never be split), and no `"` or `\` at all, which become
// `'` and `/` rather than escapes a client might not undo.
const sanitizeAttribute = (value: string): string =>
  value
    .replace(/"/g, "'")
    .replace(/\\/g, '/')
    .replace(/[^\x20-\x7e]/g, '?');
// The realm is an RFC 7235 quoted-string, where `"` and `\` may be escaped.
const quoteRealm = (value: string): string =>
  `"${value
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')}"`;
const quote = (value: string): string => `"${sanitizeAttribute(value)}"`;

/**
 * A copy of `error` (same class, every own property) with one property replaced: errors are
 * immutable once thrown, so a verifier presents a copy carrying its realm, challenges, format.
 */
function copyWith<T extends object>(error: T, name: string, descriptor: PropertyDescriptor): T {
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(error);
  descriptors[name] = descriptor;
  return Object.create(Object.getPrototypeOf(error) as object, descriptors) as T;
}

/**
 * Base class of every error tokenward throws on a request: carries the HTTP status, the
 * `WWW-Authenticate` challenge and a JSON body per RFC 6750.
 *
 * @example
 * ```ts
 * try { await verifier.verify(token) } catch (err) {
 *   if (err instanceof TokenwardError) res.status(err.status).set(err.headers).json(err.toJSON())
 * }
 * ```
 */
export class TokenwardError extends Error {
  /** Stable machine-readable code; see {@link TokenwardErrorCode}. */
  readonly code: TokenwardErrorCode;
  /** HTTP status to answer with (400, 401 or 403; 503 for ERR_KEYS_UNAVAILABLE). */
  readonly status: number;
  /** RFC 6750 `error` attribute, absent when the request carried no token at all. */
  readonly error: BearerErrorAttribute | undefined;
  /** The claim this failure concerns, when there is one (name only). */
  readonly claim: string | undefined;
  /**
   * Realm advertised in the challenge, fixed at construction: a verifier's errors carry the realm
   * fixed when it was created (see {@link TokenwardError.withRealm}). Never changes afterwards.
   */
  declare readonly realm: string;
  /**
   * The `error_description` sent to clients: the message, or a fixed generic text for a verifier
   * with `errorDescriptions: 'terse'` (see {@link TokenwardError.terse}). `message` stays detailed.
   */
  declare readonly description: string;
  /** The schemes this error challenges; see {@link TokenwardError.withChallenges}. */
  declare readonly challenges: ChallengeSet | undefined;
  /**
   * The URL of the protected resource metadata (RFC 9728 §5.1), carried as `resource_metadata` on
   * every challenge; see {@link TokenwardError.withResourceMetadata}.
   */
  declare readonly resourceMetadata: string | undefined;
  /**
   * The body format adapters answer this error with: `'oauth'` ({@link TokenwardError.toJSON})
   * unless a verifier with `errorFormat: 'problem'` presented it
   * ({@link TokenwardError.withErrorFormat}, {@link TokenwardError.toProblem}).
   */
  declare readonly errorFormat: ErrorFormat;

  constructor(
    status: number,
    error: BearerErrorAttribute | undefined,
    code: TokenwardErrorCode,
    message: string,
    options: TokenwardErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.error = error;
    this.code = code;
    this.claim = options.claim;
    Object.defineProperty(this, 'realm', {
      value: options.realm ?? DEFAULT_REALM,
      enumerable: true,
      writable: false,
    });
    Object.defineProperty(this, 'description', { value: message, writable: false });
    Object.defineProperty(this, 'challenges', { value: undefined, writable: false });
    Object.defineProperty(this, 'resourceMetadata', { value: undefined, writable: false });
    Object.defineProperty(this, 'errorFormat', { value: 'oauth', writable: false });
  }

  /**
   * This error with a fixed, generic `error_description` (`errorDescriptions: 'terse'`): a copy
   * (same class, code, status, message, realm and cause) whose challenge and JSON body say only
   * what a client can act on. The error is never changed.
   *
   * @example
   * ```ts
   * new InvalidTokenError('ERR_JWS_SIGNATURE_INVALID', 'the token signature is invalid').terse().toJSON()
   * // { error: 'invalid_token', error_description: 'The access token is invalid' }
   * ```
   */
  terse(): this {
    if (this.error === undefined) return this;
    const description = terseDescription(this.code, this.error);
    if (description === this.description) return this;
    return copyWith(this, 'description', { value: description, writable: false });
  }

  /**
   * This error as raised under `realm`: itself when it already names that realm, otherwise a
   * copy (same class, code, message, claim and cause) whose challenge names `realm`. The error is
   * never changed, so one shared error (a policy's, say) cannot leak one API's realm into
   * another's challenge.
   *
   * @param realm The realm of the verifier or adapter answering the request.
   * @example
   * ```ts
   * res.status(err.status).set(err.withRealm(verifier.realm).headers)
   * ```
   */
  withRealm(realm: string): this {
    if (realm === this.realm) return this;
    return copyWith(this, 'realm', { value: realm, enumerable: true, writable: false });
  }

  /**
   * This error answering with `challenges`: the schemes a verifier with DPoP offers, the error
   * attributes on the scheme the request used, and the server's nonce. A copy; the error is
   * never changed.
   *
   * @example
   * ```ts
   * err.withChallenges({ bearer: true, dpopAlgorithms: ['ES256'], used: 'DPoP' }).challenge
   * // 'Bearer realm="api", DPoP realm="api", algs="ES256", error="invalid_token", …'
   * ```
   */
  withChallenges(challenges: ChallengeSet): this {
    return copyWith(this, 'challenges', { value: challenges, writable: false });
  }

  /**
   * This error answered in `format`: itself when it already is, otherwise a copy (same class,
   * code, message, realm, challenges and cause). Like the realm, the format travels with the
   * error, so an adapter or an `errorHandling: 'next'` handler answers it as the verifier that
   * presented it was configured to.
   *
   * @param format `'oauth'` (the RFC 6750 body) or `'problem'` (RFC 9457).
   * @example
   * ```ts
   * err.withErrorFormat('problem').errorFormat // 'problem'
   * ```
   */
  withErrorFormat(format: ErrorFormat): this {
    if (format === this.errorFormat) return this;
    return copyWith(this, 'errorFormat', { value: format, writable: false });
  }

  /**
   * This error with `resource_metadata="url"` on every challenge (RFC 9728 §5.1), as a verifier
   * with the `resource` option answers: itself when it already carries `url`, otherwise a copy.
   * `undefined` leaves the parameter out.
   *
   * @param url The metadata URL (`protectedResourceMetadataUrl(verifier)`).
   * @example
   * ```ts
   * new MissingTokenError().withResourceMetadata('https://api.example.com/.well-known/oauth-protected-resource').challenge
   * // 'Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"'
   * ```
   */
  withResourceMetadata(url: string | undefined): this {
    if (url === this.resourceMetadata) return this;
    return copyWith(this, 'resourceMetadata', { value: url, writable: false });
  }

  /** Extra challenge attributes a subclass adds (the `scope` of a 403). */
  protected challengeAttributes(): string[] {
    return [];
  }

  /**
   * The `WWW-Authenticate` header value: RFC 6750 §3, and with DPoP one challenge per offered
   * scheme (RFC 9449 §7.1, RFC 9110 §11.6.1), the error attributes on the one that applies.
   */
  get challenge(): string {
    const metadata = this.resourceMetadata;
    // RFC 9728 §5.1: on every challenge, with or without an error, whichever scheme it names.
    const realm =
      `realm=${quoteRealm(this.realm)}` +
      (metadata === undefined ? '' : `, resource_metadata=${quote(metadata)}`);
    const attributes: string[] = [];
    if (this.error !== undefined) {
      attributes.push(`error=${quote(this.error)}`, `error_description=${quote(this.description)}`);
    }
    attributes.push(...this.challengeAttributes());
    const set = this.challenges;
    const algs = set?.dpopAlgorithms;
    if (set === undefined || algs === undefined || algs.length === 0) {
      return `Bearer ${[realm, ...attributes].join(', ')}`;
    }
    const dpop = [realm, `algs=${quote(algs.join(' '))}`];
    // A proof or nonce error is about DPoP whatever the scheme; any other error goes on the
    // scheme the client used, or on DPoP when that scheme is not offered.
    const onBearer =
      set.bearer &&
      this.error !== 'invalid_dpop_proof' &&
      this.error !== 'use_dpop_nonce' &&
      set.used !== 'DPoP';
    const challenges: string[] = [];
    if (set.bearer)
      challenges.push(`Bearer ${[realm, ...(onBearer ? attributes : [])].join(', ')}`);
    challenges.push(`DPoP ${[...dpop, ...(onBearer ? [] : attributes)].join(', ')}`);
    return challenges.join(', ');
  }

  /** Response headers to send with this error. */
  get headers(): Record<string, string> {
    const nonce = this.challenges?.dpopNonce;
    return nonce === undefined
      ? { 'WWW-Authenticate': this.challenge }
      : { 'WWW-Authenticate': this.challenge, 'DPoP-Nonce': nonce };
  }

  /** JSON body per RFC 6750 (`{ error, error_description }`); empty for a missing token. */
  toJSON(): { error?: BearerErrorAttribute; error_description?: string } {
    if (this.error === undefined) return {};
    return { error: this.error, error_description: sanitizeAttribute(this.description) };
  }

  /**
   * The RFC 9457 problem details body (`application/problem+json`) of this error: `type` from
   * its code, the `title` of its family, `status`, `detail` (exactly the `error_description` of
   * {@link TokenwardError.toJSON}, so terse when that is; absent when that body has none) and
   * the extension members `code` and `error` (the latter only when RFC 6750 has one).
   *
   * @example
   * ```ts
   * new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token expired').terse().toProblem()
   * // { type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired', title: 'Invalid access token',
   * //   status: 401, detail: 'The access token expired', code: 'ERR_TOKEN_EXPIRED',
   * //   error: 'invalid_token' }
   * ```
   */
  toProblem(): ProblemDetails {
    // Through toJSON: the subclasses' bodies (a 429's, a 503's) decide what a client is told.
    const body: { error_description?: string } = this.toJSON();
    return problemDetails(this.code, this.status, this.error, body.error_description);
  }
}

/** The request carried no access token: 401 with a bare `Bearer realm` challenge. */
export class MissingTokenError extends TokenwardError {
  constructor(message = 'no access token in the request', options?: TokenwardErrorOptions) {
    super(401, undefined, 'ERR_TOKEN_MISSING', message, options);
  }
}

/** The request is malformed (RFC 6750 `invalid_request`, 400). */
export class InvalidRequestError extends TokenwardError {
  constructor(code: TokenwardErrorCode, message: string, options?: TokenwardErrorOptions) {
    super(400, 'invalid_request', code, message, options);
  }
}

/** The token is malformed, expired, forged or otherwise unacceptable (`invalid_token`, 401). */
export class InvalidTokenError extends TokenwardError {
  constructor(code: TokenwardErrorCode, message: string, options?: TokenwardErrorOptions) {
    super(401, 'invalid_token', code, message, options);
  }
}

/**
 * The DPoP proof of the request is missing or fails a check of RFC 9449 §4.3 (401,
 * `invalid_dpop_proof`, on the `DPoP` challenge).
 */
export class InvalidDPoPProofError extends TokenwardError {
  constructor(code: TokenwardErrorCode, message: string, options?: TokenwardErrorOptions) {
    super(401, 'invalid_dpop_proof', code, message, options);
  }
}

/**
 * The DPoP proof must carry the server's current nonce (RFC 9449 §8): 401 `use_dpop_nonce`, with
 * a fresh `DPoP-Nonce` header for the retry.
 */
export class UseDPoPNonceError extends TokenwardError {
  constructor(message: string, options?: TokenwardErrorOptions) {
    super(401, 'use_dpop_nonce', 'ERR_DPOP_NONCE_REQUIRED', message, options);
  }
}

/** The token is valid but lacks a scope, role or claim the route needs (403). */
export class InsufficientScopeError extends TokenwardError {
  /** Scopes the route requires, advertised in the challenge's `scope` attribute. */
  readonly requiredScopes: readonly string[];

  constructor(
    code: TokenwardErrorCode,
    message: string,
    requiredScopes: readonly string[] = [],
    options?: TokenwardErrorOptions,
  ) {
    super(403, 'insufficient_scope', code, message, options);
    this.requiredScopes = requiredScopes;
  }

  protected override challengeAttributes(): string[] {
    return this.requiredScopes.length > 0 ? [`scope=${quote(this.requiredScopes.join(' '))}`] : [];
  }
}
