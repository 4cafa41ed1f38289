/**
 * A signing key source backed by a remote JWK Set (`jwksUri`, or the `jwks_uri` found by
 * discovery), built to survive an identity provider that rotates keys, goes down, stalls or
 * answers nonsense (the remote-key rules of docs/architecture.md).
 *
 * jose's `createRemoteJWKSet` is not used: it has no stale-if-error, no response size cap, and
 * imports keys without our hygiene rules; this module adds those around the same caching model
 * (a max age, and a cooldown before re-fetching for an unknown `kid`).
 *
 * Behaviour, with the defaults of {@link DEFAULT_REMOTE_KEYS}:
 * - the first verification fetches the set; later ones use it until it is `cacheMaxAge` old;
 * - a token whose `kid` is not in the set re-fetches, unless a fetch started less than `cooldown`
 *   ago; concurrent callers share one fetch (coalescing);
 * - while fetches fail, the last good set keeps serving until it is `maxStaleAge` old; then
 *   verification fails closed with {@link KeysUnavailableError} (503);
 * - a token whose `alg` is not asymmetric (HS*) never causes a fetch.
 */
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { ASYMMETRIC_JWS_ALGORITHMS } from '../lib/algorithms';
import { fetchJSON } from '../lib/fetch-json';
import { hasPrivateMembers, importPublicKey, type ImportedKey } from './key-input';
import { carryOverKeys, type KeySelector } from './key-source';
import { KeysUnavailableError } from '../errors/keys-unavailable-error';
import { selectKeys } from './local-keys';
import { log, type RemoteKeysSettings, type TokenwardLogger } from './remote-options';
import type { KeySourceHealth, KeySourceStatus, MonitoredKeySource } from './health';

/** A JWK Set with more members than this is refused as a whole (no IdP publishes that many). */
export const MAX_REMOTE_JWKS_KEYS = 100;

/** How a remote source finds its JWK Set URL: fixed (`jwksUri`) or by discovery. */
export interface JWKSLocator {
  readonly kind: 'jwks' | 'discovery';
  /** The URL last located, if any. */
  current(): URL | undefined;
  /** The URL to fetch now (discovery may fetch metadata first). */
  locate(): Promise<URL>;
}

const ASYMMETRIC = new Set<string>(ASYMMETRIC_JWS_ALGORITHMS);

function ignore(
  logger: TokenwardLogger | undefined,
  url: URL,
  kid: unknown,
  reason: string,
): undefined {
  log(logger, 'warn', 'tokenward: ignored a key of a remote JWK Set', {
    jwksUri: url.href,
    kid: typeof kid === 'string' ? kid : null,
    reason,
  });
  return undefined;
}

/** Imports one member of a remote set, or undefined (with a log line when it is suspicious). */
function importMember(
  value: unknown,
  url: URL,
  logger: TokenwardLogger | undefined,
): ImportedKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ignore(logger, url, undefined, 'not a JSON object');
  }
  const jwk = value as JWK;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') {
    return ignore(logger, url, undefined, 'kid is not a string');
  }
  // A published private or symmetric key is a leak at the issuer (whatever its `use`), and a
  // symmetric key from a URL would let anyone who can read that URL mint tokens: never use one,
  // and say so (RFC 8725 §3.2).
  if (jwk.kty === 'oct' || hasPrivateMembers(jwk)) {
    return ignore(logger, url, jwk.kid, 'it carries private or symmetric key material');
  }
  // Encryption keys are routinely published beside signature keys (RFC 7517 §4.2, §4.3): skip
  // them quietly.
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
    return undefined;
  if (jwk.alg !== undefined && !ASYMMETRIC.has(jwk.alg)) return undefined;
  try {
    // importPublicKey enforces RSA >= 2048 bits and a sane exponent.
    return importPublicKey(jwk, 'remote JWK');
  } catch (error) {
    return ignore(logger, url, jwk.kid, (error as Error).message);
  }
}

/**
 * Imports the usable signature keys of a fetched JWK Set (RFC 7517 §5). Members that are not
 * signature verification keys are skipped; members with private or symmetric material, RSA keys
 * under 2048 bits and keys node:crypto cannot import are ignored and logged.
 *
 * @throws Error when the document is not a JWK Set, is too large, or has no usable key.
 */
function importRemoteJWKSet(
  body: Record<string, unknown>,
  url: URL,
  logger?: TokenwardLogger,
): ImportedKey[] {
  const members = body.keys;
  if (!Array.isArray(members)) throw new Error(`${url.href} did not answer a JWK Set`);
  if (members.length > MAX_REMOTE_JWKS_KEYS) {
    throw new Error(`${url.href} answered more than ${MAX_REMOTE_JWKS_KEYS} keys`);
  }
  const keys: ImportedKey[] = [];
  for (const member of members) {
    const key = importMember(member, url, logger);
    if (key) keys.push(key);
  }
  // An empty set is treated as a failure, so the last good set keeps serving (stale-if-error)
  // instead of every token failing at once.
  if (keys.length === 0) throw new Error(`${url.href} answered a JWK Set with no usable key`);
  return keys;
}

/** A remote JWK Set with caching, cooldown, coalescing and stale-if-error. */
export class RemoteKeySource implements MonitoredKeySource {
  private keys: readonly ImportedKey[] | undefined;
  private fetchedAt = 0;
  private lastAttemptAt: number | undefined;
  private lastError: { message: string; at: number } | undefined;
  private inflight: Promise<void> | undefined;
  private fetchCount = 0;

