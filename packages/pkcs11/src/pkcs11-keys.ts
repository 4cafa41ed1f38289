/**
 * Decryption keys that live in a PKCS#11 token (an HSM, SoftHSM2) and never leave it: RSA-OAEP
 * unwrap with `C_Decrypt` (CKM_RSA_PKCS_OAEP) and ECDH-ES agreement with `C_DeriveKey`
 * (CKM_ECDH1_DERIVE, CKD_NULL), each answering tokenward's `ExternalDecryptionKey` seam. Also
 * generates key pairs in the token and exports their public JWK for the issuer.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import type { ExternalEcdhKey, ExternalRsaOaepKey } from '@tokenward/core';
import { curveOf, CURVES, pointOfJwk, uncompressedPoint, type Pkcs11Curve } from './ec';
import { oaepDecode } from './oaep';
import { acquireLibrary, login, releaseLibrary, releaseLogin } from './library';
import { SessionPool } from './session-pool';

/** Where {@link openPkcs11Keys} finds the token, and how it logs in. */
export interface Pkcs11KeysOptions {
  /** Path of the PKCS#11 library, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  library: string;
  /** The token's label (`CK_TOKEN_INFO.label`). Exclusive with `slot`. */
  tokenLabel?: string;
  /** The index of the slot among the slots that hold an initialized token. Exclusive with `tokenLabel`. */
  slot?: number;
  /** The user PIN (CKU_USER). */
  pin: string;
  /** Sessions kept for private-key operations, one operation each at a time. Default 4. */
  sessions?: number;
}

/** A key in the token: by `CKA_LABEL` (a string) or by `CKA_ID` (bytes). */
export type Pkcs11KeyRef = string | { readonly id: Uint8Array };

/** How {@link Pkcs11Keys.decryptionKey} presents a key to the verifier. */
export interface Pkcs11DecryptionKeyOptions<A extends string> {
  /** The JWE `kid` that selects this key (the `kid` of its published public JWK). */
  kid: string;
  /** The one key management algorithm it serves. */
  alg: A;
  /**
   * RSA keys only: where the OAEP padding is removed. `'token'` (default): the token decrypts
   * with CKM_RSA_PKCS_OAEP and the padding never leaves it. `'process'`: the token does the raw
   * RSA operation (CKM_RSA_X_509, which the key must allow) and the padding is removed in
   * process, without telling which check failed; for tokens whose CKM_RSA_PKCS_OAEP lacks
   * SHA-256 (SoftHSM2 2.6 accepts only SHA-1).
   */
  oaep?: 'token' | 'process';
}

/** A key pair generated in the token: where it is, and its public JWK. */
export interface Pkcs11KeyPair {
  /** `CKA_LABEL` of both halves. */
  readonly label: string;
  /** `CKA_ID` of both halves (random, 16 bytes, unless given). */
  readonly id: Uint8Array;
  /** The public key as a JWK (no `kid`, `alg` or `use`: see {@link Pkcs11Keys.publicJwk}). */
  readonly publicJwk: JsonWebKey;
}

/** Options of a key pair generated in the token. */
export interface Pkcs11GenerateOptions {
  /** `CKA_LABEL` of both halves. */
  label: string;
  /** `CKA_ID` of both halves. Default: 16 random bytes from the token. */
  id?: Uint8Array;
}

