/**
 * The DPoP proof check of RFC 9449 §4.3 and §7 on one request: every check that needs no
 * signature first (so a forged proof costs less than a valid one), then the signature, then the
 * proof's `jti` claimed once in the replay store, last, so a proof that fails any check never
 * uses up a claim.
 */
import { hash } from 'node:crypto';
import { decodeHeaderSegment, decodeJSONSegment, isCanonicalSegment } from '../../compact/compact';
import { normalizeMediaType } from '../../compact/media-type';
import {
  InvalidDPoPProofError,
  UseDPoPNonceError,
  type TokenwardErrorCode,
} from '../../errors/errors';
import { ReplayCheckUnavailableError } from '../../errors/replay-check-unavailable-error';
import { verifySignature } from '../../jws/jws-signature';
import type { DPoPPlan } from './dpop-options';
import { MAX_PROOF_LENGTH } from './dpop-options';
import { normalizeHtu } from './htu';
import type { ProofKey } from './proof-key';
import { claimSync } from '../replay-store';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The longest `jti` accepted: RFC 9449 asks for 96 bits of randomness; 256 characters is ample. */
const MAX_JTI_LENGTH = 256;
const PROOF_CLAIMS_LIMITS = { maxDepth: 4, maxMembers: 64 };

/** One request's side of the proof check. */
export interface ProofRequest {
  /** The `DPoP` header value (one line; see readDPoPHeader). */
  readonly proof: string | undefined;
  /** The request method, as received. */
  readonly method: string;
  /** The request's own normalised htu, or undefined when the public origin is unknown. */
  readonly htu: string | undefined;
  /**
   * The `ath` the proof must carry: {@link accessTokenHash} of the access token exactly as sent
   * (for a nested token, the outer JWE).
   */
  readonly ath: string;
  /** The token's `cnf.jkt`. */
  readonly jkt: string;
  /** The time of the check, in milliseconds. */
  readonly nowMs: number;
}

/** What a valid proof leaves for the response. */
export interface ProofOutcome {
  /** The proof carried the previous step's nonce: the response offers the current one. */
  readonly staleNonce: boolean;
}

const refuse = (code: TokenwardErrorCode, message: string, cause?: unknown): never => {
  throw new InvalidDPoPProofError(code, message, cause === undefined ? undefined : { cause });
};

/**
 * base64url(SHA-256(ASCII(token))), the `ath` claim (RFC 9449 §4.2). Every token verified has
 * passed the compact-serialization or the RFC 6750 b64token check, so its UTF-8 bytes (what
 * `hash` encodes) are its ASCII bytes; the one-shot `hash` costs about half of a `createHash`
 * object.
 */
