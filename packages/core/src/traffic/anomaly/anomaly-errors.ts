/**
 * The refusals of the anomaly detectors and of the risk requirement. None blames the token's
 * signature; a quarantined token is refused as `invalid_token` because its holder should get a
 * new one (the copy that travelled is the one kept out).
 */
import { AccessDeniedError } from '../../errors/access-denied-error';
import { InvalidTokenError, type TokenwardErrorOptions } from '../../errors/errors';
import { ServiceUnavailableError } from '../../errors/service-unavailable-error';

/**
 * The token was used in a way a detector flagged (from too many addresses, with a replayed
 * proof) and is quarantined for a while: 401 `invalid_token`, `ERR_TOKEN_QUARANTINED`. The
 * client should get a new token; the copy in other hands stays refused until the block ends.
 */
export class TokenQuarantinedError extends InvalidTokenError {
  constructor(options?: TokenwardErrorOptions) {
    super(
      'ERR_TOKEN_QUARANTINED',
      'the token was used from unusual places and is suspended',
      options,
    );
  }
}

/**
 * The token's client, or the request's address, is blocked for a while after a detector
 * flagged it (a burst of denials, a revoked token presented): 403 `ERR_ANOMALY_BLOCKED` with
 * `Retry-After`, no challenge (a new token would not help).
 */
export class AnomalyBlockedError extends AccessDeniedError {
  /** Seconds until the block ends, at least 1. */
  readonly retryAfter: number;

  constructor(retryAfter: number, options?: TokenwardErrorOptions) {
    super(
      'ERR_ANOMALY_BLOCKED',
      'requests like this one are suspended for a while; retry later',
      options,
    );
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }

  /** `Retry-After` only. */
  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfter) };
  }
}

/** The request's risk score is at or above the route's limit: 403 `ERR_RISK_TOO_HIGH`. */
export class RiskTooHighError extends AccessDeniedError {
  constructor(options?: TokenwardErrorOptions) {
    super('ERR_RISK_TOO_HIGH', "the request's risk score is too high for this route", options);
  }
}

/**
 * The risk score cannot be computed (the anomaly store is failing, or the verifier assesses no
 * risk): 503 `ERR_RISK_UNAVAILABLE` with `Retry-After`, never an acceptance.
 */
export class RiskUnavailableError extends ServiceUnavailableError {
  constructor(
    detail = "the request's risk cannot be assessed right now",
    options?: TokenwardErrorOptions,
  ) {
    super('ERR_RISK_UNAVAILABLE', detail, 1, options);
  }
}
