/**
 * DPoP (RFC 9449) for tests: a client key pair with its RFC 7638 thumbprint (the `cnf.jkt` a
 * bound token carries), and proofs for a request, signed with jose. For testing APIs that take
 * DPoP-bound tokens; the keys live in memory only.
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT } from 'jose';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };

/** JWS algorithms a test DPoP key can have. */
export type DPoPTestAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'PS256' | 'RS256';

/** A client's DPoP key. */
export interface DPoPTestKey {
  readonly alg: DPoPTestAlgorithm;
  readonly privateKey: KeyObject;
  /** The public JWK a proof carries in its header. */
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: the token's `cnf.jkt`. */
  readonly jkt: string;
}

/** What a proof is for, and what it may get wrong on purpose. */
export interface DPoPProofOptions {
  /** The request method (`htm`). */
  method: string;
  /** The request URL (`htu`); query and fragment are dropped, as RFC 9449 §4.2 says. */
  url: string;
  /** The access token sent with the proof: its SHA-256 becomes `ath`. */
  accessToken?: string;
  /** A server nonce (`nonce`). */
  nonce?: string;
  /** `iat`, seconds since the epoch. Default now. */
  iat?: number;
  /** `jti`. Default a random UUID. */
  jti?: string;
  /** Header `typ`. Default `dpop+jwt`. */
  typ?: string;
}

/** A fresh key pair for `alg` (RSA 2048, the named curve, or Ed25519). */
function keyPair(alg: DPoPTestAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'PS256':
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    default:
      throw new TypeError(`createDPoPKey: unsupported algorithm ${String(alg)}`);
  }
}

/**
 * Generates a DPoP key pair.
 *
 * @param alg The proof algorithm. Default `ES256`.
 * @example
 * ```ts
 * const key = await createDPoPKey()
 * const token = await issuer.issueSigned({ cnf: { jkt: key.jkt } })
 * ```
 */
export async function createDPoPKey(alg: DPoPTestAlgorithm = 'ES256'): Promise<DPoPTestKey> {
  const { privateKey, publicKey } = keyPair(alg);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  return Object.freeze({
    alg,
    privateKey,
    publicJwk,
    jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
  });
}

/**
 * Signs a DPoP proof (RFC 9449 §4.2) for one request.
 *
 * @example
 * ```ts
 * const proof = await createDPoPProof(key, { method: 'GET', url: 'https://api.example/messages', accessToken: token })
 * await request(app).get('/messages').set('Authorization', `DPoP ${token}`).set('DPoP', proof)
 * ```
 */
export async function createDPoPProof(
  key: DPoPTestKey,
  options: DPoPProofOptions,
): Promise<string> {
  const url = new URL(options.url);
  const htu = `${url.protocol}//${url.host}${url.pathname}`;
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.method,
    htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.accessToken !== undefined) {
    claims.ath = createHash('sha256').update(options.accessToken, 'ascii').digest('base64url');
  }
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ typ: options.typ ?? 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

/**
 * The two headers of a DPoP-bound request (a type alias, so it fits header records such as
 * supertest's `.set()`).
 */
export type DPoPRequestHeaders = {
  /** `DPoP <token>`. */
  readonly authorization: string;
  /** A fresh proof for the method and URL. */
  readonly dpop: string;
};

/**
 * The headers of a DPoP-bound request in one call: `Authorization: DPoP <token>` and a fresh
 * proof by `key` for the method and URL (with the server's nonce, when given).
 *
 * @param key The key the token is bound to (`cnf.jkt` = `key.jkt`).
 * @param accessToken The token exactly as sent.
 * @param options The method and absolute URL of the request, and its nonce.
 * @example
 * ```ts
 * const token = await issuer.issueSigned({ scope: 'read', cnf: { jkt: key.jkt } })
 * await request(app).get('/messages').set(await dpopHeaders(key, token, { method: 'GET', url: 'http://api.test/messages' }))
 * ```
 */
export async function dpopHeaders(
  key: DPoPTestKey,
  accessToken: string,
  options: Omit<DPoPProofOptions, 'accessToken'>,
): Promise<DPoPRequestHeaders> {
  return {
    authorization: `DPoP ${accessToken}`,
    dpop: await createDPoPProof(key, { ...options, accessToken }),
  };
}
