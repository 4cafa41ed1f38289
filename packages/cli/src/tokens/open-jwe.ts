/**
 * Opens a JWE with keys from a file, for `tokenward decrypt`: jose's compactDecrypt held to
 * core's algorithm lists (never RSA1_5 or PBES2), the key chosen by the header's `kid`.
 */
import { CONTENT_ENCRYPTION_ALGORITHMS, KEY_MANAGEMENT_ALGORITHMS } from '@tokenward/core';
import { compactDecrypt } from 'jose';
import type { FileKey } from '../key-files/read-keys';
import { TokenShapeError } from './inspect-token';

/** The plaintext of a JWE and the key that opened it. */
export interface OpenedJWE {
  readonly plaintext: string;
  /** The `kid` of the key that opened it: the file's, when it names one. */
  readonly kid: string | undefined;
}

/** The JWE could not be opened with the keys given: a wrong key, or a tampered token. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/**
 * Decrypts `token` (a compact JWE whose header is `header`) with the fitting key of `keys`.
 *
 * @throws TokenShapeError for an algorithm tokenward does not accept; DecryptionError when no key
 *   opens the token.
 * @example `const { plaintext } = await openJWE(token, header, readKeyFile('enc.json', '--key'))`
 */
export async function openJWE(
  token: string,
  header: Record<string, unknown>,
  keys: readonly FileKey[],
): Promise<OpenedJWE> {
  const { alg, enc, kid } = header;
  if (typeof alg !== 'string' || !(KEY_MANAGEMENT_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TokenShapeError(`the JWE alg ${JSON.stringify(alg)} is not one tokenward accepts`);
  }
  if (
    typeof enc !== 'string' ||
    !(CONTENT_ENCRYPTION_ALGORITHMS as readonly string[]).includes(enc)
  ) {
    throw new TokenShapeError(`the JWE enc ${JSON.stringify(enc)} is not one tokenward accepts`);
  }
  const usable = keys.filter((k) => k.key.type !== 'public');
  if (usable.length === 0) throw new DecryptionError('the key file holds no private or secret key');
  const named = typeof kid === 'string' ? usable.filter((k) => k.kid === kid) : [];
  if (typeof kid === 'string' && named.length === 0 && usable.every((k) => k.kid !== undefined)) {
    throw new DecryptionError(`no key in the file has the token's kid ${JSON.stringify(kid)}`);
  }
  const candidates = named.length > 0 ? named : usable;
  for (const candidate of candidates) {
    try {
      const { plaintext } = await compactDecrypt(token, candidate.key, {
        keyManagementAlgorithms: [alg],
        contentEncryptionAlgorithms: [enc],
      });
      return { plaintext: new TextDecoder().decode(plaintext), kid: candidate.kid };
    } catch {
      // jose's reasons (a key of another type, a failed unwrap or tag) all mean "not this key".
    }
  }
  throw new DecryptionError(
    `${candidates.length === 1 ? 'the key does' : `none of the ${candidates.length} keys do`} not open this token (alg ${alg}, enc ${enc}${typeof kid === 'string' ? `, kid ${kid}` : ''}): a wrong key, or a tampered token`,
  );
}
