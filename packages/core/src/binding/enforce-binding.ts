/**
 * The binding stage: a verified token is used the way its `cnf` claim says, on every request,
 * cached or not. A DPoP-bound token only under the `DPoP` scheme with a valid proof by its key;
 * an unbound token only under `Bearer` (and not at all when DPoP is required); a
 * certificate-bound token only with that client certificate.
 */
import type { AuthScheme } from '../errors/errors';
import { InvalidDPoPProofError, InvalidTokenError } from '../errors/errors';
import type { RequestLike } from '../http/request';
import type { AccessToken } from '../verifier/access-token';
import type { DPoPPlan } from './dpop/dpop-options';
import { normalizeHtu, requestHtu } from './dpop/htu';
import { checkDPoPProof, type ProofOutcome } from './dpop/verify-proof';

/** Where the proof and the request URI come from. */
export interface BindingInput {
  /** The scheme the token was presented under. */
  readonly scheme: AuthScheme;
  /** The `DPoP` header value, read once from the request. */
  readonly proof: string | undefined;
  /** The request method. */
  readonly method: string | undefined;
  /**
   * The request's URI for `htu`: an absolute URL (`verify` with `context.dpop`), or the public
   * origin and the request-target as received.
   */
  readonly url:
    string | { readonly origin: string | undefined; readonly target: string | undefined };
  /** The time of the check, in milliseconds. */
  readonly nowMs: number;
  /** The request, when there is one (`verifyRequest`): where a client certificate is read. */
  readonly request?: RequestLike;
}

/** The binding checks a verifier was configured with. */
export interface BindingPlan {
  readonly dpop: DPoPPlan | undefined;
}

/**
 * Checks that `token` is presented the way it is bound.
 *
 * @returns `undefined` when nothing asynchronous is needed (an unbound bearer token), else the
 *   pending proof check.
 * @throws InvalidTokenError for a token under the wrong scheme; see checkDPoPProof for proofs.
 */
export function enforceBinding(
  token: AccessToken,
  input: BindingInput,
  plan: BindingPlan,
): Promise<ProofOutcome> | undefined {
  const { binding } = token;
  if (binding.x5t !== undefined) {
    // Certificate-bound tokens are refused until this verifier checks client certificates.
    throw new InvalidTokenError(
      'ERR_TOKEN_BOUND',
      'the token is bound to a client certificate (cnf x5t#S256), which this verifier does not check',
    );
  }
  const { dpop } = plan;
  if (input.scheme === 'DPoP') {
    if (dpop === undefined) {
      throw new InvalidDPoPProofError(
        'ERR_DPOP_PROOF_MALFORMED',
        'DPoP is not enabled (option dpop)',
      );
    }
    if (binding.jkt === undefined) {
      throw new InvalidTokenError(
        'ERR_DPOP_TOKEN_NOT_BOUND',
        'the token is not DPoP-bound (no cnf.jkt); present it under the Bearer scheme',
      );
    }
    return checkDPoPProof(
      {
        proof: input.proof,
        method: input.method ?? '',
        htu: htuOf(input.url, dpop),
        accessToken: token.token,
        jkt: binding.jkt,
        nowMs: input.nowMs,
      },
      dpop,
    );
  }
  // RFC 9449 §7.1: a DPoP-bound token under Bearer is a downgrade, refused whether or not this
  // verifier checks proofs.
  if (binding.jkt !== undefined) {
    throw new InvalidTokenError(
      'ERR_TOKEN_BOUND',
      dpop === undefined
        ? 'the token is DPoP-bound (cnf.jkt) and this verifier does not check DPoP proofs (option dpop)'
        : 'the token is DPoP-bound (cnf.jkt): present it under the DPoP scheme with a DPoP proof',
    );
  }
  if (dpop?.required === true) {
    throw new InvalidTokenError(
      'ERR_DPOP_REQUIRED',
      'this API accepts DPoP-bound tokens only, presented under the DPoP scheme (option dpop.required)',
    );
  }
  return undefined;
}

/** The request's normalised htu, the configured origin winning over the adapter's. */
function htuOf(url: BindingInput['url'], dpop: DPoPPlan): string | undefined {
  if (typeof url === 'string') {
    const end = url.search(/[?#]/);
    return normalizeHtu(end < 0 ? url : url.slice(0, end));
  }
  const origin = dpop.origin ?? url.origin;
  if (origin === undefined || url.target === undefined) return undefined;
  return requestHtu(origin, url.target);
}
