/**
 * Private-key operations of the JWE fast paths on worker threads, never on the event loop.
 *
 * Node 20 has no asynchronous `crypto.diffieHellman` or `privateDecrypt`, and WebCrypto is not a
 * way out: its `deriveBits` and `decrypt` do part of the work synchronously before they hand a job
 * to the thread pool (measured on Node 20.20: ≈ 1.6 ms of the main thread per P-521 `deriveBits`,
 * ≈ 1.0 ms per RSA-4096 `decrypt`), and importing a P-521 public key checks the point on the main
 * thread (≈ 1.4 ms). So the whole step, from the attacker-chosen `epk` (imported and checked on
 * the curve, NIST SP 800-56A §5.6.2.3) to the shared secret, or the RSA-OAEP unwrap (RFC 7518
 * §4.3), runs here in a worker; the main thread only posts a message and reads the answer.
 *
 * Workers start on first use (a few tens of milliseconds, once), keep the process alive only while
 * a job is pending (`ref`/`unref`) and stop after {@link IDLE_MS} without work. KeyObjects are passed by handle, not
 * re-encoded. How many operations run at once is bounded by the verifier's CryptoPool.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { JsonWebKey, KeyObject } from 'node:crypto';

// Plain JavaScript (an eval worker), so it runs the same from the TypeScript sources under jest
// and from the built package. Any failure answers null: the caller only learns "does not decrypt".
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { constants, createPublicKey, diffieHellman, privateDecrypt } = require('node:crypto');
parentPort.on('message', (job) => {
  let result = null;
  try {
    if (job.op === 'ecdh') {
      const publicKey = createPublicKey({ key: job.epk, format: 'jwk' });
      result = diffieHellman({ privateKey: job.key, publicKey });
    } else if (job.op === 'epk') {
      createPublicKey({ key: job.epk, format: 'jwk' });
      result = new Uint8Array(1);
    } else if (job.op === 'rsa-oaep') {
      result = privateDecrypt(
        { key: job.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: job.hash },
        job.data,
      );
    }
  } catch {
    result = null;
  }
  parentPort.postMessage({ id: job.id, result });
});
`;

/** How long an idle worker lives, in milliseconds. */
const IDLE_MS = 10_000;
const WORKER_COUNT = Math.max(1, Math.min(4, availableParallelism()));

type Job =
  | { op: 'ecdh'; key: KeyObject; epk: JsonWebKey }
  | { op: 'epk'; epk: JsonWebKey }
  | { op: 'rsa-oaep'; key: KeyObject; hash: string; data: Uint8Array };

interface Slot {
  worker: Worker;
  pending: Map<number, (result: Buffer | null) => void>;
  idle?: NodeJS.Timeout;
}

const slots: (Slot | undefined)[] = [];
let nextId = 0;
let nextSlot = 0;

function stop(index: number, slot: Slot): void {
  if (slots[index] === slot) slots[index] = undefined;
  for (const resolve of slot.pending.values()) resolve(null);
  slot.pending.clear();
  void slot.worker.terminate();
}

function slotAt(index: number): Slot {
  const existing = slots[index];
  if (existing) return existing;
  const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), pending: new Map() };
  slot.worker.on('message', ({ id, result }: { id: number; result: Uint8Array | null }) => {
    const resolve = slot.pending.get(id);
    slot.pending.delete(id);
    resolve?.(
      result === null ? null : Buffer.from(result.buffer, result.byteOffset, result.length),
    );
    if (slot.pending.size === 0) {
      slot.worker.unref();
      slot.idle = setTimeout(() => stop(index, slot), IDLE_MS);
      slot.idle.unref();
    }
  });
  // A crashed worker fails its jobs closed ("does not decrypt") and is replaced on next use.
  slot.worker.on('error', () => stop(index, slot));
  slot.worker.on('exit', () => stop(index, slot));
  // Listeners ref the worker: unref it after attaching them, so an idle worker never keeps the
  // process alive (it is ref'd again while a job is pending, so a pending job is never dropped).
  slot.worker.unref();
  slots[index] = slot;
  return slot;
}

/** Runs one job on the next worker; null when the operation fails for any reason. */
function runInWorker(job: Job): Promise<Buffer | null> {
  const index = nextSlot;
  nextSlot = (nextSlot + 1) % WORKER_COUNT;
  const slot = slotAt(index);
  if (slot.idle) clearTimeout(slot.idle);
  slot.worker.ref();
  const id = nextId++;
  return new Promise((resolve) => {
    slot.pending.set(id, resolve);
    slot.worker.postMessage({ id, ...job });
  });
}

/**
 * ECDH between our private `key` and the token's ephemeral public key, off the event loop.
 *
 * @param epk The `epk` JWK, already checked for shape (curve, members, coordinate lengths).
 * @returns The shared secret Z, or undefined when the point is refused or the agreement fails.
 * @example
 * ```ts
 * const z = await deriveSharedSecret(ourKey, { kty: 'EC', crv: 'P-256', x, y })
 * ```
 */
export async function deriveSharedSecret(
  key: KeyObject,
  epk: JsonWebKey,
): Promise<Buffer | undefined> {
  return (await runInWorker({ op: 'ecdh', key, epk })) ?? undefined;
}

/**
 * RSA-OAEP private decryption of a JWE encrypted key, off the event loop.
 *
 * @param hash The OAEP hash (`sha1`, `sha256`, `sha384`, `sha512`; MGF1 uses the same).
 * @returns The CEK, or undefined when decryption fails (never which step failed).
 * @example
 * ```ts
 * const cek = await decryptOAEP(ourKey, 'sha256', encryptedKey)
 * ```
 */
export async function decryptOAEP(
  key: KeyObject,
  hash: string,
  data: Uint8Array,
): Promise<Buffer | undefined> {
  return (await runInWorker({ op: 'rsa-oaep', key, hash, data })) ?? undefined;
}

/**
 * Whether the token's ephemeral public key is a point on its curve (NIST SP 800-56A §5.6.2.3,
 * checked by OpenSSL on import), off the event loop: an external key is never handed a point
 * off the curve (invalid-curve attacks), whatever its key service checks itself.
 *
 * @param epk The `epk` JWK, already checked for shape.
 * @example
 * ```ts
 * if (!(await isValidPublicPoint(epk))) return undefined
 * ```
 */
export async function isValidPublicPoint(epk: JsonWebKey): Promise<boolean> {
  return (await runInWorker({ op: 'epk', epk })) !== null;
}