/** The keys of one token, opened by {@link openPkcs11Keys}. */
export interface Pkcs11Keys {
  /**
   * An RSA-OAEP decryption key for `decryptionKeys`: `C_Decrypt` with CKM_RSA_PKCS_OAEP (SHA-1
   * and MGF1-SHA-1 for `RSA-OAEP`, SHA-256 and MGF1-SHA-256 for `RSA-OAEP-256`, empty label).
   *
   * @throws Error when the token holds no such private key (or several), it is not an RSA
   *   decryption key, or it can leave the token (CKA_EXTRACTABLE true or CKA_SENSITIVE false).
   */
  decryptionKey(
    key: Pkcs11KeyRef,
    options: Pkcs11DecryptionKeyOptions<ExternalRsaOaepKey['alg']>,
  ): ExternalRsaOaepKey;
  /**
   * An ECDH-ES key-agreement key for `decryptionKeys`: `C_DeriveKey` with CKM_ECDH1_DERIVE and
   * CKD_NULL into a session-only generic secret, whose value (Z) is read and the object
   * destroyed. The curve is read from the key.
   *
   * @throws Error as for RSA keys (an EC key with CKA_DERIVE on P-256, P-384 or P-521 here).
   */
  decryptionKey(
    key: Pkcs11KeyRef,
    options: Pkcs11DecryptionKeyOptions<ExternalEcdhKey['alg']>,
  ): ExternalEcdhKey;
  /**
   * The public JWK an issuer encrypts to, with `kid`, `alg` and `use: "enc"`, read from the
   * token's public key object of the same label or id.
   */
  publicJwk(key: Pkcs11KeyRef, options: { kid: string; alg: string }): JsonWebKey;
  /**
   * Generates an RSA key pair in the token (CKM_RSA_PKCS_KEY_PAIR_GEN, e = 65537): the private
   * key is a token object, private, sensitive and never extractable, for decryption only.
   *
   * @param options.modulusBits Default 3072; at least 2048.
   */
  generateRsaKeyPair(options: Pkcs11GenerateOptions & { modulusBits?: number }): Pkcs11KeyPair;
  /**
   * Generates an EC key pair in the token (CKM_EC_KEY_PAIR_GEN): the private key is a token
   * object, private, sensitive and never extractable, for derivation (ECDH) only.
   */
  generateEcKeyPair(options: Pkcs11GenerateOptions & { crv: Pkcs11Curve }): Pkcs11KeyPair;
  /**
   * Closes the sessions and, when no other handle uses the library, finalizes it. Keys made by
   * this handle fail afterwards (the verifier answers 503).
   */
  close(): void;
}

const DEFAULT_SESSIONS = 4;
const MIN_RSA_BITS = 2048;
// PKCS#11 v2.40 §2.1.8: CKZ_DATA_SPECIFIED, the only OAEP label source (an empty label here).
const CKZ_DATA_SPECIFIED = 0x00000001;
// Answers of C_Decrypt, after C_DecryptInit accepted the key, session and mechanism, that mean
// "this ciphertext does not decrypt": the token's fault. SoftHSM2 answers an OAEP decoding
// failure with CKR_GENERAL_ERROR; a token that is gone answers CKR_DEVICE_*, CKR_SESSION_* or
// CKR_TOKEN_*, which stay failures (503).
const UNDECRYPTABLE = new Set([
  pkcs11js.CKR_ENCRYPTED_DATA_INVALID,
  pkcs11js.CKR_ENCRYPTED_DATA_LEN_RANGE,
  pkcs11js.CKR_GENERAL_ERROR,
]);
const OAEP = {
  'RSA-OAEP': { hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1, hash: 'sha1' },
  'RSA-OAEP-256': { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, hash: 'sha256' },
} as const;
const ECDH_ALGS = new Set(['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW']);

/** The value of one attribute, or undefined when the token does not answer it. */
function attribute(
  module: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  object: pkcs11js.Handle,
  type: number,
): Buffer | undefined {
  try {
    return module.C_GetAttributeValue(session, object, [{ type }])[0]?.value;
  } catch {
    return undefined;
  }
}

const flag = (value: Buffer | undefined): boolean | undefined =>
  value === undefined || value.length === 0 ? undefined : value[0] !== 0;

const describe = (key: Pkcs11KeyRef): string =>
  typeof key === 'string'
    ? `label ${JSON.stringify(key)}`
    : `id ${Buffer.from(key.id).toString('hex')}`;

