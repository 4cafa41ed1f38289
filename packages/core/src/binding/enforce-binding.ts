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
import { accessTokenHash, checkDPoPProof, type ProofOutcome } from './dpop/verify-proof';
import { clientCertificateThumbprint } from './mtls/client-certificate';
import type { MtlsPlan } from './mtls/mtls-options';

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
  /** Client-certificate checks (RFC 8705 §3), when the `mtls` option is set. */
  readonly mtls: MtlsPlan | undefined;
}

/**
 * Checks that `token` is presented the way it is bound.
 *
 * @returns `undefined` when nothing asynchronous is needed (an unbound bearer token), else the
 *   pending proof check.
 * @throws InvalidTokenError for a token under the wrong scheme or without its client
 *   certificate; see checkDPoPProof for proofs.
 */
export function enforceBinding(
  token: AccessToken,
  input: BindingInput,
  plan: BindingPlan,
): Promise<ProofOutcome> | undefined {
  const { binding } = token;
  // Checked first and on its own: a token bound to a certificate and a DPoP key needs both.
  if (binding.x5t !== undefined) checkCertificate(binding.x5t, input.request, plan.mtls);
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
        ath: athOf(token),
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

/**
 * RFC 8705 §3.1: the request's client certificate must be the one whose SHA-256 thumbprint the
 * token carries.
 *
 * @throws InvalidTokenError `ERR_TOKEN_BOUND` without the `mtls` option,
 *   `ERR_MTLS_CERTIFICATE_MISSING` without a request or a certificate,
 *   `ERR_MTLS_CERTIFICATE_MISMATCH` for another certificate.
 */
function checkCertificate(
  x5t: string,
  request: RequestLike | undefined,
  mtls: MtlsPlan | undefined,
): void {
  if (mtls === undefined) {
    throw new InvalidTokenError(
      'ERR_TOKEN_BOUND',
      'the token is bound to a client certificate (cnf x5t#S256) and this verifier does not check client certificates (option mtls)',
    );
  }
  if (request === undefined) {
    throw new InvalidTokenError(
      'ERR_MTLS_CERTIFICATE_MISSING',
      'the token is bound to a client certificate (cnf x5t#S256): verify it with verifyRequest, which reads the certificate from the request',
    );
  }
  const presented = clientCertificateThumbprint(request, mtls);
  if (presented === undefined) {
    throw new InvalidTokenError(
      'ERR_MTLS_CERTIFICATE_MISSING',
      'the token is bound to a client certificate (cnf x5t#S256) and the request presented none',
    );
  }
  // Thumbprints are public values: a plain comparison leaks nothing worth a constant-time one.
  if (presented !== x5t) {
    throw new InvalidTokenError(
      'ERR_MTLS_CERTIFICATE_MISMATCH',
      'the client certificate is not the one the token is bound to (cnf x5t#S256)',
    );
  }
}

/**
 * A token's `ath` (RFC 9449 §4.2), hashed once per verified token: a cached token is the same
 * object on every hit, and each of its requests carries a new proof that must match it. Held
 * weakly, so it leaves with the token.
 */
const athByToken = new WeakMap<AccessToken, string>();
function athOf(token: AccessToken): string {
  let ath = athByToken.get(token);
  if (ath === undefined) {
    ath = accessTokenHash(token.token);
    athByToken.set(token, ath);
  }
  return ath;
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