  /**
   * @param locator Finds the JWK Set URL.
   * @param issuers The issuers this source serves (for health reports and logs).
   * @param settings Resolved `remoteKeys` options.
   */
  constructor(
    private readonly locator: JWKSLocator,
    private readonly issuers: readonly string[],
    private readonly settings: RemoteKeysSettings,
  ) {}

  /** {@inheritDoc SigningKeySource.getKeys} */
  async getKeys(selector: KeySelector): Promise<readonly ImportedKey[]> {
    // Remote sets only ever hold public keys, so HS* (or anything else) finds nothing here, and
    // must not cost a fetch.
    if (!ASYMMETRIC.has(selector.alg)) return [];
    const now = this.settings.now();
    if (this.keys === undefined || now - this.fetchedAt >= this.settings.cacheMaxAgeMs) {
      await this.refresh(now);
    }
    let keys = this.usableKeys();
    if (keys !== undefined) {
      const found = selectKeys(keys, selector);
      if (found.length > 0) return found;
      // An unknown kid may mean the issuer rotated: look again, at most once per cooldown.
      if (await this.refresh(now)) {
        keys = this.usableKeys();
        const refound = keys === undefined ? [] : selectKeys(keys, selector);
        if (refound.length > 0) return refound;
      }
    }
    if (keys === undefined || this.failing()) {
      // We cannot tell whether the key exists: that is our outage, not the client's bad token.
      const cause = this.lastError === undefined ? undefined : new Error(this.lastError.message);
      throw new KeysUnavailableError(this.retryAfterSeconds(), { cause });
    }
    return [];
  }

  /** {@inheritDoc SigningKeySource.holds} */
  holds(key: ImportedKey): boolean {
    return this.usableKeys()?.includes(key) === true;
  }

  /** {@inheritDoc MonitoredKeySource.warm} */
  async warm(): Promise<void> {
    if (this.keys === undefined) await this.refresh(this.settings.now());
  }

  /** {@inheritDoc MonitoredKeySource.health} */
  health(): KeySourceHealth {
    const now = this.settings.now();
    const age = this.keys === undefined ? undefined : Math.max(0, now - this.fetchedAt);
    let status: KeySourceStatus = 'unavailable';
    if (this.usableKeys() !== undefined) status = this.failing() ? 'stale' : 'ok';
    return {
      kind: this.locator.kind,
      issuers: this.issuers,
      jwksUri: this.locator.current()?.href,
      status,
      lastSuccessAt: this.keys === undefined ? undefined : new Date(this.fetchedAt),
      age: age === undefined ? undefined : Math.floor(age / 1000),
      lastError:
        this.failing() && this.lastError
          ? { message: this.lastError.message, at: new Date(this.lastError.at) }
          : undefined,
      keyCount: this.keys?.length ?? 0,
      fetchCount: this.fetchCount,
    };
  }

  /** The held keys while they may be used: at most `maxStaleAge` old. */
  private usableKeys(): readonly ImportedKey[] | undefined {
    if (this.keys === undefined) return undefined;
    return this.settings.now() - this.fetchedAt <= this.settings.maxStaleAgeMs
      ? this.keys
      : undefined;
  }

  /** Whether the last fetch failed (no success since). */
  private failing(): boolean {
    return this.lastError !== undefined;
  }

  private retryAfterSeconds(): number {
    const since = this.settings.now() - (this.lastAttemptAt ?? 0);
    return Math.max(1, (this.settings.cooldownMs - since) / 1000);
  }

  /**
   * Fetches the set unless one fetch is already running (then waits for it) or one started less
   * than `cooldown` ago. Resolves to whether a fetch was made or awaited; never rejects.
   */
  private refresh(now: number): Promise<boolean> {
    if (this.inflight) return this.inflight.then(() => true);
    if (this.lastAttemptAt !== undefined && now - this.lastAttemptAt < this.settings.cooldownMs) {
      return Promise.resolve(false);
    }
    this.lastAttemptAt = now;
    this.fetchCount += 1;
    const run = this.load().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = run;
    return run.then(() => true);
  }

  private async load(): Promise<void> {
    const { logger } = this.settings;
    try {
      const url = await this.locator.locate();
      const body = await fetchJSON(url, {
        timeoutMs: this.settings.timeoutMs,
        maxBytes: this.settings.maxResponseSize,
      });
      // Unchanged keys keep their objects, so cached tokens they verified stay (see holds).
      const keys = carryOverKeys(this.keys, importRemoteJWKSet(body, url, logger));
      const recovered = this.lastError !== undefined;
      this.keys = keys;
      this.fetchedAt = this.settings.now();
      this.lastError = undefined;
      const details = { issuers: this.issuers, jwksUri: url.href, keys: keys.length };
      if (recovered) log(logger, 'warn', 'tokenward: remote JWK Set fetched again', details);
      else log(logger, 'info', 'tokenward: remote JWK Set fetched', details);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'unknown error';
      this.lastError = { message, at: this.settings.now() };
      const usable = this.usableKeys() !== undefined;
      log(logger, 'warn', 'tokenward: fetching the remote JWK Set failed', {
        issuers: this.issuers,
        jwksUri: this.locator.current()?.href ?? null,
        error: message,
        servingStaleKeys: usable,
      });
    }
  }
}

/** A locator for a configured `jwksUri`. */
export function fixedLocator(url: URL): JWKSLocator {
  return { kind: 'jwks', current: () => url, locate: () => Promise.resolve(url) };
}
