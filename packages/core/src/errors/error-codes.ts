/**
 * The built-in error codes at run time: {@link TokenwardErrorCodes} is an interface (so
 * applications can augment it), which leaves nothing to iterate over. The compiler refuses a key
 * here that is not a code; test/errors/problem-details.test.ts refuses a code of the interface
 * missing here (a completeness check in this file would fail for every application that adds a
 * code by augmentation).
 */
import type { BearerErrorAttribute } from './descriptions';
import type { TokenwardErrorCode, TokenwardErrorCodes } from './errors';

/** The HTTP status and `error` attribute a built-in code is always answered with. */
export interface ErrorCodeOutcome {
  /** The HTTP status. */
  readonly status: number;
  /** The RFC 6750 / RFC 9449 `error` attribute, absent for the refusals that have none. */
  readonly error?: BearerErrorAttribute;
}

const missing = { status: 401 } as const;
const request = { status: 400, error: 'invalid_request' } as const;
const token = { status: 401, error: 'invalid_token' } as const;
const scope = { status: 403, error: 'insufficient_scope' } as const;
const proof = { status: 401, error: 'invalid_dpop_proof' } as const;
const nonce = { status: 401, error: 'use_dpop_nonce' } as const;
const stepUp = { status: 401, error: 'insufficient_user_authentication' } as const;
const denied = { status: 403 } as const;
const limited = { status: 429 } as const;
const unavailable = { status: 503 } as const;

/**
 * Every built-in code with its outcome, as {@link TokenwardErrorCodes} lists them. Internal:
 * the docs/errors.md table is generated from it and checked against it.
 */
export const ERROR_CODE_OUTCOMES = Object.freeze({
  ERR_TOKEN_MISSING: missing,
  ERR_REQUEST_MALFORMED: request,
  ERR_REQUEST_MULTIPLE_TOKENS: request,
  ERR_REQUEST_TOKEN_LOCATION_DISABLED: request,
  ERR_TOKEN_TOO_LONG: token,
  ERR_TOKEN_MALFORMED: token,
  ERR_TOKEN_DUPLICATE_MEMBER: token,
  ERR_JWS_ALG_NOT_ALLOWED: token,
  ERR_HEADER_KEY_NOT_ALLOWED: token,
  ERR_JWS_CRIT_UNSUPPORTED: token,
  ERR_JWS_KEY_NOT_FOUND: token,
  ERR_KEY_LOOKUP_FAILED: token,
  ERR_JWS_SIGNATURE_INVALID: token,
  ERR_JWE_NOT_ALLOWED: token,
  ERR_JWE_REQUIRED: token,
  ERR_JWE_ALG_NOT_ALLOWED: token,
  ERR_JWE_ENC_NOT_ALLOWED: token,
  ERR_JWE_ZIP_NOT_ALLOWED: token,
  ERR_JWE_CRIT_UNSUPPORTED: token,
  ERR_JWE_NOT_NESTED: token,
  ERR_JWE_INNER_NOT_JWS: token,
  ERR_JWE_KEY_NOT_FOUND: token,
  ERR_JWE_DECRYPTION_FAILED: token,
  ERR_JWE_HEADER_CLAIM_MISMATCH: token,
  ERR_TOKEN_TYPE_INVALID: token,
  ERR_CLAIM_MISSING: token,
  ERR_CLAIM_INVALID: token,
  ERR_ISSUER_INVALID: token,
  ERR_AUDIENCE_INVALID: token,
  ERR_TOKEN_EXPIRED: token,
  ERR_TOKEN_NOT_YET_VALID: token,
  ERR_TOKEN_ISSUED_IN_FUTURE: token,
  ERR_TOKEN_TOO_OLD: token,
  ERR_TOKEN_LIFETIME_TOO_LONG: token,
  ERR_TOKEN_REJECTED: token,
  ERR_KEYS_UNAVAILABLE: unavailable,
  ERR_VERIFIER_BUSY: unavailable,
  ERR_SCOPE_MISSING: scope,
  ERR_ROLE_MISSING: scope,
  ERR_CLAIM_MISMATCH: scope,
  ERR_TOKEN_BOUND: token,
  ERR_DPOP_TOKEN_NOT_BOUND: token,
  ERR_DPOP_REQUIRED: token,
  ERR_BINDING_REQUIRED: token,
  ERR_TOKEN_REVOKED: token,
  ERR_TOKEN_INACTIVE: token,
  ERR_MTLS_CERTIFICATE_MISSING: token,
  ERR_MTLS_CERTIFICATE_MISMATCH: token,
  ERR_DPOP_PROOF_MISSING: proof,
  ERR_DPOP_PROOF_MULTIPLE: proof,
  ERR_DPOP_PROOF_TOO_LONG: proof,
  ERR_DPOP_PROOF_MALFORMED: proof,
  ERR_DPOP_TYP_INVALID: proof,
  ERR_DPOP_ALG_NOT_ALLOWED: proof,
  ERR_DPOP_JWK_INVALID: proof,
  ERR_DPOP_SIGNATURE_INVALID: proof,
  ERR_DPOP_HTM_MISMATCH: proof,
  ERR_DPOP_HTU_MISMATCH: proof,
  ERR_DPOP_IAT_INVALID: proof,
  ERR_DPOP_ATH_MISMATCH: proof,
  ERR_DPOP_JKT_MISMATCH: proof,
  ERR_DPOP_REPLAYED: proof,
  ERR_DPOP_NONCE_REQUIRED: nonce,
  ERR_REPLAY_STORE_UNAVAILABLE: unavailable,
  ERR_REVOCATION_UNAVAILABLE: unavailable,
  ERR_INTROSPECTION_UNAVAILABLE: unavailable,
  ERR_RATE_LIMITED: limited,
  ERR_IP_NOT_ALLOWED: denied,
  ERR_CLIENT_NOT_APPROVED: denied,
  ERR_CLIENT_APPROVAL_UNAVAILABLE: unavailable,
  ERR_FAILURE_BUDGET_EXHAUSTED: limited,
  ERR_TOKEN_QUARANTINED: token,
  ERR_ANOMALY_BLOCKED: denied,
  ERR_RISK_TOO_HIGH: denied,
  ERR_RISK_UNAVAILABLE: unavailable,
  ERR_TENANT_UNKNOWN: request,
  ERR_ACR_INSUFFICIENT: stepUp,
  ERR_AUTH_TIME_MISSING: stepUp,
  ERR_AUTH_TOO_OLD: stepUp,
  ERR_KEY_SERVICE_UNAVAILABLE: unavailable,
} satisfies { readonly [code in keyof TokenwardErrorCodes]?: ErrorCodeOutcome });

/**
 * Every built-in error code of {@link TokenwardErrorCodes} (not the codes an application
 * adds by augmentation are not in it). Use it to map every code once, in a test or a table.
 *
 * @example
 * ```ts
 * for (const code of TOKENWARD_ERROR_CODES) console.log(code, problemType(code))
 * ```
 */
export const TOKENWARD_ERROR_CODES: readonly TokenwardErrorCode[] = Object.freeze(
  Object.keys(ERROR_CODE_OUTCOMES) as TokenwardErrorCode[],
);
