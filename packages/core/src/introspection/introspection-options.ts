/**
 * The `introspection` option of `createVerifier` (RFC 7662 token introspection) as callers write
 * it, its defaults, and its validation into {@link IntrospectionSettings}: once, when the
 * verifier is created, with a `TypeError` naming `introspection.<member>` on misuse.
 */
import { parseDiscoveryIssuer } from '../keys/discovery';
import { MAX_REMOTE_TIMEOUT, type RemoteKeysSettings } from '../keys/remote-options';
import { insecureURLReason } from '../lib/fetch-json';
import { seconds } from '../config/option-checks';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { importPrivateKey } from '../keys/key-input';
import type { BackoffSettings } from './endpoint-health';
import {
  CLIENT_ASSERTION_ALGORITHMS,
  fitsClientAssertion,
  type ClientAssertionAlgorithm,
} from './client-assertion';

/**
 * Which tokens are introspected. `'opaque'`: only tokens that are not a JWS or JWE compact
 * serialization; JWTs are verified locally as without the option. `'always'`: every token; a JWT
 * is verified locally first, and then the authorization server must also answer that it is
 * active (it may have been revoked there).
 */
export type IntrospectionMode = 'opaque' | 'always';

/**
 * How the resource server authenticates to the introspection endpoint (RFC 6749 §2.3.1, with the
 * names of the RFC 8414 / RFC 7591 registry): `'client_secret_basic'`, HTTP Basic with the
 * form-urlencoded client id and secret; `'client_secret_post'`, both in the request body.
 */
export type IntrospectionClientAuthentication =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * Token introspection (RFC 7662): the authorization server is asked whether a token is active,
 * and its answer becomes the `AccessToken`. See docs/introspection.md.
 */
export interface IntrospectionOptions {
  /**
   * The introspection endpoint: https, or http for 127.0.0.1, ::1 and localhost only. Default:
   * the `introspection_endpoint` of the issuer's metadata (OpenID Connect Discovery, then RFC
   * 8414), read like `discovery: true` reads `jwks_uri`; that needs exactly one configured
   * issuer, and an https issuer must name an https endpoint.
   */
  endpoint?: string;
  /** The resource server's client id at the authorization server. */
  clientId: string;
  /**
   * The client secret. Required by both supported `clientAuthentication` methods; it is sent to
   * the introspection endpoint only, and never appears in an error, event or log.
   */
  clientSecret?: string;
  /** How the client authenticates. Default `'client_secret_basic'`. */
  clientAuthentication?: IntrospectionClientAuthentication;
  /**
   * `private_key_jwt`: the private key the client assertion is signed with (a JWK, PKCS#8 PEM
   * or a KeyObject); the authorization server knows its public key. A JWK's `kid` is sent.
   */
  privateKey?: JWK | string | KeyObject;
  /** `private_key_jwt`: the assertion's signature algorithm. Default: the key's own (`ES256` for P-256, `RS256` for RSA, `EdDSA` for Ed25519). */
  signingAlgorithm?: ClientAssertionAlgorithm;
  /** Which tokens are introspected. Default `'opaque'`. See {@link IntrospectionMode}. */
  mode?: IntrospectionMode;
  /**
   * Seconds an `active: true` answer is reused for the same token, never past the token's `exp`.
   * Default 300. `0`: every verification asks (identical concurrent ones still share one
   * request). A revocation list (option `revocation`) is checked on every request all the same.
   */
  maxCacheAge?: number;
  /**
   * Seconds an inactive answer is reused for the same token, so a client retrying a dead token
   * does not cost one request to the authorization server each time. Default 5. `0`: not reused.
   */
  inactiveCacheAge?: number;
  /** Most answers held (least recently used evicted first). Default 10,000. */
  maxCacheEntries?: number;
  /**
   * Deadline of one introspection, in seconds (connect, headers, body; with discovery, the
   * metadata requests have a deadline of their own). Default: `remoteKeys.timeout` (5). At most 60.
   */
  timeout?: number;
  /**
   * The format of the answer. `'json'`: an RFC 7662 JSON object, trusted because it came over
   * the TLS connection to the endpoint. `'jwt'` (RFC 9701): the request asks for
   * `application/token-introspection+jwt`, and only a JWT of that type signed with the issuer's
   * own keys (the key source and `algorithms` configured for it), with `iss` the issuer and `aud`
   * our `clientId`, is accepted; its `token_introspection` member is then read as the JSON answer
   * would be. Anything else is a 503, never an "active". Needs exactly one configured issuer.
   * Default `'json'`.
   */
  responseFormat?: 'json' | 'jwt';
  /**
   * `responseFormat: 'jwt'` only: refuse a JWT answer that is not also encrypted (a JWE) to one
   * of the verifier's `decryptionKeys`, so nothing between the authorization server and the
   * resource server can read it. An encrypted answer is accepted without it too. Default false.
   */
  requireEncryptedResponse?: boolean;
  /**
   * `responseFormat: 'jwt'` only: how many seconds old (its `iat`) a JWT answer may be when it
   * arrives, beyond `clockTolerance`. An answer made for this request is seconds old; an older
   * one is a replay of an earlier answer. Default: `timeout`. At most 300.
   */
  responseMaxAge?: number;
  /**
   * Consecutive failed introspection requests (no answer within `timeout`, a network error, a
   * status other than 200, an answer that cannot be read or trusted) after which the endpoint is
   * left alone: introspections that the cache cannot answer fail at once with a 503 whose
   * `Retry-After` is the time left, for an open period of `minBackoff` seconds that doubles,
   * up to `maxBackoff`, each time the endpoint is found still failing. After the period one
   * trial request goes (the others keep failing fast while it runs); its success ends the
   * backoff. An inactive answer is an answer, not a failure. Cached answers are served
   * throughout. Default 5. `false`: never back off (every introspection asks).
   */
  failureThreshold?: number | false;
  /** Seconds of the first open period after `failureThreshold` failures. Default 1. */
  minBackoff?: number;
  /** Seconds the open period grows to at most. Default 30. At most 3600. */
  maxBackoff?: number;
}

