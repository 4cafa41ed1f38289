/**
 * The sample app's configuration: the one place that reads environment variables. Everything is
 * validated at start-up; every problem is reported at once, each naming its variable.
 */
import { readFileSync } from 'node:fs';
import { PRESET_NAMES, type ClaimsPresetName, type EncryptionMode } from '@tokenward/core';
import { loadDPoPSettings, type DPoPSettings } from './dpop-settings';
import { fetchURLProblem, isListenHost, isLoopbackHost, quote } from './env-checks';
import { loadTrafficSettings, type TrafficSettings } from './traffic-settings';
import { loadTenants, TENANTS_VARIABLE } from '../tenants/tenant-settings';

/** Where the audit trail goes and where its keys are. */
export interface AuditSettings {
  /** `AUDIT_DIR`; dev mode default `.audit` (relative to the working directory). */
  readonly directory: string;
  /** Dev mode without key files: generate the keys in `directory` on first start. */
  readonly generateKeys: boolean;
  /** `AUDIT_CHAIN_KEY_FILE`: the HMAC chain key (≥ 32 bytes of text). */
  readonly chainKeyFile?: string;
  /** `AUDIT_SIGNING_KEY_FILE`: the Ed25519 private key (PEM) for checkpoints. */
  readonly signingKeyFile?: string;
  /** `AUDIT_PSEUDONYM_KEY_FILE`: the pseudonymisation key (≥ 32 bytes of text). */
  readonly pseudonymKeyFile?: string;
}

/** Settings shared by both modes. */
interface BaseConfig {
  /** Interface to listen on. `HOST`, default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** Port to listen on. `PORT`, default 3000; 0 picks a free port. */
  readonly port: number;
  /** The audit trail; absent when off (`AUDIT=off`, or configured mode without `AUDIT_DIR`). */
  readonly audit?: AuditSettings;
  /** DPoP-bound tokens; absent when `TOKENWARD_DPOP` is off (the default). */
  readonly dpop?: DPoPSettings;
  /**
   * `TOKENWARD_REDIS_URL`: shared state of several instances on this Redis server (the
   * revocation list, and the DPoP replay store); in memory when absent.
   */
  readonly redisUrl?: string;
  /**
   * Rate limits, failure budget, approved clients and the admin allowlist; absent when none of
   * their variables is set (the defaults of `trafficPlan` apply).
   */
  readonly traffic?: TrafficSettings;
}

/**
 * Dev mode: no issuer configured; an embedded dev issuer mints tokens for anyone who asks, so it
 * listens on a loopback host only and never runs in production.
 */
export interface DevConfig extends BaseConfig {
  readonly mode: 'dev';
  /**
   * `TOKENWARD_DEV_ALLOW_REMOTE=1`: the operator allowed a non-loopback `HOST` in dev mode
   * (present only then). Anyone who can reach the port can then mint admin tokens.
   */
  readonly allowRemote?: true;
  /**
   * `TOKENWARD_TENANTS`: multi-tenant mode, one embedded dev issuer per tenant, each tenant served
   * on `<id>.localhost` (present only when set).
   */
  readonly tenants?: readonly string[];
}

/** Verification settings of configured mode, as read from the environment. */
export interface IssuerSettings {
  /** `TOKENWARD_ISSUER`: the exact `iss` of accepted tokens. */
  readonly issuer: string;
  /** `TOKENWARD_AUDIENCE`: the `aud` this API answers to. */
  readonly audience: string;
  /** `TOKENWARD_JWKS_URI`; when absent the issuer's metadata is discovered (OIDC / RFC 8414). */
  readonly jwksUri?: string;
  /** Contents of the private JWK Set file `TOKENWARD_DECRYPTION_KEYS` names. */
  readonly decryptionKeys?: { keys: Record<string, unknown>[] };
  /** `TOKENWARD_ENCRYPTION`: required, optional or forbidden. */
  readonly encryption?: EncryptionMode;
  /** `TOKENWARD_CLAIMS_PRESET`: where scopes and roles are read from. */
  readonly claims?: ClaimsPresetName;
}

/** Configured mode: tokens come from a real authorization server. */
export interface IssuerConfig extends BaseConfig {
  readonly mode: 'issuer';
  readonly settings: IssuerSettings;
}

/** The validated configuration. */
export type AppConfig = DevConfig | IssuerConfig;

/** The configuration is invalid; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The variable that allows dev mode on a non-loopback `HOST`. */
export const DEV_ALLOW_REMOTE = 'TOKENWARD_DEV_ALLOW_REMOTE';

