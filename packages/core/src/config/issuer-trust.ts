/**
 * Which issuers a verifier trusts, and with which signature keys and algorithms: `issuer` with one
 * top-level key source, or `issuers` with one source each. Validated once at construction.
 */
import { discoveryLocator, parseDiscoveryIssuer } from '../keys/discovery';
import type { ImportedKey } from '../keys/key-input';
import type { ClaimRules } from '../claims/validate-claims';
import type { SigningKeySource } from '../keys/key-source';
import {
  createLocalKeySource,
  hmacAlgorithmsFor,
  importSecret,
  importVerificationKeys,
  type PublicKeyInput,
} from '../keys/local-keys';
import { createLocalHealth, type MonitoredKeySource } from '../keys/health';
import { KeyLookupSource } from '../keys/key-lookup';
import { resolveGetKeyTimeout } from '../keys/key-lookup-options';
import { fixedLocator, RemoteKeySource } from '../keys/remote-jwks';
import type { RemoteKeysSettings } from '../keys/remote-options';
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  HMAC_JWS_ALGORITHMS,
  HMAC_MIN_SECRET_BYTES,
} from '../lib/algorithms';
import { insecureURLReason } from '../lib/fetch-json';
import { stringList } from './option-checks';
import type {
  SignatureKeyOptions,
  TrustedIssuerOptions,
  VerifierOptions,
} from './verifier-options';

function resolveAlgorithms(
  options: { algorithms?: readonly string[] },
  secret: ImportedKey | undefined,
  prefix = '',
): Set<string> {
  if (secret) {
    const fitting = hmacAlgorithmsFor(secret.key.symmetricKeySize ?? 0);
    if (options.algorithms === undefined) return new Set(fitting);
    const list = stringList(options.algorithms, `${prefix}algorithms`);
    for (const alg of list) {
      if (!(HMAC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new TypeError(
          `${prefix}algorithms: ${alg} cannot be used with a secret; only HS256, HS384, HS512 can`,
        );
      }
      if (!fitting.includes(alg)) {
        const needed = HMAC_MIN_SECRET_BYTES[alg as keyof typeof HMAC_MIN_SECRET_BYTES];
        throw new TypeError(
          `${prefix}secret: ${alg} needs a secret of at least ${needed} bytes (RFC 7518 §3.2)`,
        );
      }
    }
    return new Set(list);
  }
  if (options.algorithms === undefined) return new Set(ASYMMETRIC_JWS_ALGORITHMS);
  const list = stringList(options.algorithms, `${prefix}algorithms`);
  for (const alg of list) {
    if ((HMAC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `${prefix}algorithms: ${alg} is only allowed with the secret option, never with public keys`,
      );
    }
    if (!(ASYMMETRIC_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `${prefix}algorithms: unsupported algorithm ${JSON.stringify(alg)}; supported: ${ASYMMETRIC_JWS_ALGORITHMS.join(', ')}`,
      );
    }
  }
  return new Set(list);
}

/** The signature key source options; exactly one is given per issuer. */
const KEY_SOURCE_OPTIONS = ['keys', 'secret', 'jwksUri', 'discovery', 'getKey'] as const;

const TRUSTED_ISSUER_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'algorithms',
  'maxTokenLifetime',
  ...KEY_SOURCE_OPTIONS,
]);

/** The signature keys, algorithms and audiences of one issuer, as the options give them. */
export interface IssuerKeys {
  readonly source: SigningKeySource;
  readonly algorithms: ReadonlySet<string>;
  readonly audiences: readonly string[];
  /** This issuer's own `maxTokenLifetime` (seconds), when its entry of `issuers` sets one. */
  readonly maxTokenLifetime?: number;
}

/**
 * What a verifier trusts one issuer with: ONE record decides which keys, algorithms and claim
 * rules apply to a token naming it (built by config/plan.ts, selected by claims/trusted-issuer.ts).
 */