/** Defaults of {@link IntrospectionOptions}, in the option's units (seconds, entries). */
export const DEFAULT_INTROSPECTION = Object.freeze({
  clientAuthentication: 'client_secret_basic',
  mode: 'opaque',
  maxCacheAge: 300,
  inactiveCacheAge: 5,
  maxCacheEntries: 10_000,
  responseFormat: 'json',
  requireEncryptedResponse: false,
  failureThreshold: 5,
  minBackoff: 1,
  maxBackoff: 30,
} as const);

/** Largest `maxBackoff`, in seconds: a longer pause is an outage nobody would notice ending. */
const MAX_BACKOFF = 3600;

/** Largest `responseMaxAge`, in seconds: beyond it a replayed answer would pass for a fresh one. */
const MAX_RESPONSE_MAX_AGE = 300;

/** {@link IntrospectionOptions} after validation, durations in milliseconds. */
export interface IntrospectionSettings {
  /** The configured endpoint, or where to discover it from. */
  readonly endpoint:
    | { readonly kind: 'fixed'; readonly url: URL }
    | { readonly kind: 'discovery'; readonly issuer: string; readonly issuerURL: URL };
  readonly client: ClientCredentials;
  readonly mode: IntrospectionMode;
  readonly maxCacheAgeMs: number;
  readonly inactiveCacheAgeMs: number;
  readonly maxCacheEntries: number;
  readonly timeoutMs: number;
  /** Largest answer accepted, in bytes: `remoteKeys.maxResponseSize`. */
  readonly maxResponseSize: number;
  /** How answers are read: plain JSON, or an RFC 9701 JWT from the one configured issuer. */
  readonly response: IntrospectionResponseSettings;
  /** When a failing endpoint is left alone, and for how long; undefined: never. */
  readonly backoff: BackoffSettings | undefined;
}

