/**
 * The verifier options `tokenward explain` runs the real verifier with: from a JSON file of
 * createVerifier options (key fields inline or `{ "file": "path" }`), from an ES module's default
 * export, or from the sample resource server's environment variables.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { VerifierOptions } from '@tokenward/core';
import { UsageError } from '../io';
import { readKeyText } from '../key-files/read-keys';

/** Option members that hold keys: the ones a `{ "file": … }` reference may stand for. */
const KEY_MEMBERS = ['keys', 'secret', 'decryptionKeys'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A key value with its `{ "file": "path" }` references read: a JSON file becomes its JWK or JWK
 * Set, any other file its text (PEM, or a secret without its trailing newline). Paths are
 * relative to the config file.
 */
function resolveKeyValue(value: unknown, base: string, member: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveKeyValue(v, base, member));
  if (!isObject(value) || typeof value.file !== 'string' || Object.keys(value).length !== 1) {
    return value;
  }
  const path = isAbsolute(value.file) ? value.file : resolve(base, value.file);
  const content = readKeyText(path, `config ${member}`);
  if (member !== 'secret' && content.trimStart().startsWith('{')) {
    try {
      return JSON.parse(content) as unknown;
    } catch {
      // The parser's message quotes the file: never echo a file that may hold a secret.
      throw new UsageError(`config ${member}: ${path} is not valid JSON`);
    }
  }
  return member === 'secret' ? content.replace(/\r?\n$/, '') : content;
}

/** `options` with every key reference read, top level and in each of `issuers`. */
export function resolveKeyFiles(
  options: Record<string, unknown>,
  base: string,
): Record<string, unknown> {
  const resolved: Record<string, unknown> = { ...options };
  for (const member of KEY_MEMBERS) {
    if (member in resolved) resolved[member] = resolveKeyValue(resolved[member], base, member);
  }
  if (Array.isArray(resolved.issuers)) {
    resolved.issuers = resolved.issuers.map((entry: unknown) =>
      isObject(entry) ? resolveKeyFiles(entry, base) : entry,
    );
  }
  return resolved;
}

/**
 * The options of a config file: `.json` (createVerifier options, key members inline or as
 * `{ "file": "path" }`), or `.mjs` / `.js` / `.cjs` whose default export is the options or a
 * function returning them.
 *
 * @throws UsageError for an unreadable file, invalid JSON, or a module without options.
 * @example `const options = await loadConfigFile('verifier.json')`
 */
export async function loadConfigFile(path: string): Promise<VerifierOptions> {
  const absolute = resolve(path);
  const base = dirname(absolute);
  let options: unknown;
  if (extname(absolute) === '.json') {
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      throw new UsageError(
        `--config: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    try {
      options = JSON.parse(text) as unknown;
    } catch {
      // The parser's message quotes the file, which may hold inline keys.
      throw new UsageError(`--config: ${path} is not valid JSON`);
    }
  } else if (['.mjs', '.js', '.cjs'].includes(extname(absolute))) {
    let loaded: { default?: unknown };
    try {
      loaded = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    } catch (error) {
      throw new UsageError(`--config: cannot load ${path} (${(error as Error).message})`);
    }
    options = loaded.default;
    if (typeof options === 'function') options = await (options as () => unknown)();
  } else {
    throw new UsageError(`--config: expected a .json, .mjs, .js or .cjs file, not ${path}`);
  }
  if (!isObject(options)) {
    throw new UsageError(`--config: ${path} does not give an options object`);
  }
  return resolveKeyFiles(options, base) as VerifierOptions;
}

/** The variables of the sample resource server (apps/resource-server) that `--env` reads. */
export const ENV_VARIABLES = [
  'TOKENWARD_ISSUER',
  'TOKENWARD_AUDIENCE',
  'TOKENWARD_JWKS_URI',
  'TOKENWARD_DECRYPTION_KEYS',
  'TOKENWARD_ENCRYPTION',
  'TOKENWARD_CLAIMS_PRESET',
] as const;

/**
 * The options the sample resource server builds from its environment: `TOKENWARD_ISSUER`,
 * `TOKENWARD_AUDIENCE`, `TOKENWARD_JWKS_URI` (else discovery from the issuer),
 * `TOKENWARD_DECRYPTION_KEYS` (a private JWK Set file), `TOKENWARD_ENCRYPTION`,
 * `TOKENWARD_CLAIMS_PRESET`. The verifier itself checks the values.
 *
 * @throws UsageError without `TOKENWARD_ISSUER` and `TOKENWARD_AUDIENCE` (the app's dev mode
 *   uses throw-away keys no token outside the process can match).
 * @example `const options = loadEnvConfig(process.env)`
 */
export function loadEnvConfig(env: NodeJS.ProcessEnv): VerifierOptions {
  const value = (name: (typeof ENV_VARIABLES)[number]) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const issuer = value('TOKENWARD_ISSUER');
  const audience = value('TOKENWARD_AUDIENCE');
  if (issuer === undefined || audience === undefined) {
    throw new UsageError(
      '--env: TOKENWARD_ISSUER and TOKENWARD_AUDIENCE must be set (the dev mode without them uses throw-away keys)',
    );
  }
  const jwksUri = value('TOKENWARD_JWKS_URI');
  const keysPath = value('TOKENWARD_DECRYPTION_KEYS');
  const encryption = value('TOKENWARD_ENCRYPTION');
  const preset = value('TOKENWARD_CLAIMS_PRESET');
  const options: Record<string, unknown> = {
    issuer,
    audience,
    ...(jwksUri === undefined ? { discovery: true } : { jwksUri }),
    ...(encryption !== undefined && { encryption }),
    ...(preset !== undefined && { claims: preset }),
  };
  if (keysPath !== undefined) {
    const text = readKeyText(keysPath, 'TOKENWARD_DECRYPTION_KEYS');
    try {
      options.decryptionKeys = JSON.parse(text) as unknown;
    } catch {
      throw new UsageError(`TOKENWARD_DECRYPTION_KEYS: ${keysPath} is not valid JSON`);
    }
  }
  return options as VerifierOptions;
}
