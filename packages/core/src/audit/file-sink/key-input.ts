/** The keys of a tamper-evident trail: the HMAC chain key and the Ed25519 checkpoint keys. */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  type JsonWebKey,
} from 'node:crypto';

/**
 * The shortest HMAC-SHA-256 key the audit trail accepts (chain key, pseudonymisation key), in
 * bytes: the hash's output size (RFC 2104 §3).
 */
export const MIN_CHAIN_KEY_BYTES = 32;

/** A chain key as callers give it: a string (its UTF-8 bytes), bytes, or a secret KeyObject. */
export type ChainKeyInput = string | Uint8Array | KeyObject;

/** An Ed25519 key as callers give it: a KeyObject, PEM text, or a JWK (`kty: "OKP"`). */
export type Ed25519KeyInput = KeyObject | string | JsonWebKey;

/**
 * An HMAC key of the audit trail (the chain key, the pseudonymisation key) as a secret KeyObject.
 *
 * @throws TypeError naming `option` for anything else or a key under 32 bytes.
 * @example `const key = chainKeyFrom(process.env.AUDIT_CHAIN_KEY, 'chainKey')`
 */
export function chainKeyFrom(value: unknown, option: string): KeyObject {
  let key: KeyObject;
  if (value instanceof KeyObject) {
    if (value.type !== 'secret') throw new TypeError(`${option}: expected a secret KeyObject`);
    key = value;
  } else if (typeof value === 'string' || value instanceof Uint8Array) {
    key = createSecretKey(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
  } else {
    throw new TypeError(`${option}: expected a string, bytes or a secret KeyObject`);
  }
  if ((key.symmetricKeySize ?? 0) < MIN_CHAIN_KEY_BYTES) {
    throw new TypeError(`${option}: must be at least ${MIN_CHAIN_KEY_BYTES} bytes`);
  }
  return key;
}

/**
 * An Ed25519 private (`'private'`) or public (`'public'`) KeyObject; a private key also yields
 * its public half when `'public'` is asked.
 *
 * @throws TypeError naming `option` when the key is not Ed25519 of that kind.
 * @example `const signingKey = ed25519From(pem, 'private', 'signingKey')`
 */
export function ed25519From(value: unknown, kind: 'private' | 'public', option: string): KeyObject {
  let key: KeyObject;
  try {
    if (value instanceof KeyObject) key = value;
    else if (typeof value === 'string') {
      key = kind === 'private' ? createPrivateKey(value) : createPublicKey(value);
    } else if (typeof value === 'object' && value !== null) {
      const jwk = value as JsonWebKey;
      key =
        kind === 'private' && typeof jwk.d === 'string'
          ? createPrivateKey({ key: jwk, format: 'jwk' })
          : createPublicKey({ key: jwk, format: 'jwk' });
    } else {
      throw new TypeError('not a key');
    }
  } catch {
    throw new TypeError(`${option}: expected an Ed25519 ${kind} key (KeyObject, PEM or JWK)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(
      `${option}: expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`,
    );
  }
  if (kind === 'private' && key.type !== 'private') {
    throw new TypeError(`${option}: expected an Ed25519 private key`);
  }
  return kind === 'public' && key.type === 'private' ? createPublicKey(key) : key;
}
