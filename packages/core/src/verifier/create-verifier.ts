/**
 * `createVerifier`: composes the stages of verifier/pipeline.ts with the options plan, the
 * verified-token cache and the HTTP extraction, in the order docs/architecture.md describes.
 */
import { VerifiedTokenCache } from '../cache/verified-token-cache';
import { checkTimeClaims } from '../claims/validate-claims';
import { buildPlan, type VerificationPlan } from '../config/plan';
import type { VerifierOptions } from '../config/verifier-options';
import { InvalidTokenError, TokenwardError } from '../errors/errors';
import { checkTokenSyntax } from '../http/authorization';
import { clientAddressOf } from '../http/client-address';
import { extractToken } from '../http/extract-token';
import type { AccessToken } from './access-token';
import { verifyToken } from './pipeline';
import { cachedOpaqueToken } from '../introspection/introspect-token';
import type { RequestLike } from '../http/request';
import { reportRejection, unverifiedIssuer } from './rejection';
import { registerBindingContext, registerCachePath, registerRouteDecisions } from './sync-path';
import type { DecisionPlace } from '../audit/auditor';
import type { SignedWith } from '../cache/verified-token-cache';
import type { Verifier, VerifyContext } from './types';
import { enforceBinding, type BindingInput } from '../binding/enforce-binding';
import { dpopChallenges, requestBindingInput, tokenBindingInput } from './request-binding';
import { RevocationUnavailableError } from '../errors/revocation-unavailable-error';
import { checkClientNetwork, clientNetworkAllows } from '../traffic/ip-allowlist';
import { approvalOf, checkApproval } from '../traffic/approved-clients';
import { FailureBudgetExhaustedError } from '../traffic/failure-budget';
import { FailureBudgetGate } from './failure-budget-gate';
import { AnomalyDetector } from '../traffic/anomaly/anomaly-detector';
import { registerRiskSource } from '../traffic/anomaly/risk';
import { registerResourceMetadata } from '../metadata/protected-resource-metadata';
import { registerEncryptionKeys } from '../keys/encryption-keys';