/** The validated `responseFormat` and the members that go with `'jwt'`. */
export type IntrospectionResponseSettings =
  | { readonly format: 'json' }
  | {
      readonly format: 'jwt';
      /** The one configured issuer: the answers' `iss`, and whose keys sign them. */
      readonly issuer: string;
      /** Whether an answer that is only signed (not a JWE) is refused. */
      readonly requireEncryption: boolean;
      /** Oldest accepted `iat`, in milliseconds before now (before `clockTolerance`). */
      readonly maxAgeMs: number;
    };

/** The credentials the resource server authenticates with, and how it presents them. */
export type ClientCredentials =
  | {
      readonly id: string;
      readonly secret: string;
      readonly method: 'client_secret_basic' | 'client_secret_post';
    }
  | {
      readonly id: string;
      readonly method: 'private_key_jwt';
      readonly key: KeyObject;
      readonly alg: ClientAssertionAlgorithm;
      readonly kid?: string;
    };

const MEMBERS = new Set<string>([
  'endpoint',
  'clientId',
  'clientSecret',
  'clientAuthentication',
  'mode',
  'maxCacheAge',
  'inactiveCacheAge',
  'maxCacheEntries',
  'timeout',
  'privateKey',
  'signingAlgorithm',
  'responseFormat',
  'requireEncryptedResponse',
  'responseMaxAge',
  'failureThreshold',
  'minBackoff',
  'maxBackoff',
]);

const nonEmptyString = (value: unknown, member: string): string => {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`introspection.${member}: expected a non-empty string`);
  }
  return value;
};

/**
 * Validates the `introspection` option.
 *
 * @param value The option as given; `undefined` turns introspection off.
 * @param issuers The configured issuers (an endpoint is discovered from the only one).
 * @param remote The resolved `remoteKeys` settings: the default timeout and the size cap.
 * @param hasDecryptionKeys Whether the verifier has `decryptionKeys` (an encrypted JWT answer
 *   can be required only then).
 * @throws TypeError naming `introspection.<member>`.
 * @example
 * ```ts
 * const settings = resolveIntrospectionSettings({ clientId: 'api', clientSecret }, [issuer], remote)
 * ```
 */
export function resolveIntrospectionSettings(
  value: unknown,
  issuers: readonly string[],
  remote: RemoteKeysSettings,
  hasDecryptionKeys = false,
): IntrospectionSettings | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('introspection: expected an options object');
  }
  for (const key of Object.keys(value)) {
    if (!MEMBERS.has(key)) throw new TypeError(`introspection.${key}: unknown option`);
  }
  const o = value as IntrospectionOptions;
  const method = o.clientAuthentication ?? DEFAULT_INTROSPECTION.clientAuthentication;
  if (
    method !== 'client_secret_basic' &&
    method !== 'client_secret_post' &&
    method !== 'private_key_jwt'
  ) {
    throw new TypeError(
      `introspection.clientAuthentication: expected 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'`,
    );
  }
  const id = nonEmptyString(o.clientId, 'clientId');
  const client = resolveClient(o, id, method);
  const mode = o.mode ?? DEFAULT_INTROSPECTION.mode;
  if (mode !== 'opaque' && mode !== 'always') {
    throw new TypeError(`introspection.mode: expected 'opaque' or 'always'`);
  }
  const maxCacheEntries = o.maxCacheEntries ?? DEFAULT_INTROSPECTION.maxCacheEntries;
  if (!Number.isSafeInteger(maxCacheEntries) || maxCacheEntries < 1) {
    throw new TypeError('introspection.maxCacheEntries: expected a whole number of at least 1');
  }
  const timeout = o.timeout ?? remote.timeoutMs / 1000;
  if (typeof timeout !== 'number' || !(timeout > 0 && timeout <= MAX_REMOTE_TIMEOUT)) {
    throw new TypeError(
      `introspection.timeout: expected a number of seconds greater than 0 and at most ${MAX_REMOTE_TIMEOUT}`,
    );
  }
  const age = (given: unknown, fallback: number, member: string) =>
    given === undefined ? fallback : seconds(given, `introspection.${member}`);
  return {
    endpoint: resolveEndpoint(o.endpoint, issuers),
    client,
    mode,
    maxCacheAgeMs: age(o.maxCacheAge, DEFAULT_INTROSPECTION.maxCacheAge, 'maxCacheAge') * 1000,
    inactiveCacheAgeMs:
      age(o.inactiveCacheAge, DEFAULT_INTROSPECTION.inactiveCacheAge, 'inactiveCacheAge') * 1000,
    maxCacheEntries,
    timeoutMs: timeout * 1000,
    maxResponseSize: remote.maxResponseSize,
    response: resolveResponse(o, issuers, timeout, hasDecryptionKeys),
    backoff: resolveBackoff(o),
  };
}

