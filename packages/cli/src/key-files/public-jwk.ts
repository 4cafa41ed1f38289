/** Public JWKs of keys read from files: only public members, ever. */
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { UsageError } from '../io';
import type { FileKey } from './read-keys';

/** A public JWK as the CLI prints it. */
export type PublicJwk = Record<string, string>;

// RFC 7517 §4 describing members copied from the file; key material is never copied: the
// public members come from node:crypto's export of the public key alone.
const DESCRIBING_MEMBERS = ['use', 'alg'] as const;

/**
 * The public JWK of a key, with `kid` (the file's, else the RFC 7638 thumbprint), `use` and
 * `alg` when the file gives them.
 *
 * @throws UsageError for a symmetric key, which has no public part.
 * @example `const jwk = await publicJwkOf(readSingleKey('sig.json', '--key'))`
 */
export async function publicJwkOf(fileKey: FileKey, where = 'key'): Promise<PublicJwk> {
  if (fileKey.key.type === 'secret') {
    throw new UsageError(`${where}: a symmetric key has no public part to publish`);
  }
  const material = createPublicKey(fileKey.key).export({ format: 'jwk' }) as PublicJwk;
  const kid = fileKey.kid ?? (await calculateJwkThumbprint(material));
  const jwk: PublicJwk = { ...material, kid };
  for (const member of DESCRIBING_MEMBERS) {
    const value = fileKey[member];
    if (value !== undefined) jwk[member] = value;
  }
  return jwk;
}

/**
 * The RFC 7638 SHA-256 thumbprint of a key's public part (the `cnf.jkt` of a DPoP key).
 *
 * @example `const jkt = await thumbprintOf(readSingleKey('dpop-key.json', '--dpop-key'))`
 */
export async function thumbprintOf(fileKey: FileKey, where = 'key'): Promise<string> {
  if (fileKey.key.type === 'secret')
    throw new UsageError(`${where}: a symmetric key has no thumbprint`);
  return calculateJwkThumbprint(
    createPublicKey(fileKey.key).export({ format: 'jwk' }) as PublicJwk,
  );
}
