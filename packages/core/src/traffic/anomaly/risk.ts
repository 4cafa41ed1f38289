/**
 * The risk score exposed to policies: `requireRiskBelow(n)` as a route requirement, and
 * `assessRisk` for policies of one's own. The score comes from the anomaly detectors of the
 * verifier that verified the token (the `anomalies` option), found through the token object.
 */
import type { RouteRequirement } from '../../authz/policies';
import type { RequestLike } from '../../http/request';
import type { AccessToken } from '../../verifier/access-token';
import type { AnomalyDetector, RiskScore } from './anomaly-detector';
import { RiskTooHighError, RiskUnavailableError } from './anomaly-errors';

// The detectors of the verifier that accepted each token object (cache hits return the same
// object, so this is one entry per verified token, dropped with it).
const detectors = new WeakMap<AccessToken, AnomalyDetector>();

/**
 * Records the detectors that assess `token`'s requests.
 *
 * @internal
 */
export function registerRiskSource(token: AccessToken, detector: AnomalyDetector): void {
  if (detectors.get(token) !== detector) detectors.set(token, detector);
}

/**
 * The risk score of a request with `token`, from 0 to 100 (formula: docs/traffic-control.md,
 * "Risk score"); `'unknown'` while the anomaly store fails; `undefined` when the verifier that
 * accepted the token has no `anomalies` option.
 *
 * @param token A token a verifier accepted.
 * @param request The request, for the signals about its address.
 * @example
 * ```ts
 * const risk = assessRisk(req.auth, req)
 * if (typeof risk === 'number' && risk >= 30) requireStepUp()
 * ```
 */
export function assessRisk(token: AccessToken, request?: RequestLike): RiskScore | undefined {
  return detectors.get(token)?.risk(token, request, Date.now());
}

/**
 * Requires the request's risk score to be below `limit`: 403 `ERR_RISK_TOO_HIGH` at or above
 * it, 503 `ERR_RISK_UNAVAILABLE` when the score cannot be computed (the anomaly store fails, or
 * the verifier has no `anomalies` option). Run with the request (the adapters' route step), the
 * address's signals count (also inside `allOf`/`anyOf`); as a plain policy with the token
 * alone, only the token's and its client's.
 *
 * @param limit A score from 1 to 100.
 * @throws TypeError for another limit.
 * @example
 * ```ts
 * app.post('/transfers', authenticate(verifier), authorize(requireRiskBelow(50)), transfer)
 * ```
 */
export function requireRiskBelow(limit: number): RouteRequirement {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new TypeError('requireRiskBelow: expected a whole number from 1 to 100');
  }
  const check = (token: AccessToken, request: RequestLike | undefined): void => {
    const detector = detectors.get(token);
    if (detector === undefined) {
      throw new RiskUnavailableError('the verifier assesses no risk (no anomalies option)');
    }
    const risk = detector.risk(token, request, Date.now());
    if (risk === 'unknown') throw new RiskUnavailableError();
    if (risk >= limit) throw new RiskTooHighError();
  };
  return Object.assign((token: AccessToken) => check(token, undefined), {
    forRequest: (token: AccessToken, request: RequestLike) => check(token, request),
  });
}