/** `failureThreshold`, `minBackoff` and `maxBackoff`; undefined for `failureThreshold: false`. */
function resolveBackoff(o: IntrospectionOptions): BackoffSettings | undefined {
  const threshold = o.failureThreshold ?? DEFAULT_INTROSPECTION.failureThreshold;
  if (threshold === false) {
    // A period that would never apply is a configuration mistake, not a preference.
    for (const member of ['minBackoff', 'maxBackoff'] as const) {
      if (o[member] !== undefined) {
        throw new TypeError(`introspection.${member}: not used with failureThreshold false`);
      }
    }
    return undefined;
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new TypeError(
      'introspection.failureThreshold: expected a whole number of at least 1, or false',
    );
  }
  const period = (given: unknown, member: string): number => {
    // Greater than 0: an open period of 0 would let every request through, a breaker in name only.
    if (typeof given !== 'number' || !(given > 0 && given <= MAX_BACKOFF)) {
      throw new TypeError(
        `introspection.${member}: expected a number of seconds greater than 0 and at most ${MAX_BACKOFF}`,
      );
    }
    return given;
  };
  // A default gives way to the other member when that one is set alone: `maxBackoff: 0.5` caps
  // the first period too, `minBackoff: 60` is its own maximum.
  const givenMax = o.maxBackoff === undefined ? undefined : period(o.maxBackoff, 'maxBackoff');
  const minBackoff =
    o.minBackoff === undefined
      ? Math.min(DEFAULT_INTROSPECTION.minBackoff, givenMax ?? Infinity)
      : period(o.minBackoff, 'minBackoff');
  const maxBackoff = givenMax ?? Math.max(minBackoff, DEFAULT_INTROSPECTION.maxBackoff);
  if (maxBackoff < minBackoff) {
    throw new TypeError('introspection.maxBackoff: expected at least minBackoff');
  }
  return {
    failureThreshold: threshold,
    minBackoffMs: minBackoff * 1000,
    maxBackoffMs: maxBackoff * 1000,
  };
}

