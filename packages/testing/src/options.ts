/**
 * Options of the test issuer and of each minted token, and their validation: a misspelt
 * algorithm is a `TypeError` naming the option when the issuer is created, not a failure deep
 * inside a test.
 */
import {
  CONTENT_ENCRYPTION_ALGORITHMS,
  type ContentEncryptionAlgorithm,
  type IssueClaims,
} from '@tokenward/core';
import { DEFAULT_TEST_AUDIENCE, DEFAULT_TEST_CLAIMS, DEFAULT_TEST_LIFETIME } from './defaults';
import {
  TEST_KEY_MANAGEMENT_ALGORITHMS,
  TEST_SIGNING_ALGORITHMS,
  type TestKeyManagementAlgorithm,
  type TestSigningAlgorithm,
} from './keys';

/** Options of `createTestIssuer`; every field is optional. */
export interface TestIssuerOptions {
  /**
   * JWS algorithm of the issuer's signing key: any of core's (`TEST_SIGNING_ALGORITHMS`).
   * RSA 2048 for `RS*`/`PS*`, the named curve for `ES*`, Ed25519 for `EdDSA`/`Ed25519`, a random
   * secret of the hash's length for `HS*`. Default `'RS256'`.
   */
  signingAlgorithm?: TestSigningAlgorithm;
  /**
   * JWE `alg` of the resource server's encryption key pair: RSA 2048 for `RSA-OAEP*`, P-256 for
   * `ECDH-ES*`. Default `'RSA-OAEP-256'`. `false`: no encryption keys (signed tokens only).
   */
  keyManagementAlgorithm?: TestKeyManagementAlgorithm | false;
  /** JWE `enc`: any of core's `CONTENT_ENCRYPTION_ALGORITHMS`. Default `'A256GCM'`. */
  contentEncryptionAlgorithm?: ContentEncryptionAlgorithm;
  /**
   * A fixed issuer identifier. Default: `DEFAULT_TEST_ISSUER` until `TestIssuer.start()` is
   * called, the server's `http://127.0.0.1:<port>` after that.
   */
  issuer?: string;
  /** The `aud` of minted tokens. Default `DEFAULT_TEST_AUDIENCE`. */
  audience?: string;
  /** Token lifetime in seconds. Default 300. */
  expiresIn?: number;
  /**
   * Claims every token gets unless a call overrides them.
   * Default `{ sub: 'test-user', client_id: 'test-client' }`.
   */
  defaultClaims?: IssueClaims;
}

/** Per-token options. */
export interface TestTokenOptions {
  /** Lifetime in seconds (overrides the issuer default). */
  expiresIn?: number;
  /** Mint as of this time (`iat`); pair it with the verifier's `currentDate`. Default now. */
  currentDate?: Date;
  /** The inner header `typ`. Default `'at+jwt'` (RFC 9068 §2.1). */
  type?: string;
}

/** Options of `TestIssuer.issueInvalid`. */
export interface InvalidTokenOptions extends TestTokenOptions {
  /** Wrap the bad signed token in a JWE for the resource server (sign, then encrypt). Default false. */
  nested?: boolean;
}

/** {@link TestIssuerOptions} checked, with every default filled in. */
export interface ResolvedTestIssuerOptions {
  readonly signingAlgorithm: TestSigningAlgorithm;
  /** Undefined when the issuer does not encrypt. */
  readonly keyManagementAlgorithm: TestKeyManagementAlgorithm | undefined;
  readonly contentEncryptionAlgorithm: ContentEncryptionAlgorithm;
  /** The fixed issuer identifier, if one was given. */
  readonly issuer: string | undefined;
  readonly audience: string;
  readonly expiresIn: number;
  readonly defaultClaims: IssueClaims;
}

function oneOf<T>(value: T | undefined, allowed: readonly T[], option: string): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new TypeError(`${option}: expected one of ${allowed.join(', ')}`);
  }
}

/**
 * Validates {@link TestIssuerOptions} and fills in the defaults.
 *
 * @param options What the caller passed to `createTestIssuer`.
 * @throws TypeError naming the option on an unsupported algorithm, an empty issuer or a
 *   lifetime that is not a positive number of seconds.
 * @example `resolveTestIssuerOptions({ signingAlgorithm: 'ES256' }).keyManagementAlgorithm // 'RSA-OAEP-256'`
 */
export function resolveTestIssuerOptions(options: TestIssuerOptions): ResolvedTestIssuerOptions {
  oneOf(options.signingAlgorithm, TEST_SIGNING_ALGORITHMS, 'signingAlgorithm');
  if (options.keyManagementAlgorithm !== false) {
    oneOf(options.keyManagementAlgorithm, TEST_KEY_MANAGEMENT_ALGORITHMS, 'keyManagementAlgorithm');
  }
  oneOf<string>(
    options.contentEncryptionAlgorithm,
    CONTENT_ENCRYPTION_ALGORITHMS,
    'contentEncryptionAlgorithm',
  );
  if (options.issuer !== undefined && (typeof options.issuer !== 'string' || options.issuer === ''))
    throw new TypeError('issuer: expected a non-empty string');
  if (
    options.expiresIn !== undefined &&
    (!Number.isFinite(options.expiresIn) || options.expiresIn <= 0)
  )
    throw new TypeError('expiresIn: expected a positive number of seconds');
  return {
    signingAlgorithm: options.signingAlgorithm ?? 'RS256',
    keyManagementAlgorithm:
      options.keyManagementAlgorithm === false
        ? undefined
        : (options.keyManagementAlgorithm ?? 'RSA-OAEP-256'),
    contentEncryptionAlgorithm: options.contentEncryptionAlgorithm ?? 'A256GCM',
    issuer: options.issuer,
    audience: options.audience ?? DEFAULT_TEST_AUDIENCE,
    expiresIn: options.expiresIn ?? DEFAULT_TEST_LIFETIME,
    defaultClaims: options.defaultClaims ?? { ...DEFAULT_TEST_CLAIMS },
  };
}
