/**
 * The issuer's signing key (a key pair, or an HMAC secret for HS*), the public keys it has
 * published, and core's `createIssuer` built over them. Rotation replaces the key and keeps the
 * old public key published, as a real authorization server does during a rollover.
 */
import { createIssuer, type IssuerOptions, type Issuer, type JSONWebKeySet } from '@tokenward/core';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { DEFAULT_TEST_ISSUER } from './defaults';
import {
  generateTestKeyPair,
  generateTestSecret,
  isHmacAlgorithm,
  type GeneratedKeyPair,
  type TestSigningAlgorithm,
} from './keys';

/** What core's issuer needs besides the signing key: audience, lifetime, encryption. */
export type IssuerSettings = Pick<
  IssuerOptions,
  | 'audience'
  | 'expiresIn'
  | 'encryptionKey'
  | 'keyManagementAlgorithm'
  | 'contentEncryptionAlgorithm'
>;

/** The issuer's signing key material and the core issuer that signs with it. */
export interface SigningKeys {
  readonly algorithm: TestSigningAlgorithm;
  /** The HMAC secret for HS*, else undefined. */
  readonly secret: Uint8Array | undefined;
  /** The public JWK Set to publish: current key first, then the previous ones (empty for HS*). */
  jwks(): JSONWebKeySet;
  /** Core's issuer over the current key. */
  current(): Issuer;
  /** Core's issuer over a freshly generated key nobody publishes (another `kid`, or secret). */
  stranger(): Promise<Issuer>;
  /**
   * Replaces the key pair with a new one (new `kid`).
   *
   * @param keepPrevious Keep the old public key in {@link jwks}. Default true.
   * @throws TypeError for HS*: a secret has no public key to publish or rotate.
   */
  rotate(keepPrevious?: boolean): Promise<void>;
}

/** A key pair for asymmetric algorithms, a shared secret for HS*. */
type SigningKey = { readonly pair: GeneratedKeyPair } | { readonly secret: Uint8Array };

async function coreIssuer(
  algorithm: TestSigningAlgorithm,
  key: SigningKey,
  settings: IssuerSettings,
): Promise<Issuer> {
  return createIssuer({
    // Every token sets `iss` itself: the identifier changes when the server starts.
    issuer: DEFAULT_TEST_ISSUER,
    ...('secret' in key
      ? { secret: key.secret }
      : { signingKey: key.pair.privateKey, kid: key.pair.kid }),
    algorithm,
    ...settings,
  });
}

/**
 * Generates the signing key for `algorithm` and builds core's issuer over it.
 *
 * @param algorithm Any of `TEST_SIGNING_ALGORITHMS`.
 * @param settings Audience, lifetime and (optionally) the resource server's encryption key.
 * @example `const signing = await createSigningKeys('ES256', { audience: 'api', expiresIn: 300 })`
 */
export async function createSigningKeys(
  algorithm: TestSigningAlgorithm,
  settings: IssuerSettings,
): Promise<SigningKeys> {
  const newKey = async (): Promise<SigningKey> =>
    isHmacAlgorithm(algorithm)
      ? { secret: generateTestSecret(algorithm) }
      : { pair: await generateTestKeyPair(algorithm, 'sig') };
  let key = await newKey();
  let issuer = await coreIssuer(algorithm, key, settings);
  let previous: JWK[] = [];
  return {
    algorithm,
    secret: 'secret' in key ? key.secret : undefined,
    jwks: () => ({ keys: 'pair' in key ? [key.pair.publicJwk, ...previous] : [] }),
    current: () => issuer,
    stranger: async () => coreIssuer(algorithm, await newKey(), settings),
    async rotate(keepPrevious = true) {
      if (!('pair' in key)) {
        throw new TypeError(
          `rotateSigningKey: an ${algorithm} test issuer has no public key to rotate`,
        );
      }
      const next = await newKey();
      previous = keepPrevious ? [key.pair.publicJwk, ...previous] : [];
      key = next;
      issuer = await coreIssuer(algorithm, next, settings);
    },
  };
}
