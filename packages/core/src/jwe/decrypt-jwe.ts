/**
 * Decrypts the outer layer of a nested access token (RFC 7519 §11.2, RFC 7516) with the resource
 * server's own keys, after the header checks of the security defaults (docs/architecture.md SD-11 to SD-14).
 */
import { InvalidTokenError } from '../errors/errors';
import { VerifierBusyError } from '../errors/verifier-busy-error';
import { selectDecryptionKeys } from '../keys/decryption-keys';
import { selectExternalKeys, type ExternalKeyEntry } from '../keys/external-keys';
import type { ImportedKey } from '../keys/key-input';
import { FORBIDDEN_KEY_MANAGEMENT } from '../lib/algorithms';
import type { CryptoPool } from '../lib/crypto-pool';
import { decodeHeaderSegment } from '../compact/compact';
import { normalizeMediaType } from '../compact/media-type';
import { checkCommonHeader, readAlg } from '../compact/header-checks';
import { decryptWithExternalKey } from './engines/external';
import { decryptWithJose } from './engines/jose';
import { fastDecryptorFor } from './engines/select';

/** What decryption needs from the verifier. */
export interface JWEDecryptionContext {
  readonly keyManagementAlgorithms: ReadonlySet<string>;
  readonly contentEncryptionAlgorithms: ReadonlySet<string>;
  readonly decryptionKeys: readonly ImportedKey[];
  /**
   * Keys held outside the process (`ExternalDecryptionKey` in `decryptionKeys`), tried after the
   * in-process ones on a JWE that names their `kid`. Absent: none.
   */
  readonly externalDecryptionKeys?: readonly ExternalKeyEntry[];
  /** Whether a JWE with no `cty` may carry bare claims (symmetric key management only). */
  readonly allowUnsigned: boolean;
  /**
   * The bound on concurrent private-key work (options `maxConcurrentDecryptions`,
   * `maxQueuedDecryptions`); every decryption attempt takes a slot. Absent: unbounded.
   */
  readonly cryptoPool?: CryptoPool;
  /**
   * Whether a JWE must name its key (`kid`): a tenant's verifier, so no tenant's key is tried on
   * a token that does not name it (and no candidate search runs at all).
   */
  readonly requireKid?: boolean;
}

/** The decrypted outer layer. */
export interface DecryptedJWE {
  /** The JWE protected header. */
  readonly header: Record<string, unknown>;
  /** The plaintext bytes. */
  readonly plaintext: Uint8Array;
  /** Whether the header announces a nested JWT (`cty` JWT or at+jwt). */
  readonly nested: boolean;
}

// RFC 7519 §5.2 says `cty` is "JWT" for a nested JWT; authorization servers that encrypt RFC
// 9068 tokens send the inner type, `at+jwt`, instead. Both mean "the payload is a JWT".
const NESTED_CONTENT_TYPES = new Set(['jwt', 'at+jwt']);

// The longest encrypted key we accept: an RSA-OAEP key wrapped with an 8192-bit modulus is
// 1024 bytes (1366 base64url characters). Anything longer is rejected before any crypto.
const MAX_ENCRYPTED_KEY_CHARS = 1366;

/** Checks the JWE header and decrypts with the fitting keys (at most a bounded few). */
export async function decryptJWE(
  token: string,
  segments: readonly string[],
  context: JWEDecryptionContext,
): Promise<DecryptedJWE> {
  const header = decodeHeaderSegment(segments[0] as string, 'JWE');
  const alg = readAlg(header, 'JWE');
  const enc = header.enc;
  if (FORBIDDEN_KEY_MANAGEMENT.test(alg) || !context.keyManagementAlgorithms.has(alg)) {
    throw new InvalidTokenError(
      'ERR_JWE_ALG_NOT_ALLOWED',
      'the JWE key management algorithm is not allowed (option keyManagementAlgorithms)',
    );
  }
  if (typeof enc !== 'string' || !context.contentEncryptionAlgorithms.has(enc)) {
    throw new InvalidTokenError(
      'ERR_JWE_ENC_NOT_ALLOWED',
      'the JWE content encryption algorithm is not allowed (option contentEncryptionAlgorithms)',
    );
  }
  // RFC 8725 §3.6: compression before encryption leaks plaintext and invites zip bombs.
  if (header.zip !== undefined) {
    throw new InvalidTokenError('ERR_JWE_ZIP_NOT_ALLOWED', 'compressed JWE (zip) is not accepted');
  }
  checkCommonHeader(header, 'JWE');
  const cty = header.cty;
  const nested = typeof cty === 'string' && NESTED_CONTENT_TYPES.has(normalizeMediaType(cty));
  if (!nested && !context.allowUnsigned) {
    throw new InvalidTokenError(
      'ERR_JWE_NOT_NESTED',
      'the JWE does not announce a signed JWT inside (cty must be "JWT"); an encrypted token must be signed by its issuer',
    );
  }
  const encryptedKey = segments[1] as string;
  if (encryptedKey.length > MAX_ENCRYPTED_KEY_CHARS) {
    throw new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'the JWE encrypted key is longer than any supported key produces',
    );
  }
  if (context.requireKid === true && (typeof header.kid !== 'string' || header.kid === '')) {
    throw new InvalidTokenError(
      'ERR_JWE_KEY_NOT_FOUND',
      'the JWE names no key (kid), which this tenant requires; no key was tried',
    );
  }
  const epk = header.epk;
  const crv = typeof epk === 'object' && epk !== null ? (epk as { crv?: unknown }).crv : undefined;
  const selector = {
    alg,
    enc,
    kid: header.kid as string | undefined,
    crv: typeof crv === 'string' ? crv : undefined,
  };
  const candidates = selectDecryptionKeys(context.decryptionKeys, selector);
  const external = selectExternalKeys(context.externalDecryptionKeys ?? [], selector);
  if (candidates.length === 0 && external.length === 0) {
    throw new InvalidTokenError(
      'ERR_JWE_KEY_NOT_FOUND',
      'no configured decryption key fits this token (kid or algorithm); check option decryptionKeys',
    );
  }
  // A fast engine answers "does not decrypt with this key" without an error object; jose's own
  // failure is kept as `cause` (never shown to clients).
  let joseError: unknown;
  const fast =
    candidates.length > 0 && candidates.every((c) => c.key.type === 'private')
      ? fastDecryptorFor(alg, enc, header, segments)
      : undefined;
  // Every attempt holds a slot of the pool for its private-key work; past the queue bound the
  // request is shed with 503 (VerifierBusyError) before any work is done.
  const bounded = <T>(task: () => Promise<T>): Promise<T> =>
    context.cryptoPool ? context.cryptoPool.run(task) : task();
  for (const candidate of candidates) {
    if (fast) {
      const plaintext = await bounded(async () => fast(candidate.key));
      if (plaintext !== undefined) return { header, plaintext, nested };
      continue;
    }
    try {
      const plaintext = await bounded(() => decryptWithJose(token, candidate.key, alg, enc));
      return { header, plaintext, nested };
    } catch (error) {
      if (error instanceof VerifierBusyError) throw error;
      joseError = error;
    }
  }
  // The key service does the private-key step; its failure is 503 (KeyServiceUnavailableError).
  for (const key of external) {
    const plaintext = await decryptWithExternalKey(key, alg, enc, header, segments, bounded);
    if (plaintext !== undefined) return { header, plaintext, nested };
  }
  throw new InvalidTokenError(
    'ERR_JWE_DECRYPTION_FAILED',
    'the token could not be decrypted',
    joseError === undefined ? undefined : { cause: joseError },
  );
}