/** `responseFormat` and, for `'jwt'`, the issuer that signs the answers and their rules. */
function resolveResponse(
  o: IntrospectionOptions,
  issuers: readonly string[],
  timeout: number,
  hasDecryptionKeys: boolean,
): IntrospectionResponseSettings {
  const format = o.responseFormat ?? DEFAULT_INTROSPECTION.responseFormat;
  if (format !== 'json' && format !== 'jwt') {
    throw new TypeError(`introspection.responseFormat: expected 'json' or 'jwt'`);
  }
  if (format === 'json') {
    for (const member of ['requireEncryptedResponse', 'responseMaxAge'] as const) {
      if (o[member] !== undefined) {
        throw new TypeError(`introspection.${member}: only with responseFormat 'jwt'`);
      }
    }
    return { format };
  }
  // The answer is trusted for its signature alone: the keys must be those of the issuer the
  // endpoint answers for, and with several issuers which one that is would be a guess.
  const [issuer] = issuers;
  if (issuers.length !== 1 || issuer === undefined) {
    throw new TypeError(
      `introspection.responseFormat: 'jwt' needs exactly one configured issuer (whose keys sign the answers)`,
    );
  }
  const requireEncryption =
    o.requireEncryptedResponse ?? DEFAULT_INTROSPECTION.requireEncryptedResponse;
  if (typeof requireEncryption !== 'boolean') {
    throw new TypeError('introspection.requireEncryptedResponse: expected true or false');
  }
  if (requireEncryption && !hasDecryptionKeys) {
    throw new TypeError(
      'introspection.requireEncryptedResponse: needs the decryptionKeys option (the keys the answers are encrypted to)',
    );
  }
  const maxAge =
    o.responseMaxAge === undefined
      ? timeout
      : seconds(o.responseMaxAge, 'introspection.responseMaxAge', MAX_RESPONSE_MAX_AGE);
  return { format, issuer, requireEncryption, maxAgeMs: maxAge * 1000 };
}

/** The configured endpoint, checked like a `jwksUri`; or the one issuer to discover it from. */
function resolveEndpoint(
  value: unknown,
  issuers: readonly string[],
): IntrospectionSettings['endpoint'] {
  if (value !== undefined) {
    let url: URL;
    try {
      if (typeof value !== 'string') throw new TypeError('not a string');
      url = new URL(value);
    } catch {
      throw new TypeError('introspection.endpoint: expected an absolute URL');
    }
    const insecure = insecureURLReason(url);
    if (insecure !== undefined) throw new TypeError(`introspection.endpoint: ${insecure}`);
    return { kind: 'fixed', url };
  }
  // One endpoint answers for every token; with several issuers, which one's metadata names it
  // would be a guess.
  const [issuer] = issuers;
  if (issuers.length !== 1 || issuer === undefined) {
    throw new TypeError(
      'introspection.endpoint: required when the verifier trusts several issuers (it is discovered from the only one otherwise)',
    );
  }
  try {
    return { kind: 'discovery', issuer, issuerURL: parseDiscoveryIssuer(issuer, 'issuer') };
  } catch (error) {
    throw new TypeError(
      `introspection.endpoint: not given, and the issuer's metadata cannot be read (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** The credentials of `method`: a secret, or a signing key fit for its algorithm. */
function resolveClient(
  o: IntrospectionOptions,
  id: string,
  method: IntrospectionClientAuthentication,
): ClientCredentials {
  if (method !== 'private_key_jwt') {
    if (o.privateKey !== undefined || o.signingAlgorithm !== undefined) {
      throw new TypeError(
        `introspection.privateKey: only with clientAuthentication 'private_key_jwt'`,
      );
    }
    if (o.clientSecret === undefined) {
      throw new TypeError(`introspection.clientSecret: required by ${method}`);
    }
    return { id, secret: nonEmptyString(o.clientSecret, 'clientSecret'), method };
  }
  if (o.clientSecret !== undefined) {
    throw new TypeError(`introspection.clientSecret: not used by private_key_jwt; remove it`);
  }
  if (o.privateKey === undefined) {
    throw new TypeError('introspection.privateKey: required by private_key_jwt');
  }
  const imported = importPrivateKey(
    o.privateKey as JWK | string | KeyObject,
    'introspection.privateKey',
  );
  const { key } = imported;
  const alg =
    o.signingAlgorithm ??
    (key.asymmetricKeyType === 'rsa'
      ? 'RS256'
      : key.asymmetricKeyType === 'ed25519'
        ? 'EdDSA'
        : key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
          ? 'ES384'
          : 'ES256');
  if (
    !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg) ||
    !fitsClientAssertion(key, alg)
  ) {
    throw new TypeError(
      `introspection.signingAlgorithm: ${String(alg)} does not fit the private key (one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')} for its type)`,
    );
  }
  return { id, method, key, alg, ...(imported.kid !== undefined && { kid: imported.kid }) };
}
