/**
 * The health of signature key sources, as `verifier.health()` reports it for readiness probes:
 * remote sources (keys/remote-jwks.ts) track fetches; local ones are always healthy.
 */
import type { SigningKeySource } from './key-source';

/** Where a key source's keys come from. */
export type KeySourceKind = 'jwks' | 'discovery' | 'keys' | 'secret' | 'getKey';

/** State of one key source, as {@link KeySourceHealth} reports it. */
export type KeySourceStatus = 'ok' | 'stale' | 'unavailable';

/** The health of one key source, for readiness probes and dashboards. */
export interface KeySourceHealth {
  /** Where the keys come from. */
  readonly kind: KeySourceKind;
  /** The issuers whose tokens this source's keys verify. */
  readonly issuers: readonly string[];
  /** The JWK Set URL (for discovery: once discovered). */
  readonly jwksUri: string | undefined;
  /**
   * `ok`: a key set is held and the last fetch succeeded. `stale`: fetches fail but the last good
   * set is still within `maxStaleAge` and in use. `unavailable`: no usable key set, verification
   * answers 503 (also before the first fetch).
   */
  readonly status: KeySourceStatus;
  /** When the key set in use was fetched. */
  readonly lastSuccessAt: Date | undefined;
  /** Age of the key set in use, in seconds. */
  readonly age: number | undefined;
  /** The last failure, when the last fetch failed (a description, never a response body). */
  readonly lastError: { readonly message: string; readonly at: Date } | undefined;
  /** Usable signature keys held. */
  readonly keyCount: number;
  /** Fetches attempted so far (metadata and JWK Set together count as one). */
  readonly fetchCount: number;
}

/** A key source that can report its health and be warmed up by a readiness probe. */
export interface MonitoredKeySource extends SigningKeySource {
  /** A snapshot of the source's state. */
  health(): KeySourceHealth;
  /** Fetches the key set when none is held, within the cooldown; never throws. */
  warm(): Promise<void>;
}

/** A monitored view of local keys (`keys`, `secret`), which are always healthy. */
export function createLocalHealth(
  kind: 'keys' | 'secret',
  issuers: readonly string[],
  source: SigningKeySource,
  keyCount: number,
): MonitoredKeySource {
  const health: KeySourceHealth = Object.freeze({
    kind,
    issuers,
    jwksUri: undefined,
    status: 'ok',
    lastSuccessAt: undefined,
    age: undefined,
    lastError: undefined,
    keyCount,
    fetchCount: 0,
  });
  return {
    getKeys: (selector) => source.getKeys(selector),
    health: () => health,
    warm: () => Promise.resolve(),
  };
}