export function accessTokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * Checks the DPoP proof of a request for a token bound to `jkt`.
 *
 * Not `async`: a proof that fails a check before the signature throws at once, and a valid one
 * costs one promise (the signature's) and one `then`, not an async function's own promise and
 * resumption on top.
 *
 * @throws InvalidDPoPProofError for a missing proof or one that fails a check before the
 *   signature, UseDPoPNonceError when the proof lacks a valid server nonce.
 * @returns the outcome once the signature has verified and the proof's `jti` is claimed; rejects
 *   with InvalidDPoPProofError for a bad signature or a replayed proof, and with
 *   ReplayCheckUnavailableError when the replay store cannot answer.
 */
export function checkDPoPProof(request: ProofRequest, plan: DPoPPlan): Promise<ProofOutcome> {
  const { proof } = request;
  if (proof === undefined || proof === '') {
    refuse('ERR_DPOP_PROOF_MISSING', 'the request has no DPoP proof header');
  }
  const value = proof as string;
  if (value.length > MAX_PROOF_LENGTH) {
    refuse(
      'ERR_DPOP_PROOF_TOO_LONG',
      `the DPoP proof is longer than ${MAX_PROOF_LENGTH} characters`,
    );
  }
  // RFC 9449 §4.3 check 2: a well-formed JWS (compact; the JSON serialization is not a header).
  if (!COMPACT_JWS.test(value))
    refuse('ERR_DPOP_PROOF_MALFORMED', 'the DPoP proof is not a compact JWS');
  const segments = value.split('.');
  if (!segments.every(isCanonicalSegment)) {
    refuse('ERR_DPOP_PROOF_MALFORMED', 'the DPoP proof is not canonical base64url');
  }
  // A client signs every proof with one key, so its protected header repeats byte for byte: a
  // header checked once (checks 4, 5, 7 and the thumbprint) is not parsed or hashed again.
  const { alg, key } = plan.keys.checkedHeader(segments[0] as string, () =>
    checkHeader(segments[0] as string, plan),
  );
  let claims: Record<string, unknown>;
  try {
    claims = decodeJSONSegment(segments[1] as string, 'DPoP proof claims', PROOF_CLAIMS_LIMITS);
  } catch (error) {
    return refuse('ERR_DPOP_PROOF_MALFORMED', 'the DPoP proof claims are not a JSON object', error);
  }
  // Check 12 first among the claim checks: a proof by another key is not this token's holder.
  if (key.jkt !== request.jkt) {
    refuse(
      'ERR_DPOP_JKT_MISMATCH',
      "the DPoP proof's key is not the key the token is bound to (cnf.jkt)",
    );
  }
  const { jti, htm, htu, iat, ath } = claims;
  // Check 3: the required claims.
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    refuse(
      'ERR_DPOP_PROOF_MALFORMED',
      `the DPoP proof's jti is not a string of 1 to ${MAX_JTI_LENGTH} characters`,
    );
  }
  // Check 8: the method (RFC 9110 §9.1: method names are case-sensitive).
  if (typeof htm !== 'string' || htm !== request.method) {
    refuse('ERR_DPOP_HTM_MISMATCH', "the DPoP proof's htm is not the request method");
  }
  // Check 9: the URI, without query and fragment.
  if (request.htu === undefined) {
    refuse(
      'ERR_DPOP_HTU_MISMATCH',
      "the API's public origin is unknown, so htu cannot be checked (option dpop.origin)",
    );
  }
  // request.htu is in normal form and normalizeHtu is idempotent, so a proof whose htu is that
  // form already (what clients send) matches without being normalised again.
  if (typeof htu !== 'string' || (htu !== request.htu && normalizeHtu(htu) !== request.htu)) {
    refuse(
      'ERR_DPOP_HTU_MISMATCH',
      "the DPoP proof's htu is not the request URI (scheme, host, port and path; no query or fragment)",
    );
  }
  // Check 11: iat within the window, the clock tolerance on both sides.
  const now = Math.floor(request.nowMs / 1000);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    refuse('ERR_DPOP_PROOF_MALFORMED', "the DPoP proof's iat is not a number");
  }
  if ((iat as number) > now + plan.clockTolerance) {
    refuse('ERR_DPOP_IAT_INVALID', 'the DPoP proof was issued in the future');
  }
  if ((iat as number) < now - plan.proofMaxAge - plan.clockTolerance) {
    refuse(
      'ERR_DPOP_IAT_INVALID',
      `the DPoP proof is older than ${plan.proofMaxAge} seconds (option dpop.proofMaxAge)`,
    );
  }
  // Check 12: ath over the token exactly as sent.
  if (typeof ath !== 'string' || ath !== request.ath) {
    refuse('ERR_DPOP_ATH_MISMATCH', "the DPoP proof's ath is not the hash of the access token");
  }
  // Check 10: the server's nonce, current or previous step.
  let staleNonce = false;
  if (plan.nonces !== undefined) {
    const verdict = plan.nonces.check(claims.nonce, request.nowMs);
    if (verdict === 'invalid') {
      throw new UseDPoPNonceError(
        claims.nonce === undefined
          ? 'the DPoP proof must carry the nonce from the DPoP-Nonce header'
          : "the DPoP proof's nonce is not current; use the one from the DPoP-Nonce header",
      );
    }
    staleNonce = verdict === 'previous';
  }
  // Check 6: the signature, once everything cheap has passed.
  let signed: Promise<boolean> | boolean;
  try {
    signed = verifySignature(alg, key.key, value, segments);
  } catch (error) {
    return refuse(
      'ERR_DPOP_SIGNATURE_INVALID',
      'the DPoP proof signature could not be checked',
      error,
    );
  }
  // §11.1: the proof is used once, whichever instance sees it. The key holds the thumbprint,
  // whose base64url alphabet has no ':', so two keys' proof ids cannot collide.
  const id = `${key.jkt}:${jti as string}`;
  const outcome: ProofOutcome = { staleNonce };
  return Promise.resolve(signed).then(
    (valid): ProofOutcome | Promise<ProofOutcome> => {
      if (!valid) refuse('ERR_DPOP_SIGNATURE_INVALID', 'the DPoP proof signature is invalid');
      const claimNow = claimSync(plan.replayStore);
      if (claimNow === undefined) return claimOnce(id, plan).then(() => outcome);
      claimInProcess(id, plan, claimNow);
      return outcome;
    },
    (error: unknown) =>
      refuse('ERR_DPOP_SIGNATURE_INVALID', 'the DPoP proof signature could not be checked', error),
  );
}

