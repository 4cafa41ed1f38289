/**
 * RFC 7638 JWK thumbprints (SHA-256), computed synchronously with node:crypto: the hash of the
 * key's required members in lexicographic order, serialised without whitespace.
 */
import { hash } from 'node:crypto';

/** The members RFC 7638 §3.2 hashes, per key type, already in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * The SHA-256 thumbprint of a public JWK, base64url-encoded (the value of `cnf.jkt`, RFC 9449
 * §6.1), or `undefined` when the key type is not EC, OKP or RSA or a required member is not a
 * non-empty string.
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 * ```
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const kty = jwk.kty;
  const members = typeof kty === 'string' ? REQUIRED_MEMBERS[kty] : undefined;
  if (members === undefined || !Object.hasOwn(REQUIRED_MEMBERS, kty as string)) return undefined;
  const canonical: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string' || value === '') return undefined;
    canonical[name] = value;
  }
  // JSON.stringify keeps insertion order and adds no whitespace: RFC 7638 §3.3's form.
  return hash('sha256', JSON.stringify(canonical), 'base64url');
}
