/**
 * @tokenward/pkcs11 — decryption keys held in a PKCS#11 token (an HSM, SoftHSM2) for
 * tokenward's encrypted access tokens: the token unwraps (RSA-OAEP) or agrees (ECDH-ES), the
 * private key never leaves it.
 */
export { openPkcs11Keys } from './pkcs11-keys';
export type {
  Pkcs11DecryptionKeyOptions,
  Pkcs11GenerateOptions,
  Pkcs11KeyPair,
  Pkcs11KeyRef,
  Pkcs11Keys,
  Pkcs11KeysOptions,
} from './pkcs11-keys';
export type { Pkcs11Curve } from './ec';
