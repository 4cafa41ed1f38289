/**
 * The ordered stages a token goes through (docs/architecture.md, "The pipeline"). Each stage is one
 * call into its folder's door; a later stage (binding, revocation) is one more entry in
 * {@link TOKEN_STAGES}. Stages run in order and stop at the first error.
 */
import { buildAccessToken } from '../claims/build-access-token';
import { trustedIssuer } from '../claims/trusted-issuer';
import { isCompactSerialization, splitCompact, type CompactToken } from '../compact/compact';
import type { IssuerTrust } from '../config/issuer-trust';
import type { VerificationPlan } from '../config/plan';
import { InvalidTokenError } from '../errors/errors';
import { decryptJWE } from '../jwe/decrypt-jwe';
import { openJWEContent } from '../jwe/nested';
import { checkReplicatedClaims } from '../jwe/replicated-claims';
import { verifyJWS } from '../jws/verify-jws';
import type { SignedWith } from '../cache/verified-token-cache';
import type { ImportedKey } from '../keys/key-input';
import { introspectOpaqueToken, requireActive } from '../introspection/introspect-token';
import type { AccessToken } from './access-token';
import { currentStageObserver, TOKEN_STAGE_NAMES, type TokenStageName } from './stage-observer';

/** What the stages have established about one token so far. */
export interface TokenWork {
  /** The token exactly as received. */
  readonly token: string;
  /** The time of the verification, in seconds since the epoch. */
  readonly now: number;
  compact?: CompactToken;
  /** The outer JWE protected header, once decrypted. */
  encryption?: Record<string, unknown>;
  /** The compact JWS left to verify: the token itself, or the inside of a nested token. */
  signed?: { readonly token: string; readonly segments: readonly string[] };
  /** The header, claims and issuer record, once the signature (or the shared key) vouched. */
  verified?: {
    readonly header: Record<string, unknown>;
    readonly claims: Record<string, unknown>;
    readonly trust: IssuerTrust;
    /** The signature key, absent for an unsigned encrypted token. */
    readonly key?: ImportedKey;
  };
  accessToken?: AccessToken;
}

/** One stage: reads what earlier stages set on `work`, adds its own part, or throws. */
export type TokenStage = (work: TokenWork, plan: VerificationPlan) => void | Promise<void>;

/** compact/: length cap, segments, charset (before any decoding); the encryption option. */
const compactStage: TokenStage = (work, plan) => {
  const compact = splitCompact(work.token, plan.maxTokenLength);
  if (compact.kind === 'JWS' && plan.encryption === 'required') {
    throw new InvalidTokenError(
      'ERR_JWE_REQUIRED',
      'the token is not encrypted and this verifier requires encryption (option encryption)',
    );
  }
  if (compact.kind === 'JWE' && plan.encryption === 'forbidden') {
    throw new InvalidTokenError(
      'ERR_JWE_NOT_ALLOWED',
      'encrypted tokens are not accepted (options decryptionKeys and encryption)',
    );
  }
  work.compact = compact;
  if (compact.kind === 'JWS') work.signed = { token: work.token, segments: compact.segments };
};

/** jwe/: header policy, decryption with our keys, the signed JWT inside. */
const jweStage: TokenStage = async (work, plan) => {
  const compact = work.compact as CompactToken;
  if (compact.kind !== 'JWE') return;
  const outer = await decryptJWE(work.token, compact.segments, {
    keyManagementAlgorithms: plan.keyManagementAlgorithms,
    contentEncryptionAlgorithms: plan.contentEncryptionAlgorithms,
    decryptionKeys: plan.decryptionKeys,
    externalDecryptionKeys: plan.externalDecryptionKeys,
    allowUnsigned: plan.allowUnsignedEncryptedTokens,
    cryptoPool: plan.cryptoPool,
    requireKid: plan.tenant !== undefined,
  });
  work.encryption = outer.header;
  const content = openJWEContent(outer, plan.maxTokenLength);
  if (content.kind === 'JWS') {
    work.signed = { token: content.token, segments: content.segments };
    return;
  }
  // An unsigned encrypted token: the shared key vouches for it; its issuer is checked the once.
  const trust = trustedIssuer(plan.trust, content.claims);
  work.verified = { header: outer.header, claims: content.claims, trust };
};

