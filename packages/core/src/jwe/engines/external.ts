/**
 * The engine for decryption keys held outside the process (keys/external-keys.ts): the key
 * service does the private-key step (RSA-OAEP unwrap, or ECDH agreement to Z) and everything
 * else runs here with the same primitives as the fast paths: the Concat KDF (concat-kdf.ts), the
 * AES key unwrap, and AES-GCM (aes-gcm.ts) or AES-CBC-HMAC (aes-cbc-hmac.ts) content decryption.
 *
 * Every check that needs no key service (IV and tag lengths, the encrypted key's presence, the
 * `epk` shape, curve and on-curve check) runs before the call, so a malformed token never costs
 * one. The call holds a slot of the crypto pool and is bounded by `externalKeyTimeout` (the wait
 * for a slot included, so a key service that never answers cannot hang requests behind it); a
 * throw, a rejection, a timeout or an answer that is not bytes is the server's fault (503
 * KeyServiceUnavailableError), never the token's.
 */
import { createDecipheriv, type JsonWebKey } from 'node:crypto';
import { KeyServiceUnavailableError } from '../../errors/key-service-unavailable-error';
import type { ExternalKeyEntry } from '../../keys/external-keys';
import { cbcHmacShapeOk, decryptCBCHMAC, isCBCHMAC } from './aes-cbc-hmac';
import { decryptGCM, GCM_IV_BYTES, GCM_KEY_BYTES, GCM_TAG_BYTES, isGCM } from './aes-gcm';
import { concatKDF } from './concat-kdf';
import { isValidPublicPoint } from './crypto-worker';
import { ephemeralKey } from './ecdh-es';

/** Runs a task in a slot of the verifier's crypto pool (or directly, without a pool). */
export type BoundedRunner = <T>(task: () => Promise<T>) => Promise<T>;

// RFC 7518 §4.6: the key-wrapping variants and the size of their key-encryption key.
const ECDH_KW_BITS: Readonly<Record<string, number>> = {
  'ECDH-ES+A128KW': 128,
  'ECDH-ES+A192KW': 192,
  'ECDH-ES+A256KW': 256,
};
// RFC 3394 §2.2.3.1: the default initial value of AES key wrap.
const AES_KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
// RFC 7518 §5.2.3-5.2.5: CEK sizes of the AES-CBC-HMAC encryptions.
const CBC_KEY_BYTES: Readonly<Record<string, number>> = {
  'A128CBC-HS256': 32,
  'A192CBC-HS384': 48,
  'A256CBC-HS512': 64,
};
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** The answer of the slot task when the `epk` is off its curve (no key-service call made). */
const OFF_CURVE = Symbol('off-curve');

/** The content step for `enc`, or undefined when the IV and tag cannot be right. */
function contentDecryptor(
  enc: string,
  segments: readonly string[],
): ((cek: Buffer) => Uint8Array | undefined) | undefined {
  if (isGCM(enc)) {
    const iv = Buffer.from(segments[2] as string, 'base64url');
    const tag = Buffer.from(segments[4] as string, 'base64url');
    if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) return undefined;
    return (cek) => decryptGCM(enc, cek, segments);
  }
  if (isCBCHMAC(enc) && cbcHmacShapeOk(enc, segments)) {
    return (cek) => decryptCBCHMAC(enc, cek, segments);
  }
  return undefined;
}

/** A `apu`/`apv` member decoded, an empty buffer when absent, undefined when malformed. */
function partyInfo(value: unknown): Buffer | undefined {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' && BASE64URL.test(value)
    ? Buffer.from(value, 'base64url')
    : undefined;
}

/**
 * One call to the key service: in a pool slot, bounded by the entry's timeout (the wait for the
 * slot included), its failures turned into 503.
 */
