/**
 * The `getKey` signature key source: an application function that answers, for one token header,
 * the public key(s) that may have signed it (a tenant database, a key service, an HSM front end).
 *
 * What the lookup returns is held to exactly the rules of configured `keys`: the same import
 * (public keys only, RSA of at least 2048 bits, `use`/`key_ops`), the same selection by `kid` and
 * by key type bound to `alg` (RFC 8725 §3.1), at most `MAX_KEY_CANDIDATES` keys tried. The
 * algorithm allowlist is checked before the lookup is called (jws/verify-jws.ts), so a token with
 * `alg: none` or HS256 never reaches it. HMAC secrets from a lookup are always refused: a secret
 * chosen by a function of an unverified header is the RFC 8725 §2.1 confusion this library is
 * built against; per-issuer secrets go in `issuers[].secret`.
 */
import { KeyObject } from 'node:crypto';
import { InvalidTokenError } from '../errors/errors';
import { KeysUnavailableError } from '../errors/keys-unavailable-error';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../lib/algorithms';
import type { KeySourceHealth, MonitoredKeySource } from './health';
import type { ImportedKey } from './key-input';
import { importVerificationKeys, selectKeys, type PublicKeyInput } from './local-keys';
import type { KeyLookup, KeyLookupHeader } from './key-lookup-options';
import type { KeySelector } from './key-source';

/** A lookup answering more keys than this is refused, like a remote JWK Set of that size. */
const MAX_LOOKUP_KEYS = 100;
/** PEM texts remembered by value (strings cannot key a WeakMap). */
const MAX_REMEMBERED_PEM = 32;

const ASYMMETRIC = new Set<string>(ASYMMETRIC_JWS_ALGORITHMS);

/** One import outcome, remembered per returned object. */
type Imported = readonly ImportedKey[] | TypeError;

/** Imports one returned item as configured `keys` are imported; a failure is returned, not thrown. */
function importItem(item: unknown): Imported {
  if (isSecretInput(item)) {
    return new TypeError(
      'getKey returned an HMAC secret; a lookup may return public keys only (use issuers[].secret)',
    );
  }
  try {
    return importVerificationKeys(item as PublicKeyInput);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unusable key';
    return new TypeError(`getKey returned an unusable key: ${message}`, { cause: error });
  }
}

/** Secret material in any form: refused before import, with its own message. */
function isSecretInput(item: unknown): boolean {
  if (item instanceof KeyObject) return item.type === 'secret';
  return item instanceof Uint8Array || (typeof item === 'object' && item !== null && 'k' in item);
}

/** The `getKey` source of one or more issuers: calls the lookup on every key request. */
export class KeyLookupSource implements MonitoredKeySource {
  private readonly imported = new WeakMap<object, Imported>();
  private readonly pem = new Map<string, Imported>();
  private lookups = 0;
  private lastKeyCount = 0;
  private lastError: { message: string; at: Date } | undefined;

  /**
   * @param lookup The `getKey` function.
   * @param issuers The issuers it serves (health reports; the default `context.issuer`).
   * @param timeoutMs The resolved `getKeyTimeout`.
   */
  constructor(
    private readonly lookup: KeyLookup,
    private readonly issuers: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  /** {@inheritDoc SigningKeySource.getKeys} */
  async getKeys(selector: KeySelector): Promise<readonly ImportedKey[]> {
    // verify-jws.ts has checked the allowlist already, and the plan admits no HS algorithm with
    // getKey; this keeps the rule here too, so no other caller can make the lookup run for HS*.
    if (!ASYMMETRIC.has(selector.alg)) return [];
    const result = await this.call(selector);
    const items: readonly unknown[] = Array.isArray(result)
      ? result
      : result === undefined || result === null
        ? []
        : [result];
    const keys: ImportedKey[] = [];
    for (const item of items) {
      const outcome = this.importOnce(item);
      if (outcome instanceof TypeError) throw lookupFailed(outcome);
      keys.push(...outcome);
      if (keys.length > MAX_LOOKUP_KEYS) {
        throw lookupFailed(new TypeError(`getKey returned more than ${MAX_LOOKUP_KEYS} keys`));
      }
    }
    this.lastKeyCount = keys.length;
    return selectKeys(keys, selector);
  }

  /** {@inheritDoc MonitoredKeySource.health} */
  health(): KeySourceHealth {
    return {
      kind: 'getKey',
      issuers: this.issuers,
      jwksUri: undefined,
      status: this.lastError === undefined ? 'ok' : 'unavailable',
      lastSuccessAt: undefined,
      age: undefined,
      lastError: this.lastError,
      keyCount: this.lastKeyCount,
      fetchCount: this.lookups,
    };
  }

  /** {@inheritDoc MonitoredKeySource.warm} */
  warm(): Promise<void> {
    // Nothing to prefetch: the lookup needs a token header.
    return Promise.resolve();
  }

  /** Runs the lookup once, bounded by the timeout; maps its failures to tokenward errors. */
  private async call(selector: KeySelector): Promise<unknown> {
    this.lookups += 1;
    const header = Object.freeze(structuredClone(selector.header ?? { alg: selector.alg }));
    const controller = new AbortController();
    const context = Object.freeze({
      issuer: selector.issuer ?? (this.issuers[0] as string),
      signal: controller.signal,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const cause = new Error(`getKey did not settle within ${this.timeoutMs / 1000} s`);
        controller.abort(cause);
        reject(new KeysUnavailableError(1, { cause }));
      }, this.timeoutMs);
    });
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => this.lookup(header as KeyLookupHeader, context)),
        timeout,
      ]);
      if (this.lastError !== undefined) this.lastError = undefined;
      return result;
    } catch (error) {
      throw this.failure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error a lookup failure becomes; an outage is remembered for `health()`. */
  private failure(error: unknown): Error {
    if (error instanceof KeysUnavailableError) {
      const cause = error.cause instanceof Error ? error.cause.message : undefined;
      // Our own description only: the lookup's messages may name hosts or tenants.
      const message = cause?.startsWith('getKey did not settle')
        ? cause
        : 'getKey reported its keys unavailable';
      this.lastError = { message, at: new Date() };
      return error;
    }
    // The lookup refused the token with a code of its choosing.
    if (error instanceof InvalidTokenError) return error;
    return new InvalidTokenError('ERR_KEY_LOOKUP_FAILED', 'the signature key lookup failed', {
      cause: error,
    });
  }

  /** Imports `item` once per object (or PEM text); later calls return the same ImportedKeys. */
  private importOnce(item: unknown): Imported {
    if (typeof item === 'string') {
      let outcome = this.pem.get(item);
      if (outcome === undefined) {
        outcome = importItem(item);
        if (this.pem.size >= MAX_REMEMBERED_PEM) this.pem.delete(this.pem.keys().next().value!);
        this.pem.set(item, outcome);
      }
      return outcome;
    }
    if (typeof item !== 'object' || item === null) {
      return new TypeError('getKey returned neither a JWK, a JWK Set, PEM text nor a KeyObject');
    }
    let outcome = this.imported.get(item);
    if (outcome === undefined) {
      outcome = importItem(item);
      this.imported.set(item, outcome);
    }
    return outcome;
  }
}

/** 401 for a key the lookup should never have returned; the reason stays as `cause`. */
function lookupFailed(reason: TypeError): InvalidTokenError {
  return new InvalidTokenError(
    'ERR_KEY_LOOKUP_FAILED',
    'the signature key lookup returned no usable key',
    { cause: reason },
  );
}
