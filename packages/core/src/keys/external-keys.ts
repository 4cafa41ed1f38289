/**
 * Decryption keys held outside the process (an HSM through PKCS#11, a cloud KMS): the key
 * performs its own private-key step and tokenward does the rest (Concat KDF, AES key unwrap,
 * content decryption) in process. This file holds the seam's types and their validation at
 * construction; the JWE stage runs them (jwe/engines/external.ts).
 */
import type { JsonWebKey } from 'node:crypto';

/** What every private-key call of an external key receives besides its input. */
export interface ExternalKeyCallOptions {
  /**
   * Aborted when `externalKeyTimeout` passes: hand it to the KMS client or HTTP call, so a slow
   * call is cancelled rather than left running after the request has been answered with 503.
   */
  readonly signal: AbortSignal;
}

/**
 * An RSA-OAEP decryption key whose private half never enters the process: `unwrap` decrypts the
 * JWE Encrypted Key (RFC 7518 §4.3) where the key is held and answers the content encryption key.
 */
export interface ExternalRsaOaepKey {
  /** The key's `kid`: a JWE is tried on this key only when its header names this `kid`. */
  readonly kid: string;
  /** `RSA-OAEP` (SHA-1, MGF1-SHA-1) or `RSA-OAEP-256` (SHA-256, MGF1-SHA-256). */
  readonly alg: 'RSA-OAEP' | 'RSA-OAEP-256';
  /**
   * Decrypts the JWE Encrypted Key with the OAEP parameters of `alg` (empty label).
   *
   * @returns The CEK; or undefined when the key service refuses the input as undecryptable (an
   *   OAEP decoding failure: the token's fault, where the service tells it apart from an outage).
   *   Both, like bytes that are not the CEK, fail as an ordinary undecryptable token (401
   *   `ERR_JWE_DECRYPTION_FAILED`); a throw, a rejection, an answer that is not bytes or no
   *   answer within `externalKeyTimeout` is 503 `ERR_KEY_SERVICE_UNAVAILABLE`.
   */
  unwrap(
    encryptedKey: Uint8Array,
    options: ExternalKeyCallOptions,
  ): Promise<Uint8Array | undefined>;
}

/**
 * An ECDH-ES key-agreement key whose private half never enters the process:
 * `deriveSharedSecret` computes Z with the token's ephemeral public key (RFC 7518 §4.6).
 */
export interface ExternalEcdhKey {
  /** The key's `kid`: a JWE is tried on this key only when its header names this `kid`. */
  readonly kid: string;
  /** Direct key agreement, or agreement plus AES key wrap of the CEK. */
  readonly alg: 'ECDH-ES' | 'ECDH-ES+A128KW' | 'ECDH-ES+A192KW' | 'ECDH-ES+A256KW';
  /** The key's curve; a JWE whose `epk` is on another curve is never sent to the key. */
  readonly crv: 'P-256' | 'P-384' | 'P-521';
  /**
   * The raw ECDH shared secret Z (the x coordinate, the curve's size in bytes) of the private key
   * and `epk`, which tokenward has already checked to be a point on `crv`.
   *
   * @returns Z. Wrong bytes fail as an undecryptable token (401); a throw, a rejection or no
   *   answer within `externalKeyTimeout` is 503 `ERR_KEY_SERVICE_UNAVAILABLE`.
   */
  deriveSharedSecret(epk: JsonWebKey, options: ExternalKeyCallOptions): Promise<Uint8Array>;
}

/**
 * A decryption key that performs the private-key step itself, for `decryptionKeys`: an HSM key
 * (`@tokenward/pkcs11`), a cloud KMS key, or anything else that can unwrap or agree. Tokens
 * for it go through the same `kid` selection, allowlists (`keyManagementAlgorithms`,
 * `contentEncryptionAlgorithms`) and header refusals as in-process keys; every call holds a slot
 * of the crypto pool (`maxConcurrentDecryptions`, `maxQueuedDecryptions`) and is bounded by
 * `externalKeyTimeout`. Unlike an in-process key, an external key is only tried on a JWE whose
 * header names its `kid`, so a token that names no key never costs a key-service call.
 *
 * @example
 * ```ts
 * const key: ExternalDecryptionKey = {
 *   kid: 'kms-2026',
 *   alg: 'RSA-OAEP-256',
 *   unwrap: async (encryptedKey, { signal }) => kms.decrypt(encryptedKey, { signal }),
 * }
 * createVerifier({ issuer, audience, jwksUri, decryptionKeys: [key], encryption: 'required' })
 * ```
 */
export type ExternalDecryptionKey = ExternalRsaOaepKey | ExternalEcdhKey;

/** An external key as the verifier holds it after validation. */
export interface ExternalKeyEntry {
  readonly kid: string;
  readonly alg: string;
  /** The curve of an ECDH-ES key. */
  readonly crv: string | undefined;
  /** The key itself, whose method is called. */
  readonly external: ExternalDecryptionKey;
  /** Milliseconds a call may take (option `externalKeyTimeout`). */
  readonly timeoutMs: number;
}

const RSA_ALGS = new Set(['RSA-OAEP', 'RSA-OAEP-256']);
const ECDH_ALGS = new Set(['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW']);
const ECDH_CURVES = new Set(['P-256', 'P-384', 'P-521']);