export interface IssuerTrust extends IssuerKeys {
  /** The exact `iss` value. */
  readonly issuer: string;
  readonly rules: ClaimRules;
  /** The tenant of the verifier (option `tenant`), copied to each AccessToken it accepts. */
  readonly tenant?: string;
}

/** Key sources resolved from one {@link SignatureKeyOptions}, per issuer they serve. */
interface ResolvedSignatureKeys {
  readonly sourceFor: ReadonlyMap<string, SigningKeySource>;
  readonly sources: readonly MonitoredKeySource[];
  readonly algorithms: Set<string>;
}

/** Re-throws a key import `TypeError` with the `issuers[i].` prefix, so it names the option. */
function prefixed<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (prefix === '' || !(error instanceof TypeError)) throw error;
    throw new TypeError(`${prefix}${error.message}`, { cause: error });
  }
}

function parseJWKSURI(value: unknown, option: string): URL {
  let url: URL;
  try {
    if (typeof value !== 'string') throw new TypeError('not a string');
    url = new URL(value);
  } catch {
    throw new TypeError(`${option}: expected an absolute URL`);
  }
  const insecure = insecureURLReason(url);
  if (insecure !== undefined) throw new TypeError(`${option}: ${insecure}`);
  return url;
}

/** Resolves the one signature key source of `spec`, serving `issuers`. */
function resolveSignatureKeys(
  spec: SignatureKeyOptions,
  issuers: readonly string[],
  prefix: string,
  remote: RemoteKeysSettings,
  getKeyTimeoutMs: number,
): ResolvedSignatureKeys {
  if (spec.discovery !== undefined && typeof spec.discovery !== 'boolean') {
    throw new TypeError(`${prefix}discovery: expected true or false`);
  }
  const given = KEY_SOURCE_OPTIONS.filter((name) =>
    name === 'discovery' ? spec.discovery === true : spec[name] !== undefined,
  );
  if (given.length !== 1) {
    // Name the conflicting options when there are several; every choice when there is none.
    const names = (given.length > 1 ? given : KEY_SOURCE_OPTIONS)
      .map((name) => `${prefix}${name}`)
      .join(', ');
    throw new TypeError(`${names}: give exactly one signature key source`);
  }
  const sourceFor = new Map<string, SigningKeySource>();
  const serveAll = (source: MonitoredKeySource) => {
    for (const issuer of issuers) sourceFor.set(issuer, source);
    return [source];
  };
  if (spec.secret !== undefined || spec.keys !== undefined) {
    const secret = prefixed(prefix, () =>
      spec.secret === undefined ? undefined : importSecret(spec.secret),
    );
    const keys = prefixed(prefix, () =>
      secret ? [secret] : importVerificationKeys(spec.keys as PublicKeyInput),
    );
    const kind = secret ? 'secret' : 'keys';
    const local = createLocalHealth(kind, issuers, createLocalKeySource(keys), keys.length);
    const algorithms = resolveAlgorithms(spec, secret, prefix);
    return { sourceFor, sources: serveAll(local), algorithms };
  }
  // Remote keys and getKey answers are public keys: the HS algorithms are refused here like with
  // `keys`, so a lookup is never called for an HS* token (keys/key-lookup.ts).
  const algorithms = resolveAlgorithms(spec, undefined, prefix);
  if (spec.getKey !== undefined) {
    if (typeof spec.getKey !== 'function')
      throw new TypeError(`${prefix}getKey: expected a function`);
    const source = new KeyLookupSource(spec.getKey, issuers, getKeyTimeoutMs);
    return { sourceFor, sources: serveAll(source), algorithms };
  }
  if (spec.jwksUri !== undefined) {
    const url = parseJWKSURI(spec.jwksUri, `${prefix}jwksUri`);
    const source = new RemoteKeySource(fixedLocator(url), issuers, remote);
    return { sourceFor, sources: serveAll(source), algorithms };
  }
  const sources = issuers.map((issuer) => {
    const url = parseDiscoveryIssuer(issuer, `${prefix}issuer`);
    const source = new RemoteKeySource(discoveryLocator(issuer, url, remote), [issuer], remote);
    sourceFor.set(issuer, source);
    return source;
  });
  return { sourceFor, sources, algorithms };
}

