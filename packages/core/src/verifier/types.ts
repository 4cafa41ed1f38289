/** The public shape of a verifier: what `createVerifier` returns and adapters accept. */
import type { RequestLike } from '../http/request';
import type { KeySourceHealth } from '../keys/health';
import type { AccessToken } from './access-token';

/** Per-call verification context. */
export interface VerifyContext {
  /** The time to check `exp`/`nbf`/`iat` against. Default: now. */
  currentDate?: Date;
  /**
   * `verifyRequest` only: where the application finds its token besides the RFC 6750 locations
   * (a cookie, a custom header). See {@link TokenGetter}.
   */
  getToken?: TokenGetter;
  /**
   * The route template of the request (`/messages/:id`), for the audit event of this decision.
   * The adapters pass it; never the raw URL (it may carry ids and query parameters).
   */
  route?: string;
  /**
   * The API's public origin (`https://api.example.com`) as the framework determined it from its
   * trust-proxy settings: the adapters pass it for the DPoP `htu` check. Option `dpop.origin`
   * wins over it.
   */
  origin?: string;
  /**
   * Sets a response header on success: the adapters pass it so a fresh `DPoP-Nonce` reaches the
   * client when the nonce step moved (RFC 9449 §8.2).
   */
  setHeader?: (name: string, value: string) => void;
  /**
   * `verify` only: the request's DPoP proof, method and absolute URL, for a DPoP-bound token
   * checked outside `verifyRequest`. Without it, `verify` refuses a DPoP-bound token.
   */
  dpop?: DPoPRequest;
  /**
   * `verify` on a tenant verifier (`createTenantVerifier`): the tenant the token is for, since
   * there is no request to resolve it from. Without it, `verify` refuses (`ERR_TENANT_UNKNOWN`).
   */
  tenant?: string;
}

/** The request facts a DPoP proof is checked against, for {@link Verifier.verify}. */
export interface DPoPRequest {
  /** The `DPoP` header value. */
  readonly proof: string;
  /** The request method. */
  readonly method: string;
  /** The absolute request URL (its query and fragment are ignored). */
  readonly url: string;
}

/**
 * Returns the request's token from an application-defined place, or `undefined`/`null` when
 * there is none there (the RFC 6750 locations are then read as usual). A returned token is held to
 * the same rules as a header token: RFC 6750 §2.1 b64token syntax (else 400), and one method only
 * (RFC 6750 §2): a request that also carries a Bearer Authorization header or an `access_token`
 * query or form parameter is refused with 400 `ERR_REQUEST_MULTIPLE_TOKENS`.
 *
 * @example
 * ```ts
 * const fromCookie: TokenGetter = (req) => (req.headers.cookie ?? '').match(/(?:^|; )at=([^;]+)/)?.[1]
 * ```
 */
export type TokenGetter = (request: RequestLike) => string | null | undefined;

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
  /**
   * Writes every queued audit event and closes the audit sink (call it on shutdown, after the
   * server stopped taking requests: Nest's module does on `onApplicationShutdown`, Express
   * apps through `closeGracefully`). Resolves when done, or after the sink's write timeout;
   * never rejects. Decisions made after it are counted as dropped. Without `audit` it resolves
   * at once.
   */
  close(): Promise<void>;
}

/** What {@link Verifier.health} reports. */
export interface VerifierHealth {
  /** Whether every key source can verify tokens now. */
  readonly ready: boolean;
  /** One entry per key source, in configuration order. */
  readonly sources: readonly KeySourceHealth[];
  /**
   * The longest token lifetime (`exp − iat`, seconds) each issuer is held to, for the issuers
   * with a `maxTokenLifetime`: what a monitor checks the policy against.
   */
  readonly maxTokenLifetimes: Readonly<Record<string, number>>;
}