/** Default `externalKeyTimeout`, in seconds. */
export const DEFAULT_EXTERNAL_KEY_TIMEOUT = 2;
/** The largest `externalKeyTimeout`, in seconds: a request should never wait longer for a key. */
const MAX_EXTERNAL_KEY_TIMEOUT = 60;

/** Whether a `decryptionKeys` entry is an external key (it has `unwrap` or `deriveSharedSecret`). */
export function isExternalDecryptionKey(value: unknown): value is ExternalDecryptionKey {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.unwrap === 'function' || typeof v.deriveSharedSecret === 'function';
}

/**
 * Validates the `externalKeyTimeout` option (seconds) and answers milliseconds.
 *
 * @example
 * ```ts
 * resolveExternalKeyTimeout(undefined) // 2000
 * ```
 */
export function resolveExternalKeyTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_EXTERNAL_KEY_TIMEOUT * 1000;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > MAX_EXTERNAL_KEY_TIMEOUT
  ) {
    throw new TypeError(
      `externalKeyTimeout: expected a number of seconds above 0 and at most ${MAX_EXTERNAL_KEY_TIMEOUT}`,
    );
  }
  return Math.ceil(value * 1000);
}

/**
 * Checks one external key of `decryptionKeys` (a `TypeError` naming the option on misuse).
 *
 * @param option The option path for messages, e.g. `decryptionKeys[1]`.
 * @param timeoutMs The resolved `externalKeyTimeout`.
 */
export function importExternalKey(
  key: ExternalDecryptionKey,
  option: string,
  timeoutMs: number,
): ExternalKeyEntry {
  const { kid, alg } = key as { kid: unknown; alg: unknown };
  // The kid is what keeps a token from reaching the key service unless it names this key.
  if (typeof kid !== 'string' || kid === '') {
    throw new TypeError(`${option}.kid: an external decryption key needs a non-empty kid`);
  }
  const rsa = typeof (key as { unwrap?: unknown }).unwrap === 'function';
  const ecdh = typeof (key as { deriveSharedSecret?: unknown }).deriveSharedSecret === 'function';
  if (rsa && ecdh) {
    throw new TypeError(`${option}: an external key has either unwrap or deriveSharedSecret`);
  }
  if (rsa) {
    if (typeof alg !== 'string' || !RSA_ALGS.has(alg)) {
      throw new TypeError(`${option}.alg: an unwrap key needs 'RSA-OAEP' or 'RSA-OAEP-256'`);
    }
    return { kid, alg, crv: undefined, external: key, timeoutMs };
  }
  if (typeof alg !== 'string' || !ECDH_ALGS.has(alg)) {
    throw new TypeError(
      `${option}.alg: a deriveSharedSecret key needs 'ECDH-ES' or 'ECDH-ES+A128KW'/'+A192KW'/'+A256KW'`,
    );
  }
  const crv = (key as { crv?: unknown }).crv;
  if (typeof crv !== 'string' || !ECDH_CURVES.has(crv)) {
    throw new TypeError(`${option}.crv: expected 'P-256', 'P-384' or 'P-521'`);
  }
  return { kid, alg, crv, external: key, timeoutMs };
}

/**
 * Takes the external keys out of the `decryptionKeys` option, validated, and leaves the
 * in-process ones for `importDecryptionKeys`.
 *
 * @param timeoutMs The resolved `externalKeyTimeout` (see {@link resolveExternalKeyTimeout}).
 * @returns `local`: the other inputs (undefined when there are none; a single input stays
 *   single, so option paths in messages are unchanged); `external`: the external keys.
 */
export function splitExternalKeys<T>(
  input: T | readonly T[] | undefined,
  timeoutMs: number,
): { local: T | readonly T[] | undefined; external: ExternalKeyEntry[] } {
  if (input === undefined) return { local: undefined, external: [] };
  if (!Array.isArray(input)) {
    return isExternalDecryptionKey(input)
      ? { local: undefined, external: [importExternalKey(input, 'decryptionKeys', timeoutMs)] }
      : { local: input as T, external: [] };
  }
  const list = input as readonly T[];
  const external: ExternalKeyEntry[] = [];
  list.forEach((item, index) => {
    if (isExternalDecryptionKey(item)) {
      external.push(importExternalKey(item, `decryptionKeys[${index}]`, timeoutMs));
    }
  });
  const kids = new Set(external.map((key) => key.kid));
  if (kids.size !== external.length) {
    throw new TypeError('decryptionKeys: two external keys have the same kid');
  }
  if (external.length === 0) return { local: input, external };
  const local = list.filter((item) => !isExternalDecryptionKey(item));
  return { local: local.length === 0 ? undefined : local, external };
}

/** What external-key selection reads from the JWE protected header. */
export interface ExternalKeySelector {
  readonly alg: string;
  readonly kid: string | undefined;
  /** `epk.crv` for ECDH-ES. */
  readonly crv: string | undefined;
}

/**
 * The external keys to try for a JWE: those whose `kid` the header names, for its `alg` (and, for
 * ECDH-ES, the `epk` curve). A JWE without `kid` gets none, so it never costs a key-service call.
 */
export function selectExternalKeys(
  keys: readonly ExternalKeyEntry[],
  selector: ExternalKeySelector,
): ExternalKeyEntry[] {
  if (selector.kid === undefined || keys.length === 0) return [];
  return keys.filter(
    (key) =>
      key.kid === selector.kid &&
      key.alg === selector.alg &&
      (key.crv === undefined || key.crv === selector.crv),
  );
}