/**
 * Accepted at t, a proof has iat in [t - maxAge - tolerance, t + tolerance]; it stays
 * acceptable until iat + maxAge + tolerance, at most t + maxAge + 2 × tolerance: the claim's TTL.
 */
const claimTtl = (plan: DPoPPlan): number => plan.proofMaxAge + 2 * plan.clockTolerance;

/**
 * Claims a proof id in a store that answers synchronously (the memory store): it cannot hang, so
 * no timer races it; a store that cannot claim (full) is unavailable, as for any store.
 */
function claimInProcess(
  id: string,
  plan: DPoPPlan,
  claimNow: (key: string, ttlSeconds: number) => boolean,
): void {
  let first: boolean;
  try {
    first = claimNow(id, claimTtl(plan));
    plan.storeState.failing = false;
  } catch (error) {
    storeFailed(error, plan);
    return;
  }
  if (!first) refuse('ERR_DPOP_REPLAYED', 'the DPoP proof was used before');
}

/** Claims a proof id for the whole window a proof with that `iat` could still be accepted. */
async function claimOnce(id: string, plan: DPoPPlan): Promise<void> {
  const ttl = claimTtl(plan);
  let timer: NodeJS.Timeout | undefined;
  let first: boolean;
  try {
    first = await Promise.race([
      Promise.resolve().then(() => plan.replayStore.claim(id, ttl)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`the replay store did not answer within ${plan.replayStoreTimeout} ms`),
            ),
          plan.replayStoreTimeout,
        );
      }),
    ]);
    plan.storeState.failing = false;
  } catch (error) {
    storeFailed(error, plan);
    return;
  } finally {
    clearTimeout(timer);
  }
  if (first !== true) refuse('ERR_DPOP_REPLAYED', 'the DPoP proof was used before');
}

/**
 * A store that could not answer: the proof is accepted unclaimed under
 * `onReplayStoreError: 'accept'` (one warning per outage), else refused as unavailable (503).
 */
function storeFailed(error: unknown, plan: DPoPPlan): void {
  if (plan.acceptOnStoreError) {
    // One warning per outage, not one per request.
    if (!plan.storeState.failing) {
      plan.storeState.failing = true;
      plan.warn(
        'the DPoP replay store cannot answer; proofs are accepted unclaimed (dpop.onReplayStoreError: accept)',
        { error: error instanceof Error ? error.message : String(error) },
      );
    }
    return;
  }
  throw new ReplayCheckUnavailableError(1, { cause: error });
}

/** Checks 4, 5 and 7 of RFC 9449 §4.3 on a protected header, and imports its key. */
function checkHeader(segment: string, plan: DPoPPlan): { alg: string; key: ProofKey } {
  let header: Record<string, unknown>;
  try {
    header = decodeHeaderSegment(segment, 'JWS');
  } catch (error) {
    return refuse('ERR_DPOP_PROOF_MALFORMED', 'the DPoP proof header is not a JSON object', error);
  }
  // Check 4: typ dpop+jwt (media types are case-insensitive, RFC 7515 §4.1.9).
  if (typeof header.typ !== 'string' || normalizeMediaType(header.typ) !== 'dpop+jwt') {
    refuse('ERR_DPOP_TYP_INVALID', "the DPoP proof's typ is not dpop+jwt");
  }
  // Check 5: an allowlisted asymmetric algorithm (never none, never HMAC).
  const alg = header.alg;
  if (typeof alg !== 'string' || !plan.algorithms.has(alg)) {
    refuse(
      'ERR_DPOP_ALG_NOT_ALLOWED',
      `the DPoP proof alg is not one of ${plan.challengeAlgorithms.join(', ')} (option dpop.algorithms)`,
    );
  }
  if (header.crit !== undefined) {
    refuse(
      'ERR_DPOP_PROOF_MALFORMED',
      'the DPoP proof has crit header parameters, none of which are understood',
    );
  }
  // Check 7: a public key of the right type; its thumbprint is what the token is bound to.
  return { alg: alg as string, key: plan.keys.importFor(header.jwk, alg as string) };
}
