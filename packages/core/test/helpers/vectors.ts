/**
 * Known-answer test harness: loads the RFC 7520 cookbook and Wycheproof JOSE vectors (copied into
 * `test/vectors/fixtures`, see its README for provenance and licences) and runs them through
 * tokenward's own layers — `splitCompact`, `verifyJWS`, `decryptJWE` and the key importers —
 * configured the way an operator would configure `createVerifier` for that key.
 *
 * Policy (the one Wycheproof intends, see its `WrongPrimitive` and `Pkcs15WithOaepKey` notes): the
 * key's `alg` is the only algorithm allowed. A key without `alg` gets tokenward's default allowlist
 * for its kind (`ASYMMETRIC_JWS_ALGORITHMS`, or the HMAC algorithms the secret is long enough for).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { InvalidTokenError } from '../../src/errors/errors';
import { decryptJWE, type DecryptedJWE } from '../../src/jwe/decrypt-jwe';
import { verifyJWS, type VerifiedJWS } from '../../src/jws/verify-jws';
import { importDecryptionKeys } from '../../src/keys/decryption-keys';
import { isJWKSet, type ImportedKey, type JSONWebKeySet } from '../../src/keys/key-input';
import {
  createLocalKeySource,
  hmacAlgorithmsFor,
  importSecret,
  importVerificationKeys,
} from '../../src/keys/local-keys';
import { ASYMMETRIC_JWS_ALGORITHMS, CONTENT_ENCRYPTION_ALGORITHMS } from '../../src/lib/algorithms';
import { splitCompact } from '../../src/compact/compact';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../../src/config/verifier-options';

/** Where the vector files live (RFC 7520 and Wycheproof, Prettier-formatted; fixtures/README.md names their sources). */
export const FIXTURES_DIR = join(__dirname, '..', 'vectors', 'fixtures');

/** Reads and parses one fixture file, e.g. `cookbook/jws/4_1.rsa_v15_signature.json`. */
export function loadFixture<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, relativePath), 'utf8')) as T;
}

// ---------------------------------------------------------------------------------------------
// Wycheproof file shapes (schemas/json_web_*_schema_v1.json)

/** Wycheproof's verdict on a vector. */
export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

/** One Wycheproof JWS / JWK test case. */
export interface WycheproofSignatureTest {
  readonly tcId: number;
  readonly comment: string;
  readonly jws: string;
  readonly result: WycheproofResult;
  readonly flags: readonly string[];
}

/** One Wycheproof JWE test case. */
export interface WycheproofEncryptionTest {
  readonly tcId: number;
  readonly comment: string;
  readonly jwe: string;
  readonly enc: string;
  /** Expected plaintext, hex (present on the valid cases). */
  readonly pt?: string;
  readonly result: WycheproofResult;
  readonly flags: readonly string[];
}

/** A Wycheproof test group: the keys and the tests that use them. */
export interface WycheproofGroup<T> {
  readonly type: string;
  readonly comment: string;
  readonly private: JWK | JSONWebKeySet;
  readonly public?: JWK | JSONWebKeySet;
  readonly tests: readonly T[];
}

/** A Wycheproof `json_web_*_test.json` file. */
export interface WycheproofFile<T> {
  readonly numberOfTests: number;
  readonly notes: Record<string, { bugType: string; description: string }>;
  readonly testGroups: readonly WycheproofGroup<T>[];
}

/** A test case with its group, flattened for `test.each`. */
export type WycheproofRow<T> = T & { readonly group: WycheproofGroup<T> };

/** Loads a Wycheproof file from `fixtures/wycheproof/`. */
export function loadWycheproof<T>(fileName: string): WycheproofFile<T> {
  return loadFixture<WycheproofFile<T>>(`wycheproof/${fileName}`);
}

/** One row per test case, in file order. */
export function wycheproofRows<T>(file: WycheproofFile<T>): WycheproofRow<T>[] {
  return file.testGroups.flatMap((group) => group.tests.map((test) => ({ ...test, group })));
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/**
 * What happened to one vector. A key tokenward refuses at configuration time (`TypeError`, as
 * `createVerifier` would throw) is a rejection too, but a distinct one.
 */
export type Outcome<T> =
  | { readonly status: 'accepted'; readonly value: T }
  | { readonly status: 'key-refused'; readonly error: TypeError }
  | { readonly status: 'rejected'; readonly error: InvalidTokenError };

/**
 * Runs the configuration step, then the token step. Anything thrown other than a configuration
 * `TypeError` or an `InvalidTokenError` is a crash and propagates, failing the test.
 */
export async function attempt<C, T>(
  configure: () => C,
  run: (config: C) => Promise<T>,
): Promise<Outcome<T>> {
  let config: C;
  try {
    config = configure();
  } catch (error) {
    if (error instanceof TypeError) return { status: 'key-refused', error };
    throw error;
  }
  try {
    return { status: 'accepted', value: await run(config) };
  } catch (error) {
    if (error instanceof InvalidTokenError) return { status: 'rejected', error };
    throw error;
  }
}

/** Whether the outcome is any kind of rejection. */
export const isRejection = (outcome: Outcome<unknown>): boolean => outcome.status !== 'accepted';

/** A short description of an outcome for failure messages (never the token). */
export function describeOutcome(outcome: Outcome<unknown>): string {
  if (outcome.status === 'accepted') return 'accepted';
  if (outcome.status === 'key-refused') return `key refused: ${outcome.error.message}`;
  return `rejected: ${outcome.error.code}`;
}

// ---------------------------------------------------------------------------------------------
// JWK helpers

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** The public part of a JWK (drops `d`, `p`, … as RFC 7518 §6 defines them). */
export function publicJWK(jwk: JWK): JWK {
  return Object.fromEntries(
    Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name)),
  ) as JWK;
}

