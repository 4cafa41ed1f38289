/**
 * The `dpop` option (RFC 9449), validated once into the plan every proof check reads.
 */
import { ASYMMETRIC_JWS_ALGORITHMS } from '../../lib/algorithms';
import { createMemoryReplayStore, type ReplayStore } from '../replay-store';
import { createNonceSource, type DPoPNonceOptions, type NonceSource } from './nonce';
import { ProofKeys } from './proof-key';
import { log, type TokenwardLogger } from '../../keys/remote-options';

/** DPoP proof algorithms accepted by default: asymmetric only, the ones clients use. */
export const DEFAULT_DPOP_ALGORITHMS = Object.freeze([
  'ES256',
  'ES384',
  'PS256',
  'RS256',
  'EdDSA',
  'Ed25519',
] as const);

/**
 * Default seconds a proof's `iat` may lie in the past. Clients sign a fresh proof for every
 * request, so a minute (plus the clock tolerance each way) covers skew; it is also how long
 * every accepted proof's `jti` is held in the replay store.
 */
export const DEFAULT_PROOF_MAX_AGE = 60;
/** Default milliseconds the replay store may take to answer before the request gets a 503. */
export const DEFAULT_REPLAY_STORE_TIMEOUT = 1000;
/** The longest `DPoP` header accepted, in characters: a proof with a 4096-bit RSA key fits. */
export const MAX_PROOF_LENGTH = 8192;

/** Options of DPoP, sender-constrained tokens bound to a key the client proves (RFC 9449). */
export interface DPoPOptions {
  /**
   * Refuse plain bearer tokens: every request must present a DPoP-bound token under the `DPoP`
   * scheme with a proof. Default false (bearer tokens are accepted beside DPoP-bound ones; a
   * bound token is never accepted as a bearer token).
   */
  required?: boolean;
  /** Proof signature algorithms, asymmetric only. Default {@link DEFAULT_DPOP_ALGORITHMS}. */
  algorithms?: readonly string[];
  /** Seconds a proof's `iat` may lie in the past (the clock tolerance is added). Default 60. */
  proofMaxAge?: number;
  /**
   * Server nonces (RFC 9449 §8): proofs must carry a nonce this API issued, derived from the
   * shared secret and the time, so every instance holding the secret accepts it.
   */
  nonce?: DPoPNonceOptions;
  /**
   * Where proof ids are claimed once (RFC 9449 §11.1). Default: a memory store for this instance
   * (1,000,000 live claims); several instances need a shared one (`@tokenward/redis`).
   */
  replayStore?: ReplayStore;
  /** Milliseconds the replay store may take before the request gets a 503. Default 1000. */
  replayStoreTimeout?: number;
  /**
   * What a request gets when the replay store cannot answer: `'refuse'` (503 with `Retry-After`,
   * the default) or `'accept'` (the proof is accepted unclaimed, so it could be replayed while
   * the store is out; a process warning is emitted each time the store starts failing).
   */
  onReplayStoreError?: 'refuse' | 'accept';
  /**
   * The API's public origin (`https://api.example.com`), which `htu` is compared against.
   * Default: what the adapter derives from the framework's trust-proxy settings (never from a
   * raw `X-Forwarded-*` header). Set it when the API sits behind a proxy the framework is not
   * told to trust, or on a non-default port behind one.
   */
  origin?: string;
}

/** The `dpop` option after validation. */
export interface DPoPPlan {
  readonly required: boolean;
  readonly algorithms: ReadonlySet<string>;
  /** The `algs` of the DPoP challenge, in configuration order. */
  readonly challengeAlgorithms: readonly string[];
  readonly proofMaxAge: number;
  /** The verifier's clock tolerance, in seconds. */
  readonly clockTolerance: number;
  readonly nonces: NonceSource | undefined;
  readonly replayStore: ReplayStore;
  readonly replayStoreTimeout: number;
  readonly acceptOnStoreError: boolean;
  readonly origin: string | undefined;
  readonly keys: ProofKeys;
  /** Whether the replay store failed on its last claim (one fail-open warning per outage). */
  readonly storeState: { failing: boolean };
  /** Where the fail-open warning goes: the verifier's logger, else a process warning. */
  readonly warn: (message: string, details: Readonly<Record<string, unknown>>) => void;
}

