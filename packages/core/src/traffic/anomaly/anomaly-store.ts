/**
 * Where the anomaly detectors keep their counts and blocks: the memory store of one process, or
 * a shared one (Redis) implementing the same four calls, so a token seen from one address on
 * each of several instances is still seen from several addresses.
 */
import { LRUCache } from 'lru-cache';

/**
 * The detectors' store. Each call may answer a promise (a shared store); a throw or a rejection
 * counts nothing and blocks nothing: the detectors are a brake on misuse, every token is still
 * verified in full.
 */
export interface AnomalyStore {
  /**
   * Adds `member` to the set under `key`; the first member opens a window of `windowMs` after
   * which the set is forgotten.
   *
   * @returns the set's size after the add when `member` was new to it, `0` when it was already
   *   there (or the set holds 256 members): a size is reported once, so exactly one caller sees
   *   the set reach a threshold.
   */
  addDistinct(
    key: string,
    member: string,
    windowMs: number,
    nowMs: number,
  ): number | Promise<number>;
  /**
   * Counts one event under `key`; the first opens a window of `windowMs`.
   *
   * @returns the count after this event (each count is reported once).
   */
  countEvent(key: string, windowMs: number, nowMs: number): number | Promise<number>;
  /** Blocks `key` for `blockMs` (a later block of the same key replaces it). */
  block(key: string, blockMs: number, nowMs: number): void | Promise<void>;
  /** Milliseconds `key` is still blocked; 0 (or less) when it is not. */
  blockedFor(key: string, nowMs: number): number | Promise<number>;
}

/** Options of {@link createMemoryAnomalyStore}. */
export interface MemoryAnomalyStoreOptions {
  /**
   * Keys (tokens, clients, addresses) tracked at once; the least recently seen is forgotten
   * beyond it, so a spray of tokens or addresses costs bounded memory. Default 10,000.
   */
  maxEntries?: number;
}

/**
 * Members a set holds; beyond it new members are not counted (a token seen from thousands of
 * addresses costs bounded memory). Above the largest threshold a detector accepts.
 */
const MAX_MEMBERS = 256;

interface WindowEntry {
  windowEnd: number;
  count: number;
  members?: Set<string>;
}

/**
 * Creates a memory {@link AnomalyStore}: one process, bounded (an LRU of `maxEntries` keys for
 * counts and another for blocks). Windows are fixed: a key's first event opens one.
 *
 * @throws TypeError for a bad `maxEntries`.
 * @example
 * ```ts
 * createVerifier({ ...options, anomalies: { tokenSpread: { addresses: 3 }, store: createMemoryAnomalyStore() } })
 * ```
 */
export function createMemoryAnomalyStore(options: MemoryAnomalyStoreOptions = {}): AnomalyStore {
  const max = options.maxEntries ?? 10_000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('maxEntries: expected a positive integer');
  }
  const windows = new LRUCache<string, WindowEntry>({ max });
  // key → [until, length]: a block never lasts longer than its length, clock jumps included.
  const blocks = new LRUCache<string, [number, number]>({ max });
  /** The key's window at `nowMs`, opened when there is none or the last one ended. */
  const windowOf = (key: string, windowMs: number, nowMs: number): WindowEntry => {
    let entry = windows.get(key);
    // A window that ends further ahead than its length: the clock went back; start afresh.
    if (entry === undefined || nowMs >= entry.windowEnd || entry.windowEnd - nowMs > windowMs) {
      entry = { windowEnd: nowMs + windowMs, count: 0 };
      windows.set(key, entry);
    }
    return entry;
  };
  return {
    addDistinct(key, member, windowMs, nowMs) {
      const entry = windowOf(key, windowMs, nowMs);
      const members = (entry.members ??= new Set());
      if (members.has(member) || members.size >= MAX_MEMBERS) return 0;
      members.add(member);
      return members.size;
    },
    countEvent(key, windowMs, nowMs) {
      const entry = windowOf(key, windowMs, nowMs);
      entry.count += 1;
      return entry.count;
    },
    block(key, blockMs, nowMs) {
      blocks.set(key, [nowMs + blockMs, blockMs]);
    },
    blockedFor(key, nowMs) {
      const block = blocks.get(key);
      if (block === undefined) return 0;
      const [until, length] = block;
      if (until > nowMs) return Math.min(until - nowMs, length);
      blocks.delete(key);
      return 0;
    },
  };
}
