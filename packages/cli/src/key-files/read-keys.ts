/**
 * Key files named on the command line: a JWK, a JWK Set, a `tokenward dpop key` file, or PEM
 * (PKCS#8, SPKI, or the older RSA/EC forms). A file's contents never appear in a message: it
 * may hold a private key.
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../io';

/** One key read from a file, with the JWK members that describe it (never its material). */
export interface FileKey {
  /** The key: private, public or secret. */
  readonly key: KeyObject;
  /** The JWK `kid`, when the file gives one. */
  readonly kid?: string;
  /** The JWK `alg`, when the file gives one. */
  readonly alg?: string;
  /** The JWK `use`, when the file gives one. */
  readonly use?: string;
}

/** Largest key file read: a JWK Set of many 8192-bit RSA keys stays far below it. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/**
 * The text of a key file.
 *
 * @throws UsageError naming the option for a missing, unreadable or over-large file.
 */
export function readKeyText(path: string, option: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(
      `${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw new UsageError(`${option}: ${path} is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  }
  return bytes.toString('utf8');
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** A key from one JWK object, private, public or symmetric. */
function fromJwk(jwk: Record<string, unknown>): FileKey {
  let key: KeyObject;
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new TypeError('oct JWK without k');
    key = createSecretKey(Buffer.from(jwk.k, 'base64url'));
  } else if (jwk.d !== undefined) {
    key = createPrivateKey({ key: jwk, format: 'jwk' } as never);
  } else {
    key = createPublicKey({ key: jwk, format: 'jwk' } as never);
  }
  const kid = text(jwk.kid);
  const alg = text(jwk.alg);
  const use = text(jwk.use);
  return { key, ...(kid && { kid }), ...(alg && { alg }), ...(use && { use }) };
}

/** Every key in PEM text: one private or public key (or certificate). */
function fromPem(pem: string): FileKey {
  return {
    key: /PRIVATE KEY-----/.test(pem) ? createPrivateKey(pem) : createPublicKey(pem),
  };
}

/**
 * Every key of a key file: the members of a JWK Set, a single JWK, the key of a
 * `tokenward dpop key` file (`{ alg, jwk }`), or a PEM key.
 *
 * @param option The option or argument that named the file, for messages.
 * @throws UsageError for an unreadable file or one that holds no key tokenward can use.
 * @example `const keys = readKeyFile('enc-key.json', '--key')`
 */
export function readKeyFile(path: string, option: string): FileKey[] {
  const content = readKeyText(path, option);
  const refuse = () =>
    new UsageError(`${option}: ${path} holds no key (expected a JWK, a JWK Set or PEM)`);
  try {
    if (content.trimStart().startsWith('-----BEGIN')) return [fromPem(content)];
    // The parser's message quotes the file: never echo a file that may hold a secret.
    const parsed = JSON.parse(content) as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null) throw refuse();
    if (Array.isArray(parsed.keys)) {
      const keys = (parsed.keys as unknown[]).map((member) => {
        if (typeof member !== 'object' || member === null) throw refuse();
        return fromJwk(member as Record<string, unknown>);
      });
      if (keys.length === 0) throw new UsageError(`${option}: ${path} is an empty JWK Set`);
      return keys;
    }
    if (typeof parsed.jwk === 'object' && parsed.jwk !== null && typeof parsed.alg === 'string') {
      return [{ ...fromJwk(parsed.jwk as Record<string, unknown>), alg: parsed.alg }];
    }
    return [fromJwk(parsed)];
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw refuse();
  }
}

/**
 * The one key of a file that must hold exactly one (a JWK Set of one is fine).
 *
 * @throws UsageError when the file holds several keys and `kid` names none of them.
 */
export function readSingleKey(path: string, option: string, kid?: string): FileKey {
  const keys = readKeyFile(path, option);
  if (kid !== undefined) {
    const named = keys.find((k) => k.kid === kid);
    if (named === undefined) throw new UsageError(`${option}: ${path} has no key with kid ${kid}`);
    return named;
  }
  if (keys.length !== 1) {
    throw new UsageError(`${option}: ${path} holds ${keys.length} keys: name one with its kid`);
  }
  return keys[0] as FileKey;
}
