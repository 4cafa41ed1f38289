/**
 * What the interop tests share: the built sample app as a child process (started, awaited until
 * it prints its URL, stopped within a bound), oidc-provider created without its development-store
 * warning, and node:crypto readers of the tokens it issues (independent of jose and tokenward).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
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