/** The members of a JWK or JWK Set. */
export const jwkMembers = (material: JWK | JSONWebKeySet): JWK[] =>
  isJWKSet(material) ? material.keys : [material];

/** Lower-case hex of some bytes. */
export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// ---------------------------------------------------------------------------------------------
// JWS: the `keys` or `secret` option, then splitCompact + verifyJWS

/** The signature-verification configuration derived from a key. */
export interface SignatureConfig {
  readonly keys: readonly ImportedKey[];
  readonly algorithms: ReadonlySet<string>;
}

/**
 * Configures signature verification for a vector key the way an operator would: a lone `oct`
 * key is the `secret` option (`importSecret`); anything else, including a JWK Set that holds
 * `oct` members, is the `keys` option (`importVerificationKeys`). `algorithms` is the key's
 * `alg`, or tokenward's default allowlist when the key has none.
 */
export function configureSignature(material: JWK | JSONWebKeySet): SignatureConfig {
  const members = jwkMembers(material);
  const [only] = members;
  if (members.length === 1 && only?.kty === 'oct') {
    const secret = importSecret(Buffer.from(String(only.k), 'base64url'));
    const fitting = hmacAlgorithmsFor(secret.key.symmetricKeySize ?? 0);
    const algorithms = only.alg === undefined ? fitting : [only.alg];
    // createVerifier refuses these at construction (resolveAlgorithms in verifier-options.ts):
    // an HS algorithm whose hash is longer than the secret (RFC 7518 §3.2), or a non-HMAC one.
    const unfit = algorithms.find((alg) => !fitting.includes(alg));
    if (unfit !== undefined) {
      throw new TypeError(`secret: ${unfit} cannot be used with this secret (RFC 7518 §3.2)`);
    }
    return { keys: [secret], algorithms: new Set(algorithms) };
  }
  const keys = importVerificationKeys(material);
  const algs = members.map((jwk) => jwk.alg);
  const algorithms = algs.every((alg) => alg !== undefined)
    ? new Set(algs as string[])
    : new Set<string>(ASYMMETRIC_JWS_ALGORITHMS);
  return { keys, algorithms };
}

/**
 * Verifies a compact JWS with tokenward's JWS layer. Like `createVerifier` without
 * `decryptionKeys`, a five-segment token is refused as an encrypted token (`ERR_JWE_NOT_ALLOWED`).
 */
export async function verifyCompactJWS(
  token: string,
  config: SignatureConfig,
): Promise<VerifiedJWS> {
  const compact = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
  if (compact.kind !== 'JWS') {
    throw new InvalidTokenError('ERR_JWE_NOT_ALLOWED', 'encrypted tokens are not accepted here');
  }
  const source = createLocalKeySource(config.keys);
  return verifyJWS(token, compact.segments, {
    algorithms: config.algorithms,
    // The vectors carry no `iss`; every token goes to the one configured key source.
    trustFor: () => ({ source, algorithms: config.algorithms }),
  });
}

// ---------------------------------------------------------------------------------------------
// JWE: the `decryptionKeys` option, then splitCompact + decryptJWE

/** The decryption configuration derived from a key. */
export interface DecryptionConfig {
  readonly decryptionKeys: readonly ImportedKey[];
  readonly keyManagementAlgorithms: ReadonlySet<string>;
  readonly contentEncryptionAlgorithms: ReadonlySet<string>;
}

/**
 * Configures decryption for a vector key: `importDecryptionKeys`, `keyManagementAlgorithms` =
 * the key's `alg`, every supported `enc`. A `dir` key's `alg` names its content encryption
 * (RFC 7518 §4.5), so it allows `dir` with exactly that `enc`.
 */
export function configureDecryption(
  material: JWK | JSONWebKeySet,
  alg: string | undefined = jwkMembers(material)[0]?.alg,
): DecryptionConfig {
  const decryptionKeys = importDecryptionKeys(material);
  const contentAlgs: readonly string[] = CONTENT_ENCRYPTION_ALGORITHMS;
  const isDirect = alg !== undefined && contentAlgs.includes(alg);
  return {
    decryptionKeys,
    keyManagementAlgorithms: new Set(isDirect ? ['dir'] : alg === undefined ? [] : [alg]),
    contentEncryptionAlgorithms: new Set(isDirect ? [alg] : contentAlgs),
  };
}

/**
 * Decrypts a compact JWE with tokenward's JWE layer. `allowUnsigned` is on because the vector
 * plaintexts are not JWTs; a three-segment token is refused like `encryption: 'required'` does.
 */
export async function decryptCompactJWE(
  token: string,
  config: DecryptionConfig,
  allowUnsigned = true,
): Promise<DecryptedJWE> {
  const compact = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
  if (compact.kind !== 'JWE') {
    throw new InvalidTokenError('ERR_JWE_REQUIRED', 'the token is not encrypted');
  }
  return decryptJWE(token, compact.segments, { ...config, allowUnsigned });
}