const ENCRYPTION_MODES: readonly EncryptionMode[] = ['required', 'optional', 'forbidden'];
const ISSUER_ONLY = [
  'TOKENWARD_AUDIENCE',
  'TOKENWARD_JWKS_URI',
  'TOKENWARD_DECRYPTION_KEYS',
  'TOKENWARD_ENCRYPTION',
  'TOKENWARD_CLAIMS_PRESET',
] as const;

/** `NODE_ENV` names production however it is spelt (`Production`, ` production `). */
function isProduction(env: Env): boolean {
  return value(env, 'NODE_ENV')?.toLowerCase() === 'production';
}

/** Dev mode's checks: never in production, loopback only unless explicitly allowed. */
function loadDevConfig(env: Env, host: string, port: number, problems: string[]): DevConfig {
  if (isProduction(env)) {
    problems.push(
      'TOKENWARD_ISSUER: required when NODE_ENV=production; dev mode (an embedded issuer with throw-away keys) is refused in production',
    );
  }
  for (const name of ISSUER_ONLY) {
    if (value(env, name) !== undefined) {
      problems.push(`${name}: set without TOKENWARD_ISSUER; set both, or neither for dev mode`);
    }
  }
  const allow = value(env, DEV_ALLOW_REMOTE);
  if (allow !== undefined && allow !== '1') {
    problems.push(`${DEV_ALLOW_REMOTE}: expected 1 (or unset), got ${quote(allow)}`);
  }
  if (allow !== '1' && isListenHost(host) && !isLoopbackHost(host)) {
    problems.push(
      `HOST: dev mode mints tokens for anyone, so it listens on a loopback host only (127.0.0.1, ::1, localhost), got ${quote(host)}; set ${DEV_ALLOW_REMOTE}=1 to override`,
    );
  }
  const audit = loadAuditSettings(env, 'dev', problems);
  const dpop = loadDPoPSettings(env, problems);
  const redisUrl = loadRedisUrl(env, problems);
  const traffic = loadTrafficSettings(env, problems);
  const tenants = loadTenants(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    mode: 'dev',
    ...(redisUrl !== undefined && { redisUrl }),
    host,
    port,
    ...(audit !== undefined && { audit }),
    ...(dpop !== undefined && { dpop }),
    ...(traffic !== undefined && { traffic }),
    ...(allow === '1' && { allowRemote: true as const }),
    ...(tenants !== undefined && { tenants }),
  };
}

type Env = Readonly<Record<string, string | undefined>>;

const AUDIT_KEY_FILES = [
  'AUDIT_CHAIN_KEY_FILE',
  'AUDIT_SIGNING_KEY_FILE',
  'AUDIT_PSEUDONYM_KEY_FILE',
] as const;

/**
 * The audit settings: on by default in dev mode (`AUDIT=off` turns it off), on in configured mode
 * when `AUDIT_DIR` is set, which then needs the three key files (fail closed: no trail with
 * made-up keys in production).
 */
function loadAuditSettings(
  env: Env,
  mode: 'dev' | 'issuer',
  problems: string[],
): AuditSettings | undefined {
  const switchValue = value(env, 'AUDIT');
  if (switchValue !== undefined && switchValue !== 'off' && switchValue !== 'on') {
    problems.push(`AUDIT: expected on or off, got ${quote(switchValue)}`);
  }
  const directory = value(env, 'AUDIT_DIR');
  if (switchValue === 'off') return undefined;
  if (mode === 'issuer' && directory === undefined) {
    if (switchValue === 'on') problems.push('AUDIT: "on" needs AUDIT_DIR (where the trail goes)');
    return undefined;
  }
  const files = AUDIT_KEY_FILES.map((name) => value(env, name));
  const given = files.filter((f) => f !== undefined).length;
  if (given > 0 || mode === 'issuer') {
    AUDIT_KEY_FILES.forEach((name, i) => {
      const path = files[i];
      if (path === undefined)
        problems.push(
          `${name}: required with ${mode === 'issuer' ? 'AUDIT_DIR' : 'the other AUDIT_*_FILE variables'}`,
        );
      else if (!readable(path)) problems.push(`${name}: cannot read ${quote(path)}`);
    });
  }
  return {
    directory: directory ?? '.audit',
    generateKeys: given === 0 && mode === 'dev',
    ...(files[0] !== undefined && { chainKeyFile: files[0] }),
    ...(files[1] !== undefined && { signingKeyFile: files[1] }),
    ...(files[2] !== undefined && { pseudonymKeyFile: files[2] }),
  };
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function readDecryptionKeys(path: string, problems: string[]): IssuerSettings['decryptionKeys'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    problems.push(
      `TOKENWARD_DECRYPTION_KEYS: cannot read a JSON file at ${quote(path)} (${reason})`,
    );
    return undefined;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => typeof k === 'object' && k !== null && 'd' in k)
  ) {
    problems.push(
      `TOKENWARD_DECRYPTION_KEYS: ${quote(path)} must hold a private JWK Set ({ "keys": [ … ] }, each key with its private part)`,
    );
    return undefined;
  }
  return { keys: keys as Record<string, unknown>[] };
}

