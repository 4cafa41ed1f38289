/**
 * The options of {@link createVerifier}, validated and normalised once (a `TypeError` naming the
 * option on misuse), so nothing on the request path re-checks configuration.
 */
import type { KeyObject } from 'node:crypto';
import type { TokenSourcesOptions } from './bearer';
import {
  resolveClaimsProfile,
  type ClaimsMapping,
  type ClaimsPresetName,
  type ClaimsProfile,
} from './claims/presets';
import type { ClaimRules } from './claims/validate-claims';
import { normalizeMediaType } from './claims/validate-claims';
import { DEFAULT_REALM } from './errors';
import { importDecryptionKeys, type DecryptionKeyInput } from './keys/decryption-keys';
import type { ImportedKey } from './keys/key-input';
import type { SigningKeySource } from './keys/key-source';
import {
  createLocalKeySource,
  hmacAlgorithmsFor,
  importSecret,
  importVerificationKeys,
  type PublicKeyInput,
} from './keys/local-keys';
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  CONTENT_ENCRYPTION_ALGORITHMS,
  FORBIDDEN_KEY_MANAGEMENT,
  HMAC_JWS_ALGORITHMS,
  HMAC_MIN_SECRET_BYTES,
  KEY_MANAGEMENT_ALGORITHMS,
} from './lib/algorithms';

/** Whether encrypted (JWE) access tokens are required, accepted, or refused. */
export type EncryptionMode = 'required' | 'optional' | 'forbidden';

/** Options of {@link createVerifier}. Exactly one signature key source (`keys` or `secret`). */
export interface VerifierOptions {
  /** Accepted `iss` values, compared exactly (no trailing-slash or case folding). Required. */
  issuer: string | readonly string[];
  /** Accepted `aud` values; a token must name at least one. Required. */
  audience: string | readonly string[];
  /**
   * The issuer's public signature keys: a JWK, a JWK Set, PEM text (SPKI or an X.509
   * certificate), a KeyObject, or a list of these. Members of a JWK Set with `use: "enc"` are
   * skipped; RSA keys must have at least 2048 bits.
   */
  keys?: PublicKeyInput | readonly PublicKeyInput[];
  /**
   * A shared HMAC secret (HS256/384/512), at least 32 bytes; HS384 needs 48 and HS512 64
   * (RFC 7518 §3.2). The HS algorithms are only ever allowed with this option.
   */
  secret?: string | Uint8Array | KeyObject;
  /**
   * Allowed JWS algorithms. Default: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA with
   * `keys`; the HS algorithms the secret is long enough for with `secret`. `none` is never allowed.
   */
  algorithms?: readonly string[];
  /**
   * The resource server's private decryption keys: private JWKs or a private JWK Set, PKCS#8 PEM,
   * KeyObjects, raw symmetric key bytes, or `{ kid, key }` for keys without a `kid`. Several may be
   * given (rotation): a JWE's `kid` selects among them; a JWE without `kid` tries at most 3 keys
   * whose type fits its `alg`.
   */
  decryptionKeys?: DecryptionKeyInput | readonly DecryptionKeyInput[];
  /** Default `'optional'` when `decryptionKeys` are given, else `'forbidden'`. */
  encryption?: EncryptionMode;
  /** Allowed JWE `alg` values. Default: every supported one (RSA-OAEP*, ECDH-ES*, A*KW, A*GCMKW, dir); never RSA1_5 or PBES2. */
  keyManagementAlgorithms?: readonly string[];
  /** Allowed JWE `enc` values. Default: A128/192/256GCM and A128CBC-HS256/A192CBC-HS384/A256CBC-HS512. */
  contentEncryptionAlgorithms?: readonly string[];
  /**
   * Accept a JWE whose plaintext is a bare claims set rather than a signed JWT, only when its key
   * management is symmetric (`dir`, `A*KW`, `A*GCMKW`), where the shared key authenticates the
   * sender. Default false: an encrypted token must carry its issuer's signature.
   */
  allowUnsignedEncryptedTokens?: boolean;
  /** Clock skew tolerated on `exp`, `nbf`, `iat`, in seconds. Default 30; at most 300. */
  clockTolerance?: number;
  /** Reject tokens whose `iat` is older than this many seconds (and tokens without `iat`). */
  maxTokenAge?: number;
  /** Claims that must be present (beyond `iss`, `aud`, `exp`, which always are). */
  requiredClaims?: readonly string[];
  /**
   * Accepted header `typ` values, case-insensitive, `application/` optional; `''` accepts a
   * token without `typ`. Default: RFC 9068 `at+jwt`, or the convention of the claims preset.
   */
  tokenType?: string | readonly string[];
  /** Where scopes, roles and client id are read from: a preset name or a mapping. */
  claims?: ClaimsPresetName | ClaimsMapping;
  /** Longest token accepted, in characters, checked before any decoding. Default 16384. */
  maxTokenLength?: number;
  /** The `realm` of `WWW-Authenticate` challenges. Default `"api"`. */
  realm?: string;
  /** Places besides the Authorization header a token may come from (`verifyRequest`). */
  tokenSources?: TokenSourcesOptions;
}