/** Finds the slot of the token named by the options. */
function findSlot(module: pkcs11js.PKCS11, options: Pkcs11KeysOptions): pkcs11js.Handle {
  // Initialized tokens only: SoftHSM2, for one, always offers an empty token to initialize.
  const slots = module
    .C_GetSlotList(true)
    .filter((slot) => (module.C_GetTokenInfo(slot).flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0);
  if (options.tokenLabel !== undefined && options.slot !== undefined) {
    throw new TypeError('openPkcs11Keys: tokenLabel and slot exclude each other');
  }
  if (options.slot !== undefined) {
    const slot = Number.isSafeInteger(options.slot) ? slots[options.slot] : undefined;
    if (slot === undefined) {
      throw new Error(
        `openPkcs11Keys: no slot ${options.slot} with a token (${slots.length} found)`,
      );
    }
    return slot;
  }
  if (options.tokenLabel === undefined) {
    if (slots.length === 1) return slots[0] as pkcs11js.Handle;
    throw new TypeError(
      `openPkcs11Keys: ${slots.length} tokens present; name one with tokenLabel or slot`,
    );
  }
  const found = slots.filter(
    (slot) => module.C_GetTokenInfo(slot).label.trim() === options.tokenLabel,
  );
  if (found.length !== 1) {
    throw new Error(
      `openPkcs11Keys: ${found.length === 0 ? 'no' : 'more than one'} token labelled ${JSON.stringify(options.tokenLabel)}`,
    );
  }
  return found[0] as pkcs11js.Handle;
}

/**
 * Opens the keys of one PKCS#11 token: loads and initializes the library (once per process),
 * finds the token, opens a session and logs in as the user. A wrong PIN, a missing token or a
 * library that does not load is an `Error` saying which, here and not at the first request.
 *
 * The private keys never leave the token: the token decrypts the JWE Encrypted Key or derives
 * the ECDH shared secret, and tokenward does the rest in process. Each operation takes one
 * session of a small pool and runs on a libuv thread (the event loop never waits on the
 * token); the verifier bounds how many run at once (`maxConcurrentDecryptions`) and how long
 * each may take (`externalKeyTimeout`). A PKCS#11 call cannot be cancelled: a timed-out
 * operation finishes in the token, its session is then reused.
 *
 * @example
 * ```ts
 * const hsm = await openPkcs11Keys({ library: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'api', pin })
 * const verifier = createVerifier({
 *   issuer, audience, jwksUri,
 *   decryptionKeys: hsm.decryptionKey('jwe-2026', { kid: 'jwe-2026', alg: 'RSA-OAEP-256' }),
 *   encryption: 'required',
 * })
 * process.on('SIGTERM', () => hsm.close())
 * ```
 */
export async function openPkcs11Keys(options: Pkcs11KeysOptions): Promise<Pkcs11Keys> {
  if (typeof options.library !== 'string' || options.library === '') {
    throw new TypeError('openPkcs11Keys: library must name the PKCS#11 library file');
  }
  if (typeof options.pin !== 'string') throw new TypeError('openPkcs11Keys: pin must be a string');
  const size = options.sessions ?? DEFAULT_SESSIONS;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new TypeError('openPkcs11Keys: sessions must be an integer of at least 1');
  }
  const module = acquireLibrary(options.library);
  let anchor: pkcs11js.Handle | undefined;
  try {
    const slot = findSlot(module, options);
    const flags = pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION;
    anchor = module.C_OpenSession(slot, flags);
    const loginKey = login(module, options.library, slot, anchor, options.pin);
    // The anchor session keeps the login (closing a slot's last session logs out) and serves
    // the short synchronous calls (find, read attributes, generate); operations use the pool.
    const sessions = new SessionPool(module, () => module.C_OpenSession(slot, flags), size);
    return createHandle(module, options.library, anchor, sessions, loginKey);
  } catch (error) {
    if (anchor !== undefined) {
      try {
        module.C_CloseSession(anchor);
      } catch {
        // The session is gone with the failure.
      }
    }
    releaseLibrary(options.library);
    throw error;
  }
}