const KNOWN = new Set([
  'required',
  'algorithms',
  'proofMaxAge',
  'nonce',
  'replayStore',
  'replayStoreTimeout',
  'onReplayStoreError',
  'origin',
]);

/**
 * Validates the `dpop` option.
 *
 * @param clockTolerance The verifier's clock tolerance, in seconds.
 * @param logger The verifier's logger, told when the replay store fails open.
 * @throws TypeError naming the offending `dpop.*` option.
 */
export function resolveDPoP(
  options: DPoPOptions | undefined,
  clockTolerance: number,
  logger?: TokenwardLogger,
): DPoPPlan | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('dpop: expected an options object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`dpop.${key}: unknown option`);
  }
  const required = options.required ?? false;
  if (typeof required !== 'boolean') throw new TypeError('dpop.required: expected a boolean');
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('dpop.algorithms: expected a non-empty array of JWS algorithms');
  }
  for (const alg of algorithms) {
    // RFC 9449 §4.3 check 5: asymmetric only; `none` and the HMAC algorithms can prove nothing.
    if (!(ASYMMETRIC_JWS_ALGORITHMS as readonly string[]).includes(alg as string)) {
      throw new TypeError(
        `dpop.algorithms: ${String(alg)} is not an asymmetric JWS algorithm (${ASYMMETRIC_JWS_ALGORITHMS.join(', ')})`,
      );
    }
  }
  const proofMaxAge = options.proofMaxAge ?? DEFAULT_PROOF_MAX_AGE;
  if (
    typeof proofMaxAge !== 'number' ||
    !Number.isSafeInteger(proofMaxAge) ||
    proofMaxAge < 1 ||
    proofMaxAge > 3600
  ) {
    throw new TypeError('dpop.proofMaxAge: expected whole seconds from 1 to 3600');
  }
  const replayStore = options.replayStore ?? createMemoryReplayStore();
  if (
    typeof replayStore !== 'object' ||
    replayStore === null ||
    typeof replayStore.claim !== 'function'
  ) {
    throw new TypeError('dpop.replayStore: expected a ReplayStore ({ claim(key, ttlSeconds) })');
  }
  const replayStoreTimeout = options.replayStoreTimeout ?? DEFAULT_REPLAY_STORE_TIMEOUT;
  if (
    typeof replayStoreTimeout !== 'number' ||
    !Number.isSafeInteger(replayStoreTimeout) ||
    replayStoreTimeout < 1 ||
    replayStoreTimeout > 60_000
  ) {
    throw new TypeError('dpop.replayStoreTimeout: expected whole milliseconds from 1 to 60000');
  }
  const onStoreError = options.onReplayStoreError ?? 'refuse';
  if (onStoreError !== 'refuse' && onStoreError !== 'accept') {
    throw new TypeError(`dpop.onReplayStoreError: expected 'refuse' or 'accept'`);
  }
  let origin: string | undefined;
  if (options.origin !== undefined) {
    const parsed = typeof options.origin === 'string' ? safeURL(options.origin) : undefined;
    if (
      parsed === undefined ||
      (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
      parsed.pathname !== '/' ||
      parsed.search !== '' ||
      parsed.hash !== '' ||
      parsed.username !== '' ||
      parsed.password !== '' ||
      /^[a-z][a-z0-9+.-]*:\/\/[^/]*\/./i.test(options.origin as string)
    ) {
      throw new TypeError(
        'dpop.origin: expected an http(s) origin such as https://api.example.com (no path)',
      );
    }
    origin = parsed.origin;
  }
  return {
    required,
    algorithms: new Set(algorithms),
    challengeAlgorithms: Object.freeze([...algorithms]),
    proofMaxAge,
    clockTolerance,
    nonces: options.nonce === undefined ? undefined : createNonceSource(options.nonce),
    replayStore,
    replayStoreTimeout,
    acceptOnStoreError: onStoreError === 'accept',
    origin,
    keys: new ProofKeys(),
    storeState: { failing: false },
    warn: (message, details) => {
      if (logger !== undefined) log(logger, 'warn', message, details);
      else process.emitWarning(message, { code: 'TOKENWARD_REPLAY_STORE_FAIL_OPEN' });
    },
  };
}

function safeURL(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