/** Options after validation. */
export interface ResolvedVerifierOptions {
  readonly claimRules: ClaimRules;
  readonly algorithms: ReadonlySet<string>;
  readonly keySourceFor: (issuer: unknown) => SigningKeySource | undefined;
  readonly encryption: EncryptionMode;
  readonly decryptionKeys: readonly ImportedKey[];
  readonly keyManagementAlgorithms: ReadonlySet<string>;
  readonly contentEncryptionAlgorithms: ReadonlySet<string>;
  readonly allowUnsignedEncryptedTokens: boolean;
  readonly maxTokenLength: number;
  readonly realm: string;
  readonly tokenSources: TokenSourcesOptions;
  readonly profile: ClaimsProfile;
}

/** Default clock tolerance in seconds. */
export const DEFAULT_CLOCK_TOLERANCE = 30;
/** Largest clock tolerance accepted, in seconds. */
export const MAX_CLOCK_TOLERANCE = 300;
/** Default `maxTokenLength`, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 16384;

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'keys',
  'secret',
  'algorithms',
  'decryptionKeys',
  'encryption',
  'keyManagementAlgorithms',
  'contentEncryptionAlgorithms',
  'allowUnsignedEncryptedTokens',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'tokenType',
  'claims',
  'maxTokenLength',
  'realm',
  'tokenSources',
]);

function stringList(value: unknown, option: string, allowEmptyString = false): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((v) => typeof v === 'string' && (allowEmptyString || v !== ''))
  ) {
    throw new TypeError(
      `${option}: expected a non-empty string or a non-empty array of non-empty strings`,
    );
  }
  return list as string[];
}

function allowlist(
  value: readonly string[] | undefined,
  supported: readonly string[],
  option: string,
): Set<string> {
  if (value === undefined) return new Set(supported);
  const list = stringList(value, option);
  for (const alg of list) {
    if (FORBIDDEN_KEY_MANAGEMENT.test(alg)) {
      throw new TypeError(
        `${option}: ${alg} is never allowed (RFC 8725 §3.2; PBES2 and RSA1_5 are unsafe for access tokens)`,
      );
    }
    if (!supported.includes(alg)) {
      throw new TypeError(
        `${option}: unsupported algorithm ${JSON.stringify(alg)}; supported: ${supported.join(', ')}`,
      );
    }
  }
  return new Set(list);
}

function seconds(value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new TypeError(`${option}: expected a number of seconds between 0 and ${max}`);
  }
  return value;
}

function resolveAlgorithms(options: VerifierOptions, secret: ImportedKey | undefined): Set<string> {
  if (secret) {
    const fitting = hmacAlgorithmsFor(secret.key.symmetricKeySize ?? 0);
    if (options.algorithms === undefined) return new Set(fitting);
    const list = stringList(options.algorithms, 'algorithms');
    for (const alg of list) {
      if (!(HMAC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new TypeError(
          `algorithms: ${alg} cannot be used with a secret; only HS256, HS384, HS512 can`,
        );
      }
      if (!fitting.includes(alg)) {
        const needed = HMAC_MIN_SECRET_BYTES[alg as keyof typeof HMAC_MIN_SECRET_BYTES];
        throw new TypeError(
          `secret: ${alg} needs a secret of at least ${needed} bytes (RFC 7518 §3.2)`,
        );
      }
    }
    return new Set(list);
  }
  if (options.algorithms === undefined) return new Set(ASYMMETRIC_JWS_ALGORITHMS);
  const list = stringList(options.algorithms, 'algorithms');
  for (const alg of list) {
    if ((HMAC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `algorithms: ${alg} is only allowed with the secret option, never with public keys`,
      );
    }
    if (!(ASYMMETRIC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `algorithms: unsupported algorithm ${JSON.stringify(alg)}; supported: ${ASYMMETRIC_JWS_ALGORITHMS.join(', ')}`,
      );
    }
  }
  return new Set(list);
}

/** Validates and normalises {@link VerifierOptions}. */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createVerifier: options object required');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`${key}: unknown option`);
  }
  const issuers = stringList(options.issuer, 'issuer');
  const audiences = stringList(options.audience, 'audience');

  if ((options.keys === undefined) === (options.secret === undefined)) {
    throw new TypeError('keys, secret: give exactly one signature key source');
  }
  const secret = options.secret === undefined ? undefined : importSecret(options.secret);
  const keys = secret ? [secret] : importVerificationKeys(options.keys as PublicKeyInput);
  const source = createLocalKeySource(keys);
  const algorithms = resolveAlgorithms(options, secret);

  const decryptionKeys =
    options.decryptionKeys === undefined ? [] : importDecryptionKeys(options.decryptionKeys);
  const encryption = options.encryption ?? (decryptionKeys.length > 0 ? 'optional' : 'forbidden');
  if (!['required', 'optional', 'forbidden'].includes(encryption)) {
    throw new TypeError(`encryption: expected 'required', 'optional' or 'forbidden'`);
  }
  if (encryption !== 'forbidden' && decryptionKeys.length === 0) {
    throw new TypeError(`encryption: '${encryption}' needs the decryptionKeys option`);
  }

  const clockTolerance =
    options.clockTolerance === undefined
      ? DEFAULT_CLOCK_TOLERANCE
      : seconds(options.clockTolerance, 'clockTolerance', MAX_CLOCK_TOLERANCE);
  const maxTokenAge =
    options.maxTokenAge === undefined ? undefined : seconds(options.maxTokenAge, 'maxTokenAge');
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 16) {
    throw new TypeError('maxTokenLength: expected an integer of at least 16 characters');
  }
  const requiredClaims = options.requiredClaims === undefined ? [] : [...options.requiredClaims];
  if (!requiredClaims.every((c) => typeof c === 'string' && c !== ''))
    throw new TypeError('requiredClaims: expected claim names');
  const profile = resolveClaimsProfile(options.claims, audiences);
  const tokenTypes =
    options.tokenType === undefined
      ? profile.tokenTypes
      : stringList(options.tokenType, 'tokenType', true).map(normalizeMediaType);
  const realm = options.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || realm === '')
    throw new TypeError('realm: expected a non-empty string');

  return {
    claimRules: {
      issuers,
      audiences,
      clockTolerance,
      maxTokenAge,
      requiredClaims,
      tokenTypes,
      profile,
    },
    algorithms,
    // Local keys serve every configured issuer; remote sources are chosen per issuer.
    keySourceFor: (issuer) =>
      typeof issuer === 'string' && issuers.includes(issuer) ? source : undefined,
    encryption,
    decryptionKeys,
    keyManagementAlgorithms: allowlist(
      options.keyManagementAlgorithms,
      KEY_MANAGEMENT_ALGORITHMS,
      'keyManagementAlgorithms',
    ),
    contentEncryptionAlgorithms: allowlist(
      options.contentEncryptionAlgorithms,
      CONTENT_ENCRYPTION_ALGORITHMS,
      'contentEncryptionAlgorithms',
    ),
    allowUnsignedEncryptedTokens: options.allowUnsignedEncryptedTokens === true,
    maxTokenLength,
    realm,
    tokenSources: {
      query: options.tokenSources?.query === true,
      body: options.tokenSources?.body === true,
    },
    profile,
  };
}