async function callKeyService(
  entry: ExternalKeyEntry,
  bounded: BoundedRunner,
  invoke: (signal: AbortSignal) => Promise<unknown>,
): Promise<unknown> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new KeyServiceUnavailableError({
          cause: new Error(
            `decryption key ${JSON.stringify(entry.kid)}: no answer within ${entry.timeoutMs} ms`,
          ),
        }),
      );
    }, entry.timeoutMs);
  });
  // The slot is held until the key service settles, even after a timeout answered the request:
  // a hung service then fills the pool (and later requests time out or are shed), rather than
  // piling up unbounded calls.
  const work = bounded(async () => {
    if (controller.signal.aborted) return undefined;
    try {
      return await invoke(controller.signal);
    } catch (error) {
      throw new KeyServiceUnavailableError({ cause: error });
    }
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The key service's answer as bytes; anything else is a broken key service (503). */
function asBytes(entry: ExternalKeyEntry, value: unknown, method: string): Buffer {
  if (!(value instanceof Uint8Array)) {
    throw new KeyServiceUnavailableError({
      cause: new TypeError(
        `decryption key ${JSON.stringify(entry.kid)}: ${method} answered ${typeof value}, not a Uint8Array`,
      ),
    });
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Decrypts a compact JWE with one external key, the header already checked by the caller (and
 * the key selected for it: same `kid`, `alg` and, for ECDH-ES, curve).
 *
 * @param segments The five compact segments.
 * @param bounded Runs the key-service call in a slot of the crypto pool.
 * @returns The plaintext, or undefined when the token does not decrypt with this key.
 * @throws KeyServiceUnavailableError when the key service fails or does not answer in time;
 *   VerifierBusyError when the pool's queue is full.
 * @example
 * ```ts
 * const plaintext = await decryptWithExternalKey(entry, alg, enc, header, segments, pool.run)
 * ```
 */
export async function decryptWithExternalKey(
  entry: ExternalKeyEntry,
  alg: string,
  enc: string,
  header: Record<string, unknown>,
  segments: readonly string[],
  bounded: BoundedRunner,
): Promise<Uint8Array | undefined> {
  const content = contentDecryptor(enc, segments);
  if (content === undefined || alg !== entry.alg) return undefined;
  const encryptedKey = Buffer.from(segments[1] as string, 'base64url');
  const key = entry.external;
  if ('unwrap' in key) {
    if (encryptedKey.length === 0) return undefined;
    const answer = await callKeyService(entry, bounded, (signal) =>
      key.unwrap(new Uint8Array(encryptedKey), { signal }),
    );
    // undefined: the key service refused the encrypted key as undecryptable (the token's fault).
    return answer === undefined ? undefined : content(asBytes(entry, answer, 'unwrap'));
  }
  const direct = alg === 'ECDH-ES';
  // RFC 7518 §4.6: with direct key agreement the JWE Encrypted Key is empty.
  if (direct !== (encryptedKey.length === 0)) return undefined;
  // The epk shape check of the fast path, which leaves apu/apv to its caller.
  const epk = ephemeralKey({ ...header, apu: undefined, apv: undefined });
  const apu = partyInfo(header.apu);
  const apv = partyInfo(header.apv);
  if (epk === undefined || epk.crv !== entry.crv || apu === undefined || apv === undefined) {
    return undefined;
  }
  const answer = await callKeyService(entry, bounded, async (signal) =>
    // Checked inside the slot: the on-curve check is public-key work on a worker.
    (await isValidPublicPoint(epk.jwk))
      ? key.deriveSharedSecret({ ...epk.jwk } as JsonWebKey, { signal })
      : OFF_CURVE,
  );
  if (answer === OFF_CURVE) return undefined;
  const z = asBytes(entry, answer, 'deriveSharedSecret');
  if (z.length === 0 || z.every((byte) => byte === 0)) return undefined;
  const cekBytes = (GCM_KEY_BYTES[enc] ?? CBC_KEY_BYTES[enc]) as number;
  if (direct) return content(concatKDF(z, enc, cekBytes * 8, apu, apv));
  const kekBits = ECDH_KW_BITS[alg] as number;
  let cek: Buffer;
  try {
    const unwrap = createDecipheriv(
      `id-aes${kekBits}-wrap`,
      concatKDF(z, alg, kekBits, apu, apv),
      AES_KW_IV,
    );
    cek = Buffer.concat([unwrap.update(encryptedKey), unwrap.final()]);
  } catch {
    return undefined;
  }
  return content(cek);
}
