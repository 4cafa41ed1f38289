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
 * - the first verification fetches the set and waits for it; later ones use it;
 * - once the set is `cacheMaxAge` old, the next verification starts a refresh in the background
 *   and is answered from the held set at once (stale-while-revalidate): a stalled endpoint holds
 *   no request whose `kid` the held set knows;
 * - a token whose `kid` is not in the set waits for a re-fetch (the background one, if running),
 *   unless a fetch started less than `cooldown` ago; concurrent callers share one fetch;
 * - while fetches fail, the last good set keeps serving until it is `maxStaleAge` old; then
 *   verification waits for the next attempt and fails closed with {@link KeysUnavailableError}
 *   (503) when it fails;
 * - one `timeout` bounds a whole refresh: discovery metadata and the JWK Set share its deadline;
 * - a token whose `alg` is not asymmetric (HS*) never causes a fetch.
 */
import { fetchJSON } from '../lib/fetch-json';
import type { ImportedKey } from './key-input';
import { ASYMMETRIC, importRemoteJWKSet } from './remote-jwks-set';
import { carryOverKeys, type KeySelector } from './key-source';
import { KeysUnavailableError } from '../errors/keys-unavailable-error';
import { selectKeys } from './local-keys';
import { log, type RemoteKeysSettings } from './remote-options';
import type { KeySourceHealth, KeySourceStatus, MonitoredKeySource } from './health';

export { MAX_REMOTE_JWKS_KEYS } from './remote-jwks-set';

/** How a remote source finds its JWK Set URL: fixed (`jwksUri`) or by discovery. */
export interface JWKSLocator {
  readonly kind: 'jwks' | 'discovery';
  /** The URL last located, if any. */
  current(): URL | undefined;
  /**
   * The URL to fetch now (discovery may fetch metadata first).
   *
   * @param signal The deadline of the whole refresh, which the JWK Set fetch then shares.
   */
  locate(signal: AbortSignal): Promise<URL>;
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
    if (this.usableKeys() === undefined) {
      // Nothing may serve (never fetched, or older than maxStaleAge): wait for the fetch.
      await this.refresh(now);
    } else if (now - this.fetchedAt >= this.settings.cacheMaxAgeMs) {
      // Stale-while-revalidate (the RFC 5861 §3 model): the held set answers this request while a
      // refresh runs; a known kid must not wait on an endpoint that may be stalling. refresh()
      // never rejects (load() reports failures to the logger), so nothing is left unhandled.
      void this.refresh(now);
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
      // One deadline for the whole refresh (metadata, then JWK Set): each fetch gets what the
      // earlier ones left, so a stalled chain fails after one timeout, not one per request.
      const signal = AbortSignal.timeout(this.settings.timeoutMs);
      const url = await this.locator.locate(signal);
      const body = await fetchJSON(url, {
        timeoutMs: this.settings.timeoutMs,
        maxBytes: this.settings.maxResponseSize,
        signal,
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
      this.settings.onFetch?.('ok');
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
      this.settings.onFetch?.('error');
    }
  }
}

/**
 * A locator for a configured `jwksUri`: nothing to fetch before the JWK Set.
 *
 * @param url The configured `jwksUri`, already checked against the transport rules (SD-21).
 */
export function fixedLocator(url: URL): JWKSLocator {
  return { kind: 'jwks', current: () => url, locate: () => Promise.resolve(url) };
}