/** jws/: header policy, the issuer's record (the one issuer check), signature. */
const jwsStage: TokenStage = async (work, plan) => {
  if (work.signed === undefined) return;
  work.verified = await verifyJWS(work.signed.token, work.signed.segments, {
    algorithms: plan.algorithms,
    trustFor: (claims) => trustedIssuer(plan.trust, claims),
  });
};

/** jwe/: claims replicated in the JWE header equal the ones inside (RFC 7519 §5.3). */
const replicatedClaimsStage: TokenStage = (work) => {
  if (work.encryption !== undefined && work.verified !== undefined) {
    checkReplicatedClaims(work.encryption, work.verified.claims);
  }
};

/** claims/: token type, registered claims, mapping into the AccessToken. */
const claimsStage: TokenStage = (work) => {
  const { header, claims, trust } = work.verified as NonNullable<TokenWork['verified']>;
  work.accessToken = buildAccessToken(
    work.token,
    { header, claims, trust, encryption: work.encryption },
    work.now,
  );
};

/** The stages, in the order the security defaults require (named in stage-observer.ts). */
export const TOKEN_STAGES: readonly TokenStage[] = Object.freeze([
  compactStage,
  jweStage,
  jwsStage,
  replicatedClaimsStage,
  claimsStage,
]);

/**
 * Runs every stage on one token.
 *
 * @param now The time of the check, in seconds since the epoch.
 * @throws whatever the first failing stage throws (the verifier maps it to a TokenwardError).
 * @example
 * ```ts
 * const { accessToken } = await runTokenStages(token, plan, Math.floor(Date.now() / 1000))
 * ```
 */
export async function runTokenStages(
  token: string,
  plan: VerificationPlan,
  now: number,
): Promise<{ readonly accessToken: AccessToken; readonly signedWith: SignedWith | undefined }> {
  const work: TokenWork = { token, now };
  // `tokenward explain` observes the stages (stage-observer.ts); a verification outside it pays
  // one look-up here.
  const observe = currentStageObserver();
  for (let i = 0; i < TOKEN_STAGES.length; i++) {
    const pending = (TOKEN_STAGES[i] as TokenStage)(work, plan);
    if (pending !== undefined) await pending;
    observe?.({
      stage: TOKEN_STAGE_NAMES[i] as TokenStageName,
      ...(work.compact !== undefined && { kind: work.compact.kind }),
      ...(work.encryption !== undefined && { encryption: work.encryption }),
      ...(work.verified !== undefined && {
        header: work.verified.header,
        claims: work.verified.claims,
      }),
    });
  }
  const verified = work.verified as NonNullable<TokenWork['verified']>;
  return {
    accessToken: work.accessToken as AccessToken,
    signedWith:
      verified.key === undefined ? undefined : { source: verified.trust.source, key: verified.key },
  };
}

/** What {@link verifyToken} established about a token. */
export interface VerifiedToken {
  readonly accessToken: AccessToken;
  /** The signature key, for a verified JWS (the verified-token cache remembers it). */
  readonly signedWith: SignedWith | undefined;
  /**
   * Whether the verified-token cache may hold the token: never an introspected one, whose
   * answer the introspection cache keeps for as long as `introspection` allows, and no longer.
   */
  readonly cacheable: boolean;
}

/**
 * Verifies one token: a JWS or JWE by {@link TOKEN_STAGES}; with the `introspection` option, an
 * opaque token by introspection instead, and in its `'always'` mode a JWT by the stages and then
 * introspection. Without the option an opaque token fails the stages as it always has.
 *
 * @param nowMs The time of the check, in milliseconds since the epoch.
 * @throws whatever the first failing stage throws (the verifier maps it to a TokenwardError).
 * @example
 * ```ts
 * const { accessToken, cacheable } = await verifyToken(token, plan, Date.now())
 * ```
 */
export async function verifyToken(
  token: string,
  plan: VerificationPlan,
  nowMs: number,
): Promise<VerifiedToken> {
  const now = Math.floor(nowMs / 1000);
  const { introspection } = plan;
  // An over-long token goes to the stages, which refuse it before the shape is even scanned.
  if (
    introspection !== undefined &&
    token.length <= plan.maxTokenLength &&
    !isCompactSerialization(token)
  ) {
    const accessToken = await introspectOpaqueToken(token, introspection, plan.trust, now);
    return { accessToken, signedWith: undefined, cacheable: false };
  }
  const verified = await runTokenStages(token, plan, now);
  if (introspection?.mode !== 'always') return { ...verified, cacheable: true };
  await requireActive(verified.accessToken, introspection);
  return { ...verified, cacheable: false };
}
