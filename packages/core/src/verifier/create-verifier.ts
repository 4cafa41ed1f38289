/**
 * `createVerifier`: decrypts (when encrypted) and verifies access tokens, then validates their
 * claims, in the order DESIGN.md's security defaults require.
 */
import type { AccessToken } from './access-token';
import { extractToken, type RequestLike } from '../http/extract-token';
import { mapClaims } from '../claims/map-claims';
import { VerifiedTokenCache } from '../cache/verified-token-cache';
import { checkTimeClaims, checkTokenType, validateClaims } from '../claims/validate-claims';
import { InvalidTokenError, TokenwardError } from '../errors/errors';
import { decryptJWE } from '../jwe/decrypt-jwe';
import { checkReplicatedClaims } from '../jwe/replicated-claims';
import { verifyJWS, type VerifiedJWS } from '../jws/verify-jws';
import type { KeySourceHealth } from '../keys/remote-jwks';
import { isSymmetricKeyManagement } from '../lib/algorithms';
import { splitCompact } from '../compact/compact';
import { parseJSONObject } from '../compact/json';
import {
  resolveVerifierOptions,
  type ResolvedVerifierOptions,
  type VerifierOptions,
} from '../config/verifier-options';

/** Per-call verification context. */
export interface VerifyContext {
  /** The time to check `exp`/`nbf`/`iat` against. Default: now. */
  currentDate?: Date;
}

/** A configured verifier; create one per API and reuse it. */
export interface Verifier {
  /**
   * Decrypts (if encrypted) and verifies a compact access token.
   *
   * @throws TokenwardError (only): `InvalidTokenError` for a bad token.
   */
  verify(token: string, context?: VerifyContext): Promise<AccessToken>;
  /**
   * Extracts the bearer token from a request (RFC 6750 §2) and verifies it.
   *
   * @throws TokenwardError (only): `MissingTokenError`, `InvalidRequestError` or `InvalidTokenError`.
   */
  verifyRequest(request: RequestLike, context?: VerifyContext): Promise<AccessToken>;
  /**
   * The synchronous cache-only form of {@link Verifier.verifyRequest}: the verified
   * {@link AccessToken} when the request's token was completely verified before and is still in
   * the verified-token cache and within its time claims; otherwise `undefined` (never throws).
   * The token is extracted with exactly the same RFC 6750 checks. Adapters try this first and
   * call `verifyRequest` on `undefined`, which verifies the token or reports what is wrong, so a
   * cache hit costs no promise and no event-loop turn. Always `undefined` with `cache: false`.
   *
   * Optional so that adapters also accept hand-written verifiers without it.
   */
  verifyRequestFromCache?(request: RequestLike, context?: VerifyContext): AccessToken | undefined;
  /** The realm this verifier advertises in `WWW-Authenticate`. */
  readonly realm: string;
  /**
   * The state of every signature key source (last successful fetch, age, last error), for
   * readiness probes. A remote source that holds no key set yet is fetched first (once per
   * cooldown, shared with concurrent verifications), so a cold instance can become ready without
   * traffic. `ready` is true when every source can verify: `ok`, or `stale` within `maxStaleAge`.
   *
   * @example
   * ```ts
   * app.get('/readyz', async (_req, res) => {
   *   const health = await verifier.health()
   *   res.status(health.ready ? 200 : 503).json(health)
   * })
   * ```
   */
  health(): Promise<VerifierHealth>;
}