/**
 * Reads and validates the configuration.
 *
 * @param env The environment (`process.env`).
 * @throws ConfigError listing every problem.
 * @example `const config = loadConfig(process.env)`
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];

  const host = value(env, 'HOST') ?? '127.0.0.1';
  if (!isListenHost(host)) {
    problems.push(`HOST: expected an IP address or a host name, got ${quote(host)}`);
  }
  const portText = value(env, 'PORT') ?? '3000';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    problems.push(`PORT: expected an integer from 0 to 65535, got ${quote(portText)}`);
  }

  const issuer = value(env, 'TOKENWARD_ISSUER');
  if (issuer === undefined) return loadDevConfig(env, host, port, problems);
  if (value(env, DEV_ALLOW_REMOTE) !== undefined) {
    problems.push(`${DEV_ALLOW_REMOTE}: applies to dev mode only; unset it with TOKENWARD_ISSUER`);
  }
  if (value(env, TENANTS_VARIABLE) !== undefined) {
    problems.push(`${TENANTS_VARIABLE}: applies to dev mode only; unset it with TOKENWARD_ISSUER`);
  }

  const audience = value(env, 'TOKENWARD_AUDIENCE');
  if (audience === undefined) {
    problems.push('TOKENWARD_AUDIENCE: required with TOKENWARD_ISSUER (the aud of this API)');
  }
  const jwksUri = value(env, 'TOKENWARD_JWKS_URI');
  const jwksProblem = jwksUri === undefined ? undefined : fetchURLProblem(jwksUri, 'jwks');
  if (jwksProblem !== undefined) problems.push(`TOKENWARD_JWKS_URI: ${jwksProblem}`);
  const issuerProblem = jwksUri === undefined ? fetchURLProblem(issuer, 'issuer') : undefined;
  if (issuerProblem !== undefined) {
    problems.push(
      `TOKENWARD_ISSUER: without TOKENWARD_JWKS_URI the keys are discovered from the issuer, which then must be an https URL (http only on a loopback host): it ${issuerProblem}`,
    );
  }
  const encryption = value(env, 'TOKENWARD_ENCRYPTION');
  if (encryption !== undefined && !ENCRYPTION_MODES.includes(encryption as EncryptionMode)) {
    problems.push(
      `TOKENWARD_ENCRYPTION: expected one of ${ENCRYPTION_MODES.join(', ')}, got ${quote(encryption)}`,
    );
  }
  const preset = value(env, 'TOKENWARD_CLAIMS_PRESET');
  if (preset !== undefined && !PRESET_NAMES.includes(preset as ClaimsPresetName)) {
    problems.push(
      `TOKENWARD_CLAIMS_PRESET: expected one of ${PRESET_NAMES.join(', ')}, got ${quote(preset)}`,
    );
  }
  const keysPath = value(env, 'TOKENWARD_DECRYPTION_KEYS');
  const decryptionKeys =
    keysPath === undefined ? undefined : readDecryptionKeys(keysPath, problems);
  if (encryption === 'required' && keysPath === undefined) {
    problems.push('TOKENWARD_ENCRYPTION: "required" needs TOKENWARD_DECRYPTION_KEYS');
  }
  const audit = loadAuditSettings(env, 'issuer', problems);
  const dpop = loadDPoPSettings(env, problems);
  const redisUrl = loadRedisUrl(env, problems);
  const traffic = loadTrafficSettings(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    mode: 'issuer',
    ...(redisUrl !== undefined && { redisUrl }),
    host,
    port,
    ...(audit !== undefined && { audit }),
    ...(dpop !== undefined && { dpop }),
    ...(traffic !== undefined && { traffic }),
    settings: {
      issuer,
      audience: audience as string,
      ...(jwksUri !== undefined && { jwksUri }),
      ...(decryptionKeys !== undefined && { decryptionKeys }),
      ...(encryption !== undefined && { encryption: encryption as EncryptionMode }),
      ...(preset !== undefined && { claims: preset as ClaimsPresetName }),
    },
  };
}

/** `TOKENWARD_REDIS_URL`, when set: a redis:// or rediss:// URL. */
function loadRedisUrl(env: Env, problems: string[]): string | undefined {
  const url = value(env, 'TOKENWARD_REDIS_URL');
  if (url !== undefined && !/^rediss?:\/\/\S+$/.test(url)) {
    problems.push(`TOKENWARD_REDIS_URL: expected a redis:// or rediss:// URL, got ${quote(url)}`);
  }
  return url;
}
