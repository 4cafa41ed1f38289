/**
 * The sample app's configuration: the one place that reads environment variables. Everything is
 * validated at start-up; every problem is reported at once, each naming its variable.
 */
import { readFileSync } from 'node:fs';
import { PRESET_NAMES, type ClaimsPresetName, type EncryptionMode } from '@tokenward/core';

/** Settings shared by both modes. */
interface BaseConfig {
  /** Interface to listen on. `HOST`, default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** Port to listen on. `PORT`, default 3000; 0 picks a free port. */
  readonly port: number;
}

/** Dev mode: no issuer configured; an embedded dev issuer mints tokens (never in production). */
export interface DevConfig extends BaseConfig {
  readonly mode: 'dev';
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

const ENCRYPTION_MODES: readonly EncryptionMode[] = ['required', 'optional', 'forbidden'];
const ISSUER_ONLY = [
  'TOKENWARD_AUDIENCE',
  'TOKENWARD_JWKS_URI',
  'TOKENWARD_DECRYPTION_KEYS',
  'TOKENWARD_ENCRYPTION',
  'TOKENWARD_CLAIMS_PRESET',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function readDecryptionKeys(path: string, problems: string[]): IssuerSettings['decryptionKeys'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    problems.push(`TOKENWARD_DECRYPTION_KEYS: cannot read a JSON file at ${path} (${reason})`);
    return undefined;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => typeof k === 'object' && k !== null && 'd' in k)
  ) {
    problems.push(
      `TOKENWARD_DECRYPTION_KEYS: ${path} must hold a private JWK Set ({ "keys": [ … ] }, each key with its private part)`,
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
  const portText = value(env, 'PORT') ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    problems.push(`PORT: expected an integer from 0 to 65535, got "${portText}"`);
  }

  const issuer = value(env, 'TOKENWARD_ISSUER');
  if (issuer === undefined) {
    if (env.NODE_ENV === 'production') {
      problems.push(
        'TOKENWARD_ISSUER: required when NODE_ENV=production; dev mode (an embedded issuer with throw-away keys) is refused in production',
      );
    }
    for (const name of ISSUER_ONLY) {
      if (value(env, name) !== undefined) {
        problems.push(`${name}: set without TOKENWARD_ISSUER; set both, or neither for dev mode`);
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return { mode: 'dev', host, port };
  }

  const audience = value(env, 'TOKENWARD_AUDIENCE');
  if (audience === undefined) {
    problems.push('TOKENWARD_AUDIENCE: required with TOKENWARD_ISSUER (the aud of this API)');
  }
  const jwksUri = value(env, 'TOKENWARD_JWKS_URI');
  if (jwksUri !== undefined && !isHttpUrl(jwksUri)) {
    problems.push(`TOKENWARD_JWKS_URI: expected an http(s) URL, got "${jwksUri}"`);
  }
  if (jwksUri === undefined && !isHttpUrl(issuer)) {
    problems.push(
      'TOKENWARD_ISSUER: without TOKENWARD_JWKS_URI the keys are discovered from the issuer, which must then be an https URL (http only on a loopback host)',
    );
  }
  const encryption = value(env, 'TOKENWARD_ENCRYPTION');
  if (encryption !== undefined && !ENCRYPTION_MODES.includes(encryption as EncryptionMode)) {
    problems.push(
      `TOKENWARD_ENCRYPTION: expected one of ${ENCRYPTION_MODES.join(', ')}, got "${encryption}"`,
    );
  }
  const preset = value(env, 'TOKENWARD_CLAIMS_PRESET');
  if (preset !== undefined && !PRESET_NAMES.includes(preset as ClaimsPresetName)) {
    problems.push(
      `TOKENWARD_CLAIMS_PRESET: expected one of ${PRESET_NAMES.join(', ')}, got "${preset}"`,
    );
  }
  const keysPath = value(env, 'TOKENWARD_DECRYPTION_KEYS');
  const decryptionKeys =
    keysPath === undefined ? undefined : readDecryptionKeys(keysPath, problems);
  if (encryption === 'required' && keysPath === undefined) {
    problems.push('TOKENWARD_ENCRYPTION: "required" needs TOKENWARD_DECRYPTION_KEYS');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    mode: 'issuer',
    host,
    port,
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
