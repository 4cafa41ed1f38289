/**
 * A revocation list in this process's memory: for one instance (several instances need a shared
 * one, `@tokenward/redis`'s `createRedisRevocationList`, whose revocations reach every instance).
 */
import { RevocationIndex } from './revocation-index';
import { normalizeRevocation, type RevocationSettings } from './revocation-input';
import type { RevocationList } from './revocation-list';

/** Options of {@link createMemoryRevocationList}. */
export interface MemoryRevocationListOptions {
  /**
   * Seconds a subject or client revocation is kept when no `expiresAt` is given: the longest
   * lifetime of the tokens it must outlast. Default 86,400 (one day).
   */
  maxTokenLifetime?: number;
  /** Most live entries; a revocation beyond it rejects (the caller knows). Default 1,000,000. */
  maxEntries?: number;
  /**
   * The issuers revocations may name (the verifier's): a revocation for another one is refused
   * with a TypeError, so a typo never records an entry that matches nothing. Default: any.
   */
  issuers?: readonly string[];
}

/**
 * A revocation list for one instance.
 *
 * @throws TypeError for bad options.
 * @example
 * ```ts
 * const revocation = createMemoryRevocationList()
 * const verifier = createVerifier({ ..., revocation })
 * await revocation.revokeSubject({ issuer: 'https://auth.example.com/', subject: 'alice' })
 * ```
 */
export function createMemoryRevocationList(
  options: MemoryRevocationListOptions = {},
): RevocationList {
  const settings = revocationListSettings(options);
  const { maxEntries } = settings;
  const index = new RevocationIndex();
  return {
    async revokeToken(input) {
      store(normalizeRevocation('token', input, settings));
    },
    async revokeSubject(input) {
      store(normalizeRevocation('subject', input, settings));
    },
    async revokeClient(input) {
      store(normalizeRevocation('client', input, settings));
    },
    remove: async (id) => index.remove(id),
    list: async () => index.entries(Date.now()),
    check: (token) => (index.isRevoked(token) ? 'revoked' : 'valid'),
  };

  function store(entry: Parameters<RevocationIndex['add']>[0]): void {
    if (index.size >= maxEntries) {
      throw new RangeError(`the revocation list holds ${maxEntries} entries (option maxEntries)`);
    }
    index.add(entry);
  }
}

/**
 * Validates the options every revocation list shares.
 *
 * @throws TypeError naming the option.
 */
export function revocationListSettings(options: MemoryRevocationListOptions): RevocationSettings {
  const maxTokenLifetime = options.maxTokenLifetime ?? 86_400;
  if (!Number.isSafeInteger(maxTokenLifetime) || maxTokenLifetime < 1) {
    throw new TypeError('maxTokenLifetime: expected whole seconds of at least 1');
  }
  const maxEntries = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries: expected a whole number of at least 1');
  }
  let issuers: ReadonlySet<string> | undefined;
  if (options.issuers !== undefined) {
    if (
      !Array.isArray(options.issuers) ||
      options.issuers.length === 0 ||
      !options.issuers.every((i) => typeof i === 'string' && i !== '')
    ) {
      throw new TypeError('issuers: expected a non-empty array of issuer identifiers');
    }
    issuers = new Set(options.issuers);
  }
  return { maxTokenLifetime, maxEntries, issuers };
}
