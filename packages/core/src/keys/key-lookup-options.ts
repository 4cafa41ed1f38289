/**
 * The public shape of the `getKey` option (the lookup function, what it is given, what it may
 * answer) and of `getKeyTimeout`. The source that runs the lookup is keys/key-lookup.ts.
 */
import type { PublicKeyInput } from './local-keys';

/**
 * The protected header of the token's JWS (for a nested token, the inner JWS), as the lookup sees
 * it. NOTHING in it is verified yet: the signature is checked with the key the lookup returns.
 * Its shape is checked (`alg` is allowed for the issuer, `kid` is a string, no `jwk`/`jku`/`x5u`/
 * `x5c`/`crit`), so use `kid` (and `alg`) as lookup keys only, like jose's `JWTVerifyGetKey`.
 */
export interface KeyLookupHeader {
  /** The JWS algorithm, already in the issuer's `algorithms` allowlist. */
  readonly alg: string;
  /** The key id, when the token names one: a lookup key, never proof of anything. */
  readonly kid?: string;
  /** The media type, when present (`at+jwt` for RFC 9068 access tokens). */
  readonly typ?: string;
  /** Any other header member, as sent. */
  readonly [member: string]: unknown;
}

/** What the lookup knows besides the header. */
export interface KeyLookupContext {
  /**
   * The configured issuer the token's UNVERIFIED `iss` claim names (compared exactly, before the
   * lookup is called), for multi-tenant routing. It is trusted only once the signature verifies
   * with a key this lookup returned.
   */
  readonly issuer: string;
  /** Aborted when `getKeyTimeout` passes; hand it to `fetch` or a database client. */
  readonly signal: AbortSignal;
}

/**
 * What a lookup may answer: public keys in any form `keys` accepts (a JWK, a JWK Set, PEM text, a
 * KeyObject), a list of them, or `undefined`/`null`/`[]` for "no key for this token" (401
 * `ERR_JWS_KEY_NOT_FOUND`). Return the same objects for the same keys: each returned object is
 * imported once and remembered (treat it as immutable afterwards).
 */
export type KeyLookupResult = PublicKeyInput | readonly PublicKeyInput[] | null | undefined;

/**
 * The `getKey` option: an asynchronous (or synchronous) key lookup.
 *
 * Failures: throw `KeysUnavailableError` when your side cannot reach its keys (503, `Retry-After`;
 * the token may be valid), or an `InvalidTokenError` with a code of your choice; any other
 * exception or rejection is 401 `ERR_KEY_LOOKUP_FAILED`, its message kept as `cause` only. A
 * lookup still pending after `getKeyTimeout` seconds is a 503 `ERR_KEYS_UNAVAILABLE`.
 *
 * @param header The token's protected JWS header, not verified yet.
 * @param context The issuer the unverified `iss` names, and an abort signal.
 * @example
 * ```ts
 * const keysByKid = new Map<string, JWK>()
 * createVerifier({ issuer, audience, getKey: (header) => keysByKid.get(header.kid ?? '') })
 * ```
 */
export type KeyLookup = (
  header: KeyLookupHeader,
  context: KeyLookupContext,
) => KeyLookupResult | Promise<KeyLookupResult>;

/** Default `getKeyTimeout`, in seconds. */
export const DEFAULT_GET_KEY_TIMEOUT = 5;
/** Longest accepted `getKeyTimeout`, in seconds: a lookup holds a request this long at worst. */
export const MAX_GET_KEY_TIMEOUT = 60;

/**
 * Validates the `getKeyTimeout` option.
 *
 * @param value The option as given (seconds).
 * @param used Whether any issuer has a `getKey` (the option means nothing otherwise).
 * @returns The timeout in milliseconds.
 * @throws TypeError naming the option.
 */
export function resolveGetKeyTimeout(value: unknown, used: boolean): number {
  if (value === undefined) return DEFAULT_GET_KEY_TIMEOUT * 1000;
  if (!used) throw new TypeError('getKeyTimeout: only used with the getKey option');
  if (typeof value !== 'number' || !(value > 0) || value > MAX_GET_KEY_TIMEOUT) {
    throw new TypeError(
      `getKeyTimeout: expected a number of seconds above 0 and at most ${MAX_GET_KEY_TIMEOUT}`,
    );
  }
  return value * 1000;
}