/**
 * Creates a verifier for access tokens: signed JWTs, and nested JWTs (a signed JWT encrypted to
 * this resource server) when `decryptionKeys` are given.
 *
 * @param options Validated once here; a `TypeError` names the offending option.
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com/',
 *   audience: 'https://api.example.com',
 *   keys: issuerJwks,                // the issuer's public JWK Set
 *   decryptionKeys: ourPrivateJwks,  // our private keys, selected by the JWE kid
 *   encryption: 'required',
 * })
 * const accessToken = await verifier.verify(token)
 * accessToken.scopes.has('messages:read')
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const plan = buildPlan(options);
  const cache = plan.cache && new VerifiedTokenCache(plan.cache);
  const { realm, auditor, metrics, dpop, revocation } = plan;
  const { clientNetworks, approvedClients, failureBudget } = plan;
  const budget = failureBudget && new FailureBudgetGate(failureBudget);
  const anomalies = plan.anomalies && new AnomalyDetector(plan.anomalies, auditor, metrics);
  const binding = { dpop, mtls: plan.mtls };
  const maxTokenLifetimes = Object.freeze(
    Object.fromEntries(
      [...plan.trust]
        .filter(([, t]) => t.rules.maxTokenLifetime !== undefined)
        .map(([issuer, t]) => [issuer, t.rules.maxTokenLifetime as number]),
    ),
  );
  const acceptDPoP = dpop !== undefined;
  const recordsDecisions = auditor !== undefined || metrics !== undefined;

  /**
   * Records an allowed authentication on the audit trail and in the metrics. The event's place
   * is built only when there is an audit trail: a cache hit without one allocates nothing here.
   */
  const authenticated = (
    token: AccessToken,
    request: RequestLike | undefined,
    context: VerifyContext | undefined,
    signedWith?: SignedWith,
  ): void => {
    metrics?.decision('authentication', 'allow', 'ok', token.issuer);
    auditor?.allow(authentication(request, context), token, signedWith);
    if (anomalies !== undefined) {
      registerRiskSource(token, anomalies);
      anomalies.accepted(token, authentication(request, context), nowMillis(context));
    }
  };
  /** Records a denial; the issuer a token named is kept only when it is a configured one. */
  const denied = (
    place: DecisionPlace,
    error: TokenwardError,
    received: string | undefined,
    token: AccessToken | undefined,
  ): void => {
    if (!recordsDecisions) return;
    const named =
      token?.issuer ??
      (received === undefined ? undefined : unverifiedIssuer(received, plan.maxTokenLength));
    const issuer = named !== undefined && plan.trust.has(named) ? named : undefined;
    // The metric's issuer label maps an unconfigured name to `other` (bounded cardinality).
    metrics?.decision(place.stage, 'deny', error.code, named);
    auditor?.deny(place, error, issuer, token);
  };
  // One shape for every place (absent fields undefined): no object grown by spreads per request.
  const authentication = (request?: RequestLike, context?: VerifyContext): DecisionPlace => ({
    stage: 'authentication',
    request,
    route: context?.route,
  });

  /**
   * The one error boundary: every failure leaves as a TokenwardError naming this realm (terse
   * when configured), after the `onRejection` hook has seen it.
   */
  const failure = (
    error: unknown,
    token: unknown,
    place: DecisionPlace,
    verified?: AccessToken,
    context?: VerifyContext,
  ): TokenwardError => {
    // Anything that is not already ours is an unexpected failure while processing the token; it
    // still becomes a 401 so no input can turn into a 500 (the original stays as `cause`).
    let presented = (
      error instanceof TokenwardError
        ? error
        : new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token could not be processed', {
            cause: error,
          })
    )
      .withRealm(realm)
      .withResourceMetadata(plan.resource?.metadataUrl);
    // The format travels with the error, like the realm: adapters read it off the error.
    presented = presented.withErrorFormat(plan.errorFormat);
    if (plan.terseErrors) presented = presented.terse();
    if (dpop !== undefined)
      presented = presented.withChallenges(
        dpopChallenges(dpop, place.request, context, nowMillis(context)),
      );
    const received = typeof token === 'string' ? token : undefined;
    reportRejection(plan.onRejection, presented, received, place.request, plan.maxTokenLength);
    denied(place, presented, received, verified);
    if (place.stage === 'authentication') budget?.count(presented, place.request);
    anomalies?.denied(presented, verified, place, nowMillis(context));
    return presented;
  };

  /** The budget's refusal, through the error boundary (audited; not counted as a failure). */
  const exhausted = (
    ms: number,
    request: RequestLike,
    context: VerifyContext | undefined,
  ): Promise<never> =>
    Promise.reject(
      failure(
        new FailureBudgetExhaustedError(ms / 1000),
        undefined,
        authentication(request, context),
        undefined,
        context,
      ),
    );

  /**
   * Refuses a token whose client may not call from the request's network (403), then one whose
   * client is not approved (403; 503 when the list cannot say). A network refusal goes first:
   * it is certain, where the list may be unable to say.
   */
  const checkClient = (token: AccessToken, request: RequestLike | undefined): void => {
    if (clientNetworks !== undefined)
      checkClientNetwork(clientNetworks, token, clientAddressOf(request));
    if (approvedClients !== undefined) checkApproval(approvedClients, token);
  };

  /** A cached token, re-checked against its time claims at `context`'s time. @throws if not */
  const fromCache = (
    token: string,
    context: VerifyContext | undefined,
    countMiss = true,
  ): AccessToken | undefined => {
    const nowMs = nowMillis(context);
    const cached = cache?.get(token, nowMs);
    // The adapters' synchronous path does not count its miss: verifyRequest, called next,
    // looks again and counts it, so one request is one look-up in the metrics.
    if (cache !== undefined && (cached !== undefined || countMiss)) {
      metrics?.cacheLookup(cached !== undefined);
    }
    // Only decryption and signature work is skipped: time claims are re-checked on every hit,
    // and policies run in the adapters on every request.
    if (cached !== undefined) {
      checkTimeClaims(cached.claims, rulesOf(plan, cached), Math.floor(nowMs / 1000));
      return cached;
    }
    // An opaque token is never in the verified-token cache; a cached introspection answer is
    // its hit (the same checks introspection makes, without a promise or a request). Looked
    // for second, so a JWT hit never pays for the opaque-shape test.
    const { introspection } = plan;
    if (introspection === undefined || token.length > plan.maxTokenLength) return undefined;
    return cachedOpaqueToken(token, introspection, plan.trust, nowSeconds(context));
  };

  /**
   * The anomaly blocks (a blocked token, client or address is refused before anything else is
   * said about it), then {@link bindChecked}. Synchronous unless the anomaly store answers with
   * a promise or the token is bound.
   */
  const bind = (
    token: AccessToken,
    input: BindingInput,
    request: RequestLike | undefined,
    context: VerifyContext | undefined,
    signedWith?: SignedWith,
  ): AccessToken | Promise<AccessToken> => {
    const blocks = anomalies?.check(token, request, input.nowMs);
    if (blocks === undefined) return bindChecked(token, input, request, context, signedWith);
    return blocks.then(() => bindChecked(token, input, request, context, signedWith));
  };

  /**
   * The binding stage, then the allow decision: the token is used the way its `cnf` says, on
   * every request, from the cache or not. Synchronous for an unbound bearer token.
   */
  const bindChecked = (
    token: AccessToken,
    input: BindingInput,
    request: RequestLike | undefined,
    context: VerifyContext | undefined,
    signedWith?: SignedWith,
  ): AccessToken | Promise<AccessToken> => {
    checkRevocation(token, input.nowMs);
    checkClient(token, request);
    const pending = enforceBinding(token, input, binding);
    if (pending === undefined) {
      authenticated(token, request, context, signedWith);
      return token;
    }
    return pending.then((outcome) => {
      // RFC 9449 §8.2: the client is told the new nonce once the step it used has passed.
      if (outcome.staleNonce && dpop?.nonces !== undefined) {
        context?.setHeader?.('DPoP-Nonce', dpop.nonces.issue(input.nowMs));
      }
      authenticated(token, request, context, signedWith);
      return token;
    });
  };

  /** Refuses a revoked token, and any token when the list cannot say (fail closed). */
  const checkRevocation = (token: AccessToken, nowMs: number): void => {
    if (revocation === undefined) return;
    const verdict = revocation.check(token, nowMs);
    if (verdict === 'valid') return;
    if (verdict === 'revoked') {
      throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'the token has been revoked');
    }
    throw new RevocationUnavailableError(1);
  };

  /** Verifies a token completely (every stage), offers it to the cache, then binds it. */
  const verifyFresh = async (
    token: string,
    input: BindingInput,
    context: VerifyContext | undefined,
    request?: RequestLike,
  ): Promise<AccessToken> => {
    const place = authentication(request, context);
    const started = metrics === undefined ? 0 : performance.now();
    let verified: Awaited<ReturnType<typeof verifyToken>>;
    try {
      const nowMs = nowMillis(context);
      verified = await verifyToken(token, plan, nowMs);
      if (verified.cacheable) cache?.set(verified.accessToken, nowMs, verified.signedWith);
      metrics?.verification((performance.now() - started) / 1000, 'allow');
    } catch (error) {
      metrics?.verification((performance.now() - started) / 1000, 'deny');
      throw failure(error, token, place, undefined, context);
    }
    try {
      return await bind(verified.accessToken, input, request, context, verified.signedWith);
    } catch (error) {
      throw failure(error, token, place, verified.accessToken, context);
    }
  };

  /** A cached token, bound; a rejection goes through the error boundary. */
  const bindCached = (
    cached: AccessToken,
    input: BindingInput,
    request: RequestLike | undefined,
    context: VerifyContext | undefined,
  ): Promise<AccessToken> => {
    const place = () => authentication(request, context);
    let result: AccessToken | Promise<AccessToken>;
    try {
      result = bind(cached, input, request, context);
    } catch (error) {
      return Promise.reject(failure(error, cached.token, place(), cached, context));
    }
    if (!(result instanceof Promise)) return Promise.resolve(result);
    return result.catch((error: unknown) => {
      throw failure(error, cached.token, place(), cached, context);
    });
  };

  /** `verifyRequest` after the failure budget: extraction, one cache look-up, verification. */
  const verifyExtracted = (
    request: RequestLike,
    context: VerifyContext | undefined,
  ): Promise<AccessToken> => {
    let token: string | undefined;
    let input: BindingInput;
    try {
      const found = extractToken(request, plan.tokenSources, context?.getToken, acceptDPoP);
      token = found.token;
      input = requestBindingInput(found, request, context, nowMillis(context));
      const cached = fromCache(found.token, context);
      if (cached !== undefined) return bindCached(cached, input, request, context);
      checkTokenSyntax(found);
    } catch (error) {
      return Promise.reject(
        failure(error, token, authentication(request, context), undefined, context),
      );
    }
    return verifyFresh(token, input, context, request);
  };

  const verifier: Verifier = {
    realm,
    close: () => auditor?.close() ?? Promise.resolve(),
    async health() {
      await Promise.all(plan.keySources.map((source) => source.warm()));
      const sources = plan.keySources.map((source) => source.health());
      return {
        ready: sources.every((h) => h.status === 'ok' || h.status === 'stale'),
        sources,
        maxTokenLifetimes,
      };
    },
    // Not `async`: a cache hit answers with an already settled promise.
    verify(token, context) {
      try {
        if (typeof token !== 'string') {
          throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token must be a string');
        }
        const cached = fromCache(token, context);
        if (cached !== undefined)
          return bindCached(
            cached,
            tokenBindingInput(context, nowMillis(context)),
            undefined,
            context,
          );
      } catch (error) {
        return Promise.reject(
          failure(error, token, authentication(undefined, context), undefined, context),
        );
      }
      return verifyFresh(token, tokenBindingInput(context, nowMillis(context)), context);
    },
    // Not `async`: the failure budget first (before extraction: a blocked address costs one
    // look-up), then one extraction and one cache look-up; a hit answers with an already settled
    // promise, a miss checks the header syntax the hit made unnecessary and verifies.
    verifyRequest(request, context) {
      if (budget === undefined) return verifyExtracted(request, context);
      const blocked = budget.blockedFor(request);
      if (typeof blocked === 'number') {
        return blocked > 0
          ? exhausted(blocked, request, context)
          : verifyExtracted(request, context);
      }
      return blocked.then(
        (ms) =>
          typeof ms === 'number' && ms > 0
            ? exhausted(ms, request, context)
            : verifyExtracted(request, context),
        () => verifyExtracted(request, context),
      );
    },
  };

  // The synchronous hit path of the first-party adapters (@tokenward/core/internal).
  registerCachePath(verifier, (request, context) => {
    if (!cache && !plan.introspection) return undefined;
    // A blocked address is refused by verifyRequest, made next, before anything else is done.
    if (budget !== undefined) {
      if (budget.asyncStore) return undefined;
      const blocked = budget.blockedFor(request);
      if (typeof blocked !== 'number') {
        blocked.catch(() => undefined);
        return undefined;
      }
      if (blocked > 0) return undefined;
    }
    let cached: AccessToken | undefined;
    try {
      const found = extractToken(request, plan.tokenSources, context?.getToken, acceptDPoP);
      // Only an unbound bearer token can be answered here: a bound one waits for its proof.
      if (found.scheme !== 'Bearer' || dpop?.required === true) return undefined;
      cached = fromCache(found.token, context, false);
    } catch {
      // verifyRequest, which the caller makes next, reports the same failure properly.
      return undefined;
    }
    if (cached === undefined || cached.binding.scheme !== 'bearer') return undefined;
    // A revoked token (or a list that cannot say) is reported by verifyRequest, made next.
    if (revocation !== undefined && revocation.check(cached, nowMillis(context)) !== 'valid') {
      return undefined;
    }
    // So is a client outside its networks or not approved (or a list that cannot say).
    if (
      clientNetworks !== undefined &&
      !clientNetworkAllows(clientNetworks, cached, clientAddressOf(request))
    ) {
      return undefined;
    }
    if (approvedClients !== undefined && approvalOf(approvedClients, cached) !== true) {
      return undefined;
    }
    // And a blocked token, client or address (or a store that answers only with a promise).
    if (anomalies !== undefined && !anomalies.admitsSync(cached, request, nowMillis(context))) {
      return undefined;
    }
    authenticated(cached, request, context);
    return cached;
  });
  if (dpop !== undefined)
    registerBindingContext(verifier, dpop.origin === undefined ? 'framework' : 'configured');
  registerResourceMetadata(verifier, plan);
  // The public JWK Set issuers encrypt to (encryptionKeySet), fixed with the options.
  registerEncryptionKeys(verifier, plan.decryptionKeys, plan.keyManagementAlgorithms);
  // The adapters' route step reports through the same boundary (@tokenward/core/internal).
  registerRouteDecisions(verifier, {
    allow: (token, request, route) => {
      metrics?.decision('authorization', 'allow', 'ok', token.issuer);
      auditor?.allow(
        { stage: 'authorization', request, ...(route !== undefined && { route }) },
        token,
      );
    },
    deny: (error, request, place) =>
      failure(
        error,
        undefined,
        {
          stage: place.stage ?? 'authorization',
          ...(request && { request }),
          ...(place.route !== undefined && { route: place.route }),
        },
        place.token,
      ),
  });
  return verifier;
}

/** The claim rules of a cached token's issuer (trusted: the token was verified). */
function rulesOf(plan: VerificationPlan, cached: AccessToken) {
  return (plan.trust.get(cached.issuer) as NonNullable<ReturnType<typeof plan.trust.get>>).rules;
}

/** The time of a verification in milliseconds: the context's date, or now. */
function nowMillis(context: VerifyContext | undefined): number {
  const date = context?.currentDate;
  return date === undefined ? Date.now() : date.getTime();
}

/** {@link nowMillis} in whole seconds, as time claims are compared. */
function nowSeconds(context: VerifyContext | undefined): number {
  return Math.floor(nowMillis(context) / 1000);
}