function createHandle(
  module: pkcs11js.PKCS11,
  library: string,
  anchor: pkcs11js.Handle,
  sessions: SessionPool,
  loginKey: string,
): Pkcs11Keys {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new Error('the PKCS#11 key handle is closed');
  };

  const find = (key: Pkcs11KeyRef, objectClass: number): pkcs11js.Handle => {
    const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: objectClass }];
    if (typeof key === 'string') template.push({ type: pkcs11js.CKA_LABEL, value: key });
    else template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(key.id) });
    module.C_FindObjectsInit(anchor, template);
    let found: pkcs11js.Handle[];
    try {
      found = module.C_FindObjects(anchor, 2);
    } finally {
      module.C_FindObjectsFinal(anchor);
    }
    const kind = objectClass === pkcs11js.CKO_PRIVATE_KEY ? 'private' : 'public';
    if (found.length !== 1) {
      throw new Error(
        `PKCS#11: ${found.length === 0 ? 'no' : 'more than one'} ${kind} key with ${describe(key)}`,
      );
    }
    return found[0] as pkcs11js.Handle;
  };

  /** Refuses a private key that could leave the token. */
  const assertNonExtractable = (handle: pkcs11js.Handle, key: Pkcs11KeyRef): void => {
    const extractable = flag(attribute(module, anchor, handle, pkcs11js.CKA_EXTRACTABLE));
    const sensitive = flag(attribute(module, anchor, handle, pkcs11js.CKA_SENSITIVE));
    if (extractable !== false || sensitive !== true) {
      throw new Error(
        `PKCS#11: the private key with ${describe(key)} can leave the token (CKA_EXTRACTABLE must be false, CKA_SENSITIVE true)`,
      );
    }
  };

  const rsaKey = (
    key: Pkcs11KeyRef,
    handle: pkcs11js.Handle,
    kid: string,
    alg: ExternalRsaOaepKey['alg'],
    padding: 'token' | 'process',
  ): ExternalRsaOaepKey => {
    const modulus = attribute(module, anchor, handle, pkcs11js.CKA_MODULUS);
    if (flag(attribute(module, anchor, handle, pkcs11js.CKA_DECRYPT)) !== true || !modulus) {
      throw new Error(`PKCS#11: the RSA key with ${describe(key)} cannot decrypt (CKA_DECRYPT)`);
    }
    const n = modulus[0] === 0 ? modulus.subarray(1) : modulus;
    const bytes = n.length;
    const { hashAlg, mgf, hash } = OAEP[alg];
    const oaepParams: pkcs11js.RsaOAEP = {
      type: pkcs11js.CK_PARAMS_RSA_OAEP,
      hashAlg,
      mgf,
      source: CKZ_DATA_SPECIFIED,
    };
    const mechanism: pkcs11js.Mechanism =
      padding === 'token'
        ? { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter: oaepParams }
        : { mechanism: pkcs11js.CKM_RSA_X_509 };
    return {
      kid,
      alg,
      unwrap: async (encryptedKey) => {
        assertOpen();
        // RFC 8017 §7.1.2 and §5.1.2: a ciphertext of another length, or not below the modulus,
        // cannot decrypt (tokens answer it with anything up to CKR_GENERAL_ERROR); no token call.
        if (encryptedKey.length !== bytes || Buffer.compare(Buffer.from(encryptedKey), n) >= 0) {
          return undefined;
        }
        return sessions.run(async (session) => {
          module.C_DecryptInit(session, mechanism, handle);
          try {
            const out = await module.C_DecryptAsync(
              session,
              Buffer.from(encryptedKey),
              Buffer.alloc(bytes),
            );
            if (padding === 'token') return new Uint8Array(out);
            // Raw RSA output, left-padded to the modulus size (a token may drop leading zeros).
            const em = Buffer.concat([Buffer.alloc(Math.max(0, bytes - out.length)), out]);
            const cek = oaepDecode(em, hash, bytes);
            return cek && new Uint8Array(cek);
          } catch (error) {
            // C_Decrypt ends the operation on these (PKCS#11 v2.40 §5.9): the session is fine.
            if (UNDECRYPTABLE.has((error as { code?: number }).code as number)) {
              return undefined;
            }
            throw error;
          }
        });
      },
    };
  };

  const ecKey = (
    key: Pkcs11KeyRef,
    handle: pkcs11js.Handle,
    kid: string,
    alg: ExternalEcdhKey['alg'],
  ): ExternalEcdhKey => {
    const params = attribute(module, anchor, handle, pkcs11js.CKA_EC_PARAMS);
    const crv = params && curveOf(params);
    if (crv === undefined) {
      throw new Error(`PKCS#11: the EC key with ${describe(key)} is not on P-256, P-384 or P-521`);
    }
    if (flag(attribute(module, anchor, handle, pkcs11js.CKA_DERIVE)) !== true) {
      throw new Error(`PKCS#11: the EC key with ${describe(key)} cannot derive (CKA_DERIVE)`);
    }
    const bytes = CURVES[crv].bytes;
    return {
      kid,
      alg,
      crv,
      deriveSharedSecret: async (epk) => {
        assertOpen();
        const publicData = pointOfJwk(epk, bytes);
        if (publicData === undefined) throw new TypeError('epk is not a point of the key curve');
        const parameter: pkcs11js.ECDH1 = {
          type: pkcs11js.CK_PARAMS_EC_DH,
          kdf: pkcs11js.CKD_NULL,
          publicData,
        };
        return sessions.run(async (session) => {
          const secret = await module.C_DeriveKeyAsync(
            session,
            { mechanism: pkcs11js.CKM_ECDH1_DERIVE, parameter },
            handle,
            [
              // A session object, readable: Z is what the seam answers, never a token object.
              { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
              { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
              { type: pkcs11js.CKA_TOKEN, value: false },
              { type: pkcs11js.CKA_SENSITIVE, value: false },
              { type: pkcs11js.CKA_EXTRACTABLE, value: true },
              { type: pkcs11js.CKA_VALUE_LEN, value: bytes },
            ],
          );
          try {
            const value = module.C_GetAttributeValue(session, secret, [
              { type: pkcs11js.CKA_VALUE },
            ])[0]?.value;
            if (value === undefined) throw new Error('PKCS#11: the derived secret has no value');
            return new Uint8Array(value);
          } finally {
            module.C_DestroyObject(session, secret);
          }
        });
      },
    };
  };

  function decryptionKey(
    key: Pkcs11KeyRef,
    options: Pkcs11DecryptionKeyOptions<ExternalRsaOaepKey['alg']>,
  ): ExternalRsaOaepKey;
  function decryptionKey(
    key: Pkcs11KeyRef,
    options: Pkcs11DecryptionKeyOptions<ExternalEcdhKey['alg']>,
  ): ExternalEcdhKey;
  function decryptionKey(
    key: Pkcs11KeyRef,
    options: Pkcs11DecryptionKeyOptions<string>,
  ): ExternalRsaOaepKey | ExternalEcdhKey {
    assertOpen();
    const { kid, alg, oaep = 'token' } = options;
    if (oaep !== 'token' && oaep !== 'process') {
      throw new TypeError("decryptionKey: oaep must be 'token' or 'process'");
    }
    if (typeof kid !== 'string' || kid === '') {
      throw new TypeError('decryptionKey: kid must be a non-empty string');
    }
    const handle = find(key, pkcs11js.CKO_PRIVATE_KEY);
    assertNonExtractable(handle, key);
    const type = attribute(module, anchor, handle, pkcs11js.CKA_KEY_TYPE)?.readUInt32LE(0);
    if (Object.hasOwn(OAEP, alg)) {
      if (type !== pkcs11js.CKK_RSA) {
        throw new Error(`PKCS#11: the key with ${describe(key)} is not an RSA key (alg ${alg})`);
      }
      return rsaKey(key, handle, kid, alg as ExternalRsaOaepKey['alg'], oaep);
    }
    if (ECDH_ALGS.has(alg)) {
      if (type !== pkcs11js.CKK_EC) {
        throw new Error(`PKCS#11: the key with ${describe(key)} is not an EC key (alg ${alg})`);
      }
      return ecKey(key, handle, kid, alg as ExternalEcdhKey['alg']);
    }
    throw new TypeError(
      `decryptionKey: alg must be RSA-OAEP, RSA-OAEP-256, ECDH-ES or ECDH-ES+A128KW/A192KW/A256KW (got ${JSON.stringify(alg)})`,
    );
  }

  const publicJwkOf = (handle: pkcs11js.Handle, key: Pkcs11KeyRef): JsonWebKey => {
    const type = attribute(module, anchor, handle, pkcs11js.CKA_KEY_TYPE)?.readUInt32LE(0);
    if (type === pkcs11js.CKK_RSA) {
      const n = attribute(module, anchor, handle, pkcs11js.CKA_MODULUS);
      const e = attribute(module, anchor, handle, pkcs11js.CKA_PUBLIC_EXPONENT);
      if (n && e) {
        const jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
        // Through node:crypto, so leading zero bytes are stripped as RFC 7518 §6.3.1 asks.
        return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' });
      }
    }
    if (type === pkcs11js.CKK_EC) {
      const params = attribute(module, anchor, handle, pkcs11js.CKA_EC_PARAMS);
      const crv = params && curveOf(params);
      const raw = attribute(module, anchor, handle, pkcs11js.CKA_EC_POINT);
      const point = crv && raw && uncompressedPoint(raw, CURVES[crv].bytes);
      if (crv && point) {
        const bytes = CURVES[crv].bytes;
        return {
          kty: 'EC',
          crv,
          x: point.subarray(1, 1 + bytes).toString('base64url'),
          y: point.subarray(1 + bytes).toString('base64url'),
        };
      }
    }
    throw new Error(`PKCS#11: the public key with ${describe(key)} is not RSA or EC P-256/384/521`);
  };

  const generated = (label: string, id: Buffer, publicKey: pkcs11js.Handle): Pkcs11KeyPair => ({
    label,
    id: new Uint8Array(id),
    publicJwk: publicJwkOf(publicKey, label),
  });

  const common = (options: Pkcs11GenerateOptions): { label: string; id: Buffer } => {
    assertOpen();
    if (typeof options.label !== 'string' || options.label === '') {
      throw new TypeError('label must be a non-empty string');
    }
    const id = options.id
      ? Buffer.from(options.id)
      : module.C_GenerateRandom(anchor, Buffer.alloc(16));
    return { label: options.label, id };
  };

  // The private half: a token object, private, sensitive, never extractable.
  const privateTemplate = (label: string, id: Buffer, use: number): pkcs11js.Template => [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: use, value: true },
  ];

  return {
    decryptionKey,
    publicJwk(key, { kid, alg }) {
      assertOpen();
      return { ...publicJwkOf(find(key, pkcs11js.CKO_PUBLIC_KEY), key), kid, alg, use: 'enc' };
    },
    generateRsaKeyPair(options) {
      const { label, id } = common(options);
      const bits = options.modulusBits ?? 3072;
      if (!Number.isSafeInteger(bits) || bits < MIN_RSA_BITS) {
        throw new TypeError(`modulusBits must be an integer of at least ${MIN_RSA_BITS}`);
      }
      const pair = module.C_GenerateKeyPair(
        anchor,
        { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: id },
          { type: pkcs11js.CKA_ENCRYPT, value: true },
          { type: pkcs11js.CKA_MODULUS_BITS, value: bits },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ],
        privateTemplate(label, id, pkcs11js.CKA_DECRYPT),
      );
      return generated(label, id, pair.publicKey);
    },
    generateEcKeyPair(options) {
      const curve = CURVES[options.crv];
      if (curve === undefined) throw new TypeError("crv must be 'P-256', 'P-384' or 'P-521'");
      const { label, id } = common(options);
      const pair = module.C_GenerateKeyPair(
        anchor,
        { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: id },
          { type: pkcs11js.CKA_EC_PARAMS, value: curve.oid },
        ],
        privateTemplate(label, id, pkcs11js.CKA_DERIVE),
      );
      return generated(label, id, pair.publicKey);
    },
    close() {
      if (closed) return;
      closed = true;
      sessions.close();
      try {
        module.C_CloseSession(anchor);
      } catch {
        // Already invalid (the library was finalized): nothing to close.
      }
      releaseLogin(loginKey);
      releaseLibrary(library);
    },
  };
}