/** Resolves `issuers`, or `issuer` with the top-level key source, into per-issuer trust. */
export function resolveTrust(
  options: VerifierOptions,
  remote: RemoteKeysSettings,
): { keys: Map<string, IssuerKeys>; sources: MonitoredKeySource[]; audiences: string[] } {
  const trust = new Map<string, IssuerKeys>();
  const usesGetKey =
    options.getKey !== undefined ||
    (Array.isArray(options.issuers) && options.issuers.some((e) => e?.getKey !== undefined));
  const getKeyTimeoutMs = resolveGetKeyTimeout(options.getKeyTimeout, usesGetKey);
  if (options.issuers === undefined) {
    const issuers = stringList(options.issuer, 'issuer');
    const audiences = stringList(options.audience, 'audience');
    const resolved = resolveSignatureKeys(options, issuers, '', remote, getKeyTimeoutMs);
    for (const issuer of issuers) {
      const source = resolved.sourceFor.get(issuer) as SigningKeySource;
      trust.set(issuer, { source, algorithms: resolved.algorithms, audiences });
    }
    return { keys: trust, sources: [...resolved.sources], audiences };
  }
  for (const name of ['issuer', ...KEY_SOURCE_OPTIONS] as const) {
    if (options[name] !== undefined) {
      throw new TypeError(`${name}: not allowed with the issuers option; set it per issuer`);
    }
  }
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
    throw new TypeError('issuers: expected a non-empty array of issuer options');
  }
  const defaultAudiences =
    options.audience === undefined ? undefined : stringList(options.audience, 'audience');
  const sources: MonitoredKeySource[] = [];
  const allAudiences = new Set<string>(defaultAudiences);
  options.issuers.forEach((entry: TrustedIssuerOptions, index) => {
    const prefix = `issuers[${index}].`;
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`issuers[${index}]: expected an object`);
    }
    for (const key of Object.keys(entry)) {
      if (!TRUSTED_ISSUER_OPTIONS.has(key)) throw new TypeError(`${prefix}${key}: unknown option`);
    }
    const [issuer] = stringList(entry.issuer, `${prefix}issuer`);
    if (Array.isArray(entry.issuer) || issuer === undefined) {
      throw new TypeError(`${prefix}issuer: expected one issuer identifier (a string)`);
    }
    if (trust.has(issuer)) throw new TypeError(`${prefix}issuer: listed twice in issuers`);
    const audiences =
      entry.audience === undefined
        ? defaultAudiences
        : stringList(entry.audience, `${prefix}audience`);
    if (audiences === undefined) {
      throw new TypeError(`${prefix}audience: required when the audience option is not given`);
    }
    audiences.forEach((a) => allAudiences.add(a));
    const spec = { ...entry, algorithms: entry.algorithms ?? options.algorithms };
    const resolved = resolveSignatureKeys(spec, [issuer], prefix, remote, getKeyTimeoutMs);
    sources.push(...resolved.sources);
    const source = resolved.sourceFor.get(issuer) as SigningKeySource;
    // The algorithm allowlist of the whole verifier is the union of the issuers' lists; each
    // issuer is held to its own (jws/verify-jws.ts).
    const maxTokenLifetime =
      entry.maxTokenLifetime === undefined
        ? undefined
        : lifetime(entry.maxTokenLifetime, `${prefix}maxTokenLifetime`);
    trust.set(issuer, {
      source,
      algorithms: resolved.algorithms,
      audiences,
      ...(maxTokenLifetime !== undefined && { maxTokenLifetime }),
    });
  });
  return { keys: trust, sources, audiences: [...allAudiences] };
}

/**
 * A `maxTokenLifetime` value: whole seconds, at least 1.
 *
 * @throws TypeError naming `option`.
 */
export function lifetime(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${option}: expected whole seconds of at least 1`);
  }
  return value;
}
