/**
 * One-time use of a value (a DPoP proof's `jti`, RFC 9449 §11.1) across everything that shares a
 * store: `claim` answers true exactly once per key within its time to live. The memory store
 * serves one instance; `@tokenward/redis` serves several.
 */
import { hash } from 'node:crypto';

/** A store of claimed keys. */
export interface ReplayStore {
  /**
   * Claims `key` for `ttlSeconds`: resolves true the first time (atomically, whoever asks at the
   * same time), false while the claim lasts. Rejects when the store cannot answer (down, slow,
   * full): callers refuse the request (503), never accept it.
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most claims held at once. Default 1,000,000 (about 250 bytes each when held): a verifier's
   * claims live `proofMaxAge + 2 × clockTolerance` seconds (120 by default), so the default
   * sustains about 8,000 proofs per second. When every slot holds an unexpired claim, a new claim
   * is refused (rejects) rather than forgetting one that could then be replayed.
   */
  maxEntries?: number;
}

/** Raised by a memory replay store with no room for an unexpired claim. */
export class ReplayStoreFullError extends Error {
  override readonly name = 'ReplayStoreFullError';
}

/**
 * A replay store in this process's memory: for one instance (several instances behind a load
 * balancer need a shared store such as `@tokenward/redis`). Bounded, expiring, amortised O(1)
 * per claim, nothing allocated up front. Keys are kept as a 132-bit hash (a fixed 22 characters,
 * whatever the caller's key holds).
 *
 * @throws TypeError for a bad `maxEntries`.
 * @example
 * ```ts
 * const store = createMemoryReplayStore({ maxEntries: 50_000 })
 * await store.claim('jkt:…:jti:…', 300) // true, then false for 300 s
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const max = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('maxEntries: expected a whole number of at least 1');
  }
  /** Claim → when it expires (ms). */
  const claims = new Map<string, number>();
  // Claims in the order they were made. Every verifier claims with one TTL, so this is also
  // expiry order, and expired claims leave from its front; a claim with a shorter TTL behind a
  // longer one waits there, still counted, until the front reaches it or a full store sweeps.
  let order: Array<readonly [string, number]> = [];
  let head = 0;

  const drain = (now: number) => {
    while (head < order.length && (order[head] as readonly [string, number])[1] <= now) {
      const [key, expires] = order[head] as readonly [string, number];
      if (claims.get(key) === expires) claims.delete(key);
      head++;
    }
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head);
      head = 0;
    }
  };
  const sweep = (now: number) => {
    for (const [key, expires] of claims) if (expires <= now) claims.delete(key);
    order = order.slice(head).filter(([key, expires]) => claims.get(key) === expires);
    head = 0;
  };

  /** The claim itself: true once per key within its TTL; throws what `claim` rejects with. */
  const claimNow = (key: string, ttlSeconds: number): boolean => {
    if (typeof key !== 'string' || key === '') {
      throw new TypeError('claim: expected a non-empty key');
    }
    if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new TypeError('claim: expected a time to live in seconds');
    }
    const now = Date.now();
    drain(now);
    // The one-shot `hash`, not a `createHash` object: one claim per proof, on the event loop.
    const hashed = hash('sha256', key, 'base64url').slice(0, 22);
    const held = claims.get(hashed);
    if (held !== undefined && held > now) return false;
    if (claims.size >= max) {
      sweep(now);
      // Evicting a live claim would let its value be used twice: refuse instead (fail closed).
      if (claims.size >= max) {
        throw new ReplayStoreFullError(
          `the replay store holds ${max} live claims (option maxEntries)`,
        );
      }
    }
    const expires = now + Math.ceil(ttlSeconds * 1000);
    claims.set(hashed, expires);
    order.push([hashed, expires]);
    return true;
  };

  const store: ReplayStore & SyncReplayStore = {
    claim(key, ttlSeconds) {
      try {
        return Promise.resolve(claimNow(key, ttlSeconds));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    [CLAIM_SYNC]: claimNow,
  };
  return store;
}

/**
 * The key of a store's synchronous claim (the memory store has one): the DPoP check calls it
 * directly, without the promise, the race and the timer a store that may hang needs.
 */
const CLAIM_SYNC: unique symbol = Symbol('tokenward.replayStore.claimSync');

/** A store that can also claim synchronously (see {@link claimSync}). */
interface SyncReplayStore {
  [CLAIM_SYNC](key: string, ttlSeconds: number): boolean;
}

/**
 * The store's synchronous claim, when it has one (the memory store), else `undefined`.
 *
 * @example `const claim = claimSync(store); claim ? claim(key, ttl) : await store.claim(key, ttl)`
 */
export function claimSync(
  store: ReplayStore,
): ((key: string, ttlSeconds: number) => boolean) | undefined {
  return (store as Partial<SyncReplayStore>)[CLAIM_SYNC];
}
