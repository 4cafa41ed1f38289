/**
 * What the interop tests share: the built sample app as a child process (started, awaited until
 * it prints its URL, stopped within a bound), oidc-provider created without its development-store
 * warning, and node:crypto readers of the tokens it issues (independent of jose and tokenward).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  constants,
  createDecipheriv,
  generateKeyPairSync,
  privateDecrypt,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Provider from 'oidc-provider';

/** The repository root. */
export const ROOT = resolve(__dirname, '../..');
/** The built sample app. */
export const APP_MAIN = join(ROOT, 'apps/resource-server/dist/main.js');

// Every wait is bounded so a hung child or server fails the suite instead of stalling it.
/** Bound of one HTTP exchange. */
export const HTTP_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 15_000;
/** Bound of a child's graceful stop, after which it is killed. */
export const STOP_TIMEOUT_MS = 5_000;

/**
 * oidc-provider's request listener for `issuer` and `configuration`. It warns that its default
 * in-memory store is for development only; that store is what the tests want, so only that one
 * warning is kept out of the test output.
 */
export function providerListener(issuer: string, configuration: Record<string, unknown>) {
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes('in-memory adapter')) process.stderr.write(`${args.join(' ')}\n`);
  });
  try {
    return new Provider(issuer, configuration).callback();
  } finally {
    warn.mockRestore();
  }
}

export const fromBase64url = (segment: string | undefined) =>
  Buffer.from(segment ?? '', 'base64url');

/** The decoded protected header of a compact JWS or JWE (nothing verified). */
export const protectedHeader = (token: string): unknown =>
  JSON.parse(fromBase64url(token.split('.')[0]).toString('utf8'));

/**
 * Decrypts a compact RSA-OAEP-256 + A256GCM JWE with node:crypto alone (RFC 7516 §5.2,
 * RFC 7518 §4.3 and §5.3), independently of jose and of tokenward, to look inside the token.
 */
export function decryptRSAOAEP256A256GCM(jwe: string, key: KeyObject): string {
  const [header = '', encryptedKey, iv, ciphertext, tag] = jwe.split('.');
  const cek = privateDecrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    fromBase64url(encryptedKey),
  );
  const decipher = createDecipheriv('aes-256-gcm', cek, fromBase64url(iv));
  // The additional authenticated data is the ASCII of the encoded protected header.
  decipher.setAAD(Buffer.from(header, 'ascii'));
  decipher.setAuthTag(fromBase64url(tag));
  return Buffer.concat([decipher.update(fromBase64url(ciphertext)), decipher.final()]).toString(
    'utf8',
  );
}

export interface RunningApp {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Runs the built sample app with `env`; resolves with its URL once it prints its banner. */
export function startApp(env: Record<string, string>): Promise<RunningApp> {
  const child = spawn(process.execPath, [APP_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the app did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      done({ child, url: match[1] as string, output: () => output });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the app exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** Stops a child process: SIGTERM (Nest's shutdown hooks), then SIGKILL after a bound. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * What `pnpm start` does before running node: an incremental build of the app and the packages
 * it references. A no-op (~0.5 s) when dist is current, as in CI after `pnpm build`; it also
 * keeps a stale dist from hiding a change to the sources.
 */
export function buildApp(): void {
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
      { cwd: ROOT, stdio: 'pipe', timeout: 90_000 },
    );
  } catch (error) {
    // tsc reports compile errors on stdout, which the thrown error's message leaves out.
    const { stdout } = error as { stdout?: Buffer };
    throw new Error(`tsc -b apps/resource-server failed:\n${stdout?.toString() ?? String(error)}`);
  }
}

/** The resource server's encryption key pair, its private JWK Set written for the app. */
export interface AppEncryptionKeys {
  /** The public half, registered at the authorization server. */
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** The temporary directory holding the file (remove it after the tests). */
  readonly tmp: string;
  /** The private JWK Set file, for `TOKENWARD_DECRYPTION_KEYS`. */
  readonly keysFile: string;
}

/**
 * Makes the resource server's RSA-OAEP-256 key pair (`kid` given) and writes its private JWK Set
 * to a file (mode 0600) in a new temporary directory named after `prefix`.
 */
export function appEncryptionKeys(kid: string, prefix: string): AppEncryptionKeys {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateJWK: JsonWebKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid,
    alg: 'RSA-OAEP-256',
    use: 'enc',
  };
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const keysFile = join(tmp, 'decryption-keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [privateJWK] }), { mode: 0o600 });
  return { publicKey, privateKey, tmp, keysFile };
}
