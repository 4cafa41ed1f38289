/**
 * What the binding stage needs from one request, and what a verifier with DPoP challenges: kept
 * apart from `create-verifier.ts`, which composes them.
 */
import type { DPoPPlan } from '../binding/dpop/dpop-options';
import { readDPoPHeader } from '../binding/dpop/proof-header';
import type { BindingInput } from '../binding/enforce-binding';
import type { AuthScheme, ChallengeSet } from '../errors/errors';
import { readAuthorization } from '../http/authorization';
import type { ExtractedToken, RequestLike } from '../http/request';
import type { VerifyContext } from './types';

/**
 * The binding input of a request: its scheme, its proof (read once), its URI and the request.
 *
 * @throws InvalidDPoPProofError for a request with several `DPoP` headers.
 */
export function requestBindingInput(
  found: ExtractedToken,
  request: RequestLike,
  context: VerifyContext | undefined,
  nowMs: number,
): BindingInput {
  return {
    scheme: found.scheme,
    proof: found.scheme === 'DPoP' ? readDPoPHeader(request) : undefined,
    method: request.method,
    url: { origin: context?.origin, target: request.originalUrl ?? request.url },
    nowMs,
    request,
  };
}

/** The binding input of `verify`: the proof in `context.dpop`, or a bearer token. */
export function tokenBindingInput(context: VerifyContext | undefined, nowMs: number): BindingInput {
  const given = context?.dpop;
  return given === undefined
    ? { scheme: 'Bearer', proof: undefined, method: undefined, url: '', nowMs }
    : { scheme: 'DPoP', proof: given.proof, method: given.method, url: given.url, nowMs };
}

/**
 * The challenges of a refusal by a verifier with DPoP: the schemes it offers, the one the request
 * used (its error attributes go there), and a fresh server nonce.
 */
export function dpopChallenges(
  dpop: DPoPPlan,
  request: RequestLike | undefined,
  context: VerifyContext | undefined,
  nowMs: number,
): ChallengeSet {
  let used: AuthScheme | undefined = context?.dpop === undefined ? undefined : 'DPoP';
  if (used === undefined && request !== undefined) {
    try {
      used = readAuthorization(request, true)?.scheme;
    } catch {
      // A malformed header: no scheme to put the error on; it goes on the first offered.
    }
  }
  return {
    bearer: !dpop.required,
    dpopAlgorithms: dpop.challengeAlgorithms,
    ...(used !== undefined && { used }),
    ...(dpop.nonces !== undefined && { dpopNonce: dpop.nonces.issue(nowMs) }),
  };
}
