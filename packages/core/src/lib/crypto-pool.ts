/**
 * A bound on concurrent private-key work (JWE key agreement and unwrap): a counting semaphore with
 * a bounded wait queue. Not a rate limiter: it holds no clock and no per-client state, it only
 * keeps a flood of expensive tokens from queueing without end. Work past `maxConcurrent` waits in
 * FIFO order; work past `maxQueued` is shed at once with {@link VerifierBusyError} (503), so valid
 * traffic behind a flood waits at most one queue's worth of work.
 */
import { VerifierBusyError } from '../errors/verifier-busy-error';

/** Default `maxConcurrentDecryptions`: libuv's default thread-pool size. */
export const DEFAULT_MAX_CONCURRENT_DECRYPTIONS = 4;
/** Default `maxQueuedDecryptions`. */
export const DEFAULT_MAX_QUEUED_DECRYPTIONS = 256;

/** Counts in-flight and queued work; for `verifier.health()`-like reporting and tests. */
export interface CryptoPoolStats {
  readonly active: number;
  readonly queued: number;
}

/**
 * A semaphore over asynchronous tasks.
 *
 * @example
 * ```ts
 * const pool = new CryptoPool(4, 256)
 * const plaintext = await pool.run(() => decryptInWorker(token))
 * ```
 */
export class CryptoPool {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * @param maxConcurrent Tasks run at once, at least 1.
   * @param maxQueued Tasks that may wait for a slot; one more is refused with 503.
   */
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number,
  ) {}

  /** In-flight and waiting task counts. */
  get stats(): CryptoPoolStats {
    return { active: this.#active, queued: this.#waiting.length };
  }

  /**
   * Runs `task` when a slot is free.
   *
   * @throws VerifierBusyError when every slot is taken and the queue is full (before `task` runs).
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.maxConcurrent) {
      if (this.#waiting.length >= this.maxQueued) throw new VerifierBusyError();
      // The slot is handed over by release(): #active is not decremented in between.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}

function boundOption(value: unknown, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${option}: expected an integer of at least ${min}`);
  }
  return value;
}

/**
 * The pool of one verifier from its options (a `TypeError` naming the option on misuse).
 *
 * @example
 * ```ts
 * const pool = resolveCryptoPool({ maxConcurrentDecryptions: 2, maxQueuedDecryptions: 64 })
 * ```
 */
export function resolveCryptoPool(options: {
  readonly maxConcurrentDecryptions?: unknown;
  readonly maxQueuedDecryptions?: unknown;
}): CryptoPool {
  return new CryptoPool(
    boundOption(
      options.maxConcurrentDecryptions,
      'maxConcurrentDecryptions',
      DEFAULT_MAX_CONCURRENT_DECRYPTIONS,
      1,
    ),
    boundOption(
      options.maxQueuedDecryptions,
      'maxQueuedDecryptions',
      DEFAULT_MAX_QUEUED_DECRYPTIONS,
      0,
    ),
  );
}