/** What {@link Verifier.health} reports. */
export interface VerifierHealth {
  /** Whether every key source can verify tokens now. */
  readonly ready: boolean;
  /** One entry per key source, in configuration order. */
  readonly sources: readonly KeySourceHealth[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Layers {
  readonly jws: VerifiedJWS;
  readonly encryption: Record<string, unknown> | undefined;
}

async function openToken(token: string, options: ResolvedVerifierOptions): Promise<Layers> {
  const compact = splitCompact(token, options.maxTokenLength);
  if (compact.kind === 'JWS') {
    if (options.encryption === 'required') {
      throw new InvalidTokenError(
        'ERR_JWE_REQUIRED',
        'the token is not encrypted and this verifier requires encryption (option encryption)',
      );
    }
    return { jws: await verifyJWS(token, compact.segments, options), encryption: undefined };
  }
  if (options.encryption === 'forbidden') {
    throw new InvalidTokenError(
      'ERR_JWE_NOT_ALLOWED',
      'encrypted tokens are not accepted (options decryptionKeys and encryption)',
    );
  }
  const outer = await decryptJWE(token, compact.segments, {
    keyManagementAlgorithms: options.keyManagementAlgorithms,
    contentEncryptionAlgorithms: options.contentEncryptionAlgorithms,
    decryptionKeys: options.decryptionKeys,
    allowUnsigned: options.allowUnsignedEncryptedTokens,
  });
  let jws: VerifiedJWS;
  if (outer.nested) {
    let inner: string;
    try {
      inner = utf8.decode(outer.plaintext);
    } catch (cause) {
      throw new InvalidTokenError(
        'ERR_JWE_INNER_NOT_JWS',
        'the decrypted payload is not a signed JWT',
        { cause },
      );
    }
    const innerCompact = (() => {
      try {
        return splitCompact(inner, options.maxTokenLength);
      } catch (cause) {
        throw new InvalidTokenError(
          'ERR_JWE_INNER_NOT_JWS',
          'the decrypted payload is not a signed JWT',
          { cause },
        );
      }
    })();
    // A JWE inside a JWE would let anyone holding our public key wrap an unsigned payload twice.
    if (innerCompact.kind !== 'JWS') {
      throw new InvalidTokenError(
        'ERR_JWE_INNER_NOT_JWS',
        'the decrypted payload is another JWE, not a signed JWT',
      );
    }
    jws = await verifyJWS(inner, innerCompact.segments, options);
  } else {
    // Reached only with allowUnsignedEncryptedTokens. With an asymmetric `alg` anyone holding
    // our public key could have made this token, so it proves nothing (DESIGN.md default 3).
    const alg = outer.header.alg as string;
    if (!isSymmetricKeyManagement(alg)) {
      throw new InvalidTokenError(
        'ERR_JWE_NOT_NESTED',
        'an encrypted token with public-key encryption must contain a signed JWT (cty "JWT")',
      );
    }
    const claims = parseJSONObject(outer.plaintext, 'JWT claims');
    if (options.keySourceFor(claims.iss) === undefined) {
      throw new InvalidTokenError(
        'ERR_ISSUER_INVALID',
        'the token was issued by an issuer this verifier does not trust (option issuer)',
        { claim: 'iss' },
      );
    }
    jws = { header: outer.header, claims };
  }
  checkReplicatedClaims(outer.header, jws.claims);
  return { jws, encryption: outer.header };
}

function buildAccessToken(
  token: string,
  layers: Layers,
  options: ResolvedVerifierOptions,
  now: number,
): AccessToken {
  const { header, claims } = layers.jws;
  const rules = options.claimRulesFor(claims.iss);
  checkTokenType(header, claims, rules);
  const validated = validateClaims(claims, rules, now);
  const mapped = mapClaims(claims, rules.profile);
  const cnf = claims.cnf;
  return Object.freeze({
    token,
    claims: Object.freeze(claims),
    header: Object.freeze(header),
    ...(layers.encryption && { encryption: Object.freeze(layers.encryption) }),
    issuer: validated.issuer,
    ...(validated.subject !== undefined && { subject: validated.subject }),
    ...(mapped.clientId !== undefined && { clientId: mapped.clientId }),
    audience: Object.freeze([...validated.audience]),
    scopes: mapped.scopes,
    roles: mapped.roles,
    expiresAt: validated.expiresAt,
    ...(validated.issuedAt && { issuedAt: validated.issuedAt }),
    ...(typeof cnf === 'object' &&
      cnf !== null &&
      !Array.isArray(cnf) && { confirmation: Object.freeze(cnf as Record<string, unknown>) }),
  });
}

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
  const resolved = resolveVerifierOptions(options);
  const cache = resolved.cache && new VerifiedTokenCache(resolved.cache);

  // One cache look-up per request: extractToken asks whether the header's credentials are a
  // cached token (to skip the b64token scan of a long string) and `known` keeps what it found for
  // the caller. extractToken is synchronous, so the slot cannot be seen by another request.
  let lookedUp: string | undefined;
  let found: AccessToken | undefined;
  const known = cache
    ? (credentials: string): boolean => {
        lookedUp = credentials;
        found = cache.get(credentials);
        return found !== undefined;
      }
    : undefined;
  /** Extracts the request's token and looks it up. @throws extraction errors (RFC 6750 §2). */
  const extract = (request: RequestLike): { token: string; hit: AccessToken | undefined } => {
    lookedUp = undefined;
    found = undefined;
    const token = extractToken(request, resolved.tokenSources, known);
    const hit = lookedUp === token ? found : cache?.get(token);
    lookedUp = undefined;
    found = undefined;
    return { token, hit };
  };
  /** Whether a cached token is still within its time claims at `context`'s time. @throws if not */
  const checkCached = (cached: AccessToken, context: VerifyContext | undefined): void => {
    // Only decryption and signature work is skipped: time claims are re-checked on every hit,
    // and policies run in the adapters on every request.
    checkTimeClaims(cached.claims, resolved.claimRulesFor(cached.issuer), nowSeconds(context));
  };

  const withRealm = (error: unknown): TokenwardError => {
    // Anything that is not already ours is an unexpected failure while processing the token; it
    // still becomes a 401 so no input can turn into a 500 (the original stays as `cause`).
    const wrapped =
      error instanceof TokenwardError
        ? error
        : new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token could not be processed', {
            cause: error,
          });
    wrapped.realm = resolved.realm;
    return wrapped;
  };

  /** Verifies a token completely (decryption, signature, claims), then offers it to the cache. */
  const verifyFresh = async (
    token: string,
    context: VerifyContext | undefined,
  ): Promise<AccessToken> => {
    try {
      const nowMs = nowMillis(context);
      const accessToken = buildAccessToken(
        token,
        await openToken(token, resolved),
        resolved,
        Math.floor(nowMs / 1000),
      );
      cache?.set(accessToken, nowMs);
      return accessToken;
    } catch (error) {
      throw withRealm(error);
    }
  };

  // Not `async`: a cache hit answers with an already settled promise.
  const verify = (token: string, context?: VerifyContext): Promise<AccessToken> => {
    try {
      if (typeof token !== 'string') {
        throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token must be a string');
      }
      const cached = cache?.get(token);
      if (cached) {
        checkCached(cached, context);
        return Promise.resolve(cached);
      }
    } catch (error) {
      return Promise.reject(withRealm(error));
    }
    return verifyFresh(token, context);
  };

  return {
    realm: resolved.realm,
    async health() {
      await Promise.all(resolved.keySources.map((source) => source.warm()));
      const sources = resolved.keySources.map((source) => source.health());
      return {
        ready: sources.every((h) => h.status === 'ok' || h.status === 'stale'),
        sources,
      };
    },
    verify,
    // Not `async`: a cache hit answers with an already settled promise, and a miss goes straight
    // to verifyFresh (its look-up was made during extraction; bench/micro/middleware.mjs).
    verifyRequest(request, context) {
      let extracted: { token: string; hit: AccessToken | undefined };
      try {
        extracted = extract(request);
        if (extracted.hit !== undefined) {
          checkCached(extracted.hit, context);
          return Promise.resolve(extracted.hit);
        }
      } catch (error) {
        return Promise.reject(withRealm(error));
      }
      return verifyFresh(extracted.token, context);
    },
    verifyRequestFromCache(request, context) {
      if (!cache) return undefined;
      try {
        const { hit } = extract(request);
        if (hit === undefined) return undefined;
        checkCached(hit, context);
        return hit;
      } catch {
        // verifyRequest, which the caller makes next, reports the same failure properly.
        return undefined;
      }
    },
  };
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
