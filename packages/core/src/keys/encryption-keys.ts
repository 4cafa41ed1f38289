/**
 * The public JWK Set an issuer encrypts access tokens to: the public part of each published
 * decryption key (`active` ones; see {@link DecryptionKeyState}), built once when the verifier is
 * built and kept under a module-private symbol, as verifier/sync-path.ts keeps the adapters'
 * paths. A standalone function rather than a `Verifier` member, so verifiers written by hand
 * (the interface is public) keep compiling.
 */
import { createPublicKey } from 'node:crypto';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { jwkThumbprint } from '../binding/dpop/thumbprint';
import { keyFitsKeyManagement } from '../lib/algorithms';
import type { Verifier } from '../verifier/types';
import type { DecryptionKey, DecryptionKeyState } from './decryption-keys';
import type { JSONWebKeySet } from './key-input';

/**
 * The `alg` a published key gets when its input names none: the first of these the verifier's
 * `keyManagementAlgorithms` allows. RSA: RSA-OAEP-256 first (RSA-OAEP's SHA-1 last). EC and
 * X25519: ECDH-ES+A256KW first, the default of `createIssuer`, then ECDH-ES and the shorter wraps.
 */
export const DEFAULT_ENCRYPTION_ALGORITHMS: Readonly<
  Record<'RSA' | 'EC' | 'OKP', readonly string[]>
> = Object.freeze({
  RSA: Object.freeze(['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512', 'RSA-OAEP']),
  EC: Object.freeze(['ECDH-ES+A256KW', 'ECDH-ES', 'ECDH-ES+A192KW', 'ECDH-ES+A128KW']),
  OKP: Object.freeze(['ECDH-ES+A256KW', 'ECDH-ES', 'ECDH-ES+A192KW', 'ECDH-ES+A128KW']),
});

/** The states whose keys are published. `next` waits, so every instance accepts it first. */
const PUBLISHED: ReadonlySet<DecryptionKeyState> = new Set(['active']);

/**
 * The published JWKs of a verifier's decryption keys: each `active` RSA, EC or X25519 key whose
 * `alg` (its own, or the default of {@link DEFAULT_ENCRYPTION_ALGORITHMS}) fits the key and is in
 * `allowed`, with `use: "enc"`, `alg` and `kid` (the configured one, else the thumbprint) and
 * only the public members. Symmetric keys are never published: a shared secret is not public.
 */
export function publicEncryptionKeys(
  keys: readonly DecryptionKey[],
  allowed: ReadonlySet<string>,
): JWK[] {
  const published: JWK[] = [];
  for (const key of keys) {
    if (key.key.type !== 'private' || !PUBLISHED.has(key.state ?? 'active')) continue;
    // export() writes only the public members (n, e; crv, x, y): no private part can leak.
    const material = createPublicKey(key.key).export({ format: 'jwk' }) as JWK;
    const defaults = DEFAULT_ENCRYPTION_ALGORITHMS[material.kty as 'RSA' | 'EC' | 'OKP'];
    if (defaults === undefined || (material.kty === 'EC' && !isJoseCurve(material.crv))) continue;
    if (material.kty === 'OKP' && material.crv !== 'X25519') continue;
    const alg =
      key.alg !== undefined
        ? allowed.has(key.alg) && keyFitsKeyManagement(key.key, key.alg)
          ? key.alg
          : undefined
        : defaults.find((candidate) => allowed.has(candidate));
    // A key no allowed algorithm can use would only draw tokens that are refused.
    if (alg === undefined) continue;
    published.push(
      Object.freeze({
        kid: key.kid ?? (jwkThumbprint(material) as string),
        use: 'enc',
        alg,
        ...material,
      }),
    );
  }
  return published;
}

/** The curves tokenward decrypts ECDH-ES with (a secp256k1 key, say, is never published). */
function isJoseCurve(crv: string | undefined): boolean {
  return crv === 'P-256' || crv === 'P-384' || crv === 'P-521';
}

const ENCRYPTION_KEYS = Symbol('tokenward.encryptionKeys');

type WithEncryptionKeys = Verifier & { readonly [ENCRYPTION_KEYS]?: readonly JWK[] };

/**
 * Records the published encryption keys of a verifier `createVerifier` built.
 *
 * @internal
 */
export function registerEncryptionKeys(
  verifier: Verifier,
  keys: readonly DecryptionKey[],
  allowed: ReadonlySet<string>,
): void {
  const published = Object.freeze(publicEncryptionKeys(keys, allowed));
  // Enumerable, so a verifier copied with spread keeps it (as it keeps the adapters' paths).
  Object.defineProperty(verifier, ENCRYPTION_KEYS, { value: published, enumerable: true });
}

/**
 * The public JWK Set an issuer encrypts this resource server's access tokens to (RFC 7517 §5):
 * the public part of each `active` RSA, EC (P-256/384/521) or X25519 decryption key, in
 * configuration order, with `use: "enc"`, its `alg` and its `kid`.
 *
 * - `alg`: the key input's own `alg` when given; otherwise RSA-OAEP-256 for RSA and
 *   ECDH-ES+A256KW for EC and X25519, or the next of {@link DEFAULT_ENCRYPTION_ALGORITHMS} the verifier's
 *   `keyManagementAlgorithms` allows. A key no allowed algorithm fits is left out.
 * - `kid`: the configured one, else the key's RFC 7638 thumbprint; an issuer names it in the JWE
 *   header, which selects the key without trying others.
 * - Never a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`), and never a symmetric key: a
 *   shared secret is agreed out of band, not published.
 * - `next` keys are not published (every instance accepts them first); `retiring` keys are not
 *   published (issuers move off them while they are still accepted).
 *
 * An empty set for a verifier without asymmetric decryption keys. `undefined` for a verifier
 * `createVerifier` did not build: a hand-written one, or a tenant verifier's front, whose
 * tenants each have their own keys. The set is fixed when the verifier is built; a fresh copy
 * is returned on each call.
 *
 * @param verifier A verifier from `createVerifier`.
 * @example
 * ```ts
 * app.get('/jwks/enc', (_req, res) => {
 *   res.type('application/jwk-set+json').json(encryptionKeySet(verifier))
 * })
 * ```
 */
export function encryptionKeySet(verifier: Verifier): JSONWebKeySet | undefined {
  const published = (verifier as WithEncryptionKeys)[ENCRYPTION_KEYS];
  return published === undefined ? undefined : { keys: published.map((jwk) => ({ ...jwk })) };
}
