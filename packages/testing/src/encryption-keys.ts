/**
 * The resource server's encryption key pair, held by the test issuer: the public half is what
 * tokens are encrypted to, the private half is what the verifier decrypts with. Also encrypts
 * arbitrary plaintext, for the hostile tokens core's issuer would never make.
 */
import { CompactEncrypt } from 'jose';
import type { ContentEncryptionAlgorithm, IssuerOptions, JSONWebKeySet } from '@tokenward/core';
import {
  generateTestKeyPair,
  type GeneratedKeyPair,
  type TestKeyManagementAlgorithm,
} from './keys';

/** The resource server's key pair and the JWE algorithms tokens to it use. */
export interface EncryptionKeys {
  readonly pair: GeneratedKeyPair;
  readonly keyManagementAlgorithm: TestKeyManagementAlgorithm;
  readonly contentEncryptionAlgorithm: ContentEncryptionAlgorithm;
  /** The private JWK Set a verifier's `decryptionKeys` takes. */
  readonly decryptionKeys: JSONWebKeySet;
  /** The `createIssuer` options that make core's issuer nest tokens to this key. */
  readonly issuerOptions: Pick<
    IssuerOptions,
    'encryptionKey' | 'keyManagementAlgorithm' | 'contentEncryptionAlgorithm'
  >;
  /**
   * Encrypts `plaintext` to the resource server as a compact JWE (RFC 7516 §7.1).
   *
   * @param plaintext What the JWE carries: a signed token, or bare claims for a forgery.
   * @param cty The protected header `cty`; `'JWT'` marks a nested token (RFC 7519 §5.2).
   */
  encrypt(plaintext: string, cty: string | undefined): Promise<string>;
}

/**
 * Generates the resource server's encryption key pair.
 *
 * @param keyManagementAlgorithm JWE `alg`; RSA 2048 for `RSA-OAEP*`, P-256 for `ECDH-ES*`.
 * @param contentEncryptionAlgorithm JWE `enc`.
 * @example `const keys = await createEncryptionKeys('ECDH-ES', 'A256GCM')`
 */
export async function createEncryptionKeys(
  keyManagementAlgorithm: TestKeyManagementAlgorithm,
  contentEncryptionAlgorithm: ContentEncryptionAlgorithm,
): Promise<EncryptionKeys> {
  const pair = await generateTestKeyPair(keyManagementAlgorithm, 'enc');
  return {
    pair,
    keyManagementAlgorithm,
    contentEncryptionAlgorithm,
    decryptionKeys: { keys: [pair.privateJwk] },
    issuerOptions: {
      encryptionKey: pair.publicJwk,
      keyManagementAlgorithm,
      contentEncryptionAlgorithm,
    },
    encrypt: (plaintext, cty) =>
      new CompactEncrypt(new TextEncoder().encode(plaintext))
        .setProtectedHeader({
          alg: keyManagementAlgorithm,
          enc: contentEncryptionAlgorithm,
          kid: pair.kid,
          ...(cty !== undefined && { cty }),
        })
        .encrypt(pair.publicKey),
  };
}
