/**
 * Shared key and token-minting helper for the verifier, JWS, JWE, issuer, options and
 * security-default tests.
 *
 * Keys are generated with jose once per test file (per key name) and handed out as node:crypto
 * KeyObjects plus JWKs. Tokens are minted with jose's `CompactSign` / `CompactEncrypt` directly,
 * not with tokenward's `createIssuer`, so a test can put anything in a header; the `raw*`
 * functions go one step further and build compact tokens by hand from header *text* (duplicate
 * members, `crit`, RSA1_5, …), which jose refuses to produce.
 */
import {
  constants,
  createCipheriv,
  createHmac,
  KeyObject,
  publicEncrypt,
  randomBytes,
  sign as cryptoSign,
} from 'node:crypto';
import {
  calculateJwkThumbprint,
  CompactEncrypt,
  CompactSign,
  exportJWK,
  generateKeyPair,
  type CompactJWEHeaderParameters,
  type JWK,
} from 'jose';
import {
  createIssuer,
  createVerifier,
  TokenwardError,
  type Issuer,
  type IssuerOptions,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';

/** The frozen clock every test verifies against: 2025-01-15T12:00:00Z. */
export const NOW = new Date('2025-01-15T12:00:00Z');
/** {@link NOW} as a NumericDate. */
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const ISSUER = 'https://issuer.example.com/';
export const AUDIENCE = 'https://api.example.com';

/** The kinds of asymmetric key a test can ask for. */
export type KeyKind = 'rsa' | 'p256' | 'p384' | 'p521' | 'ed25519' | 'x25519';

/** An asymmetric key pair as KeyObjects and JWKs, with a `kid` (its RFC 7638 thumbprint). */
export interface TestKeyPair {
  readonly kind: KeyKind;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK with `kid`, no `alg` or `use`. */
  readonly publicJwk: JWK;
  /** Private JWK with `kid`, no `alg` or `use`. */
  readonly privateJwk: JWK;
}

// jose names key types by an algorithm that uses them.
const GENERATE_AS: Record<KeyKind, [string, { crv?: string }]> = {
  rsa: ['RS256', {}],
  p256: ['ES256', {}],
  p384: ['ES384', {}],
  p521: ['ES512', {}],
  ed25519: ['Ed25519', {}],
  x25519: ['ECDH-ES', { crv: 'X25519' }],
};

const generated = new Map<string, Promise<TestKeyPair>>();

/**
 * A key pair of `kind`, generated once per test file for each `name` (RSA keygen is slow, so
 * tests share keys by name: `keyPair('rsa')` is the issuer's, `keyPair('rsa', 'attacker')` another).
 */
export function keyPair(kind: KeyKind, name = 'default'): Promise<TestKeyPair> {
  const id = `${kind}/${name}`;
  let pending = generated.get(id);
  if (pending === undefined) {
    pending = (async () => {
      const [alg, options] = GENERATE_AS[kind];
      const pair = await generateKeyPair(alg, { ...options, extractable: true });
      const privateKey = KeyObject.from(pair.privateKey);
      const publicKey = KeyObject.from(pair.publicKey);
      const publicJwk = await exportJWK(publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      return {
        kind,
        kid,
        privateKey,
        publicKey,
        publicJwk: { ...publicJwk, kid },
        privateJwk: { ...(await exportJWK(privateKey)), kid },
      };
    })();
    generated.set(id, pending);
  }
  return pending;
}

/** Base64url of a UTF-8 string or bytes (no padding). */
export const b64u = (input: string | Uint8Array): string =>
  Buffer.from(typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('base64url');

/**
 * Claims of a valid RFC 9068 access token at {@link NOW}, with `overrides` applied; an override
 * of `undefined` removes the claim.
 */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'user-123',
    aud: AUDIENCE,
    client_id: 'client-abc',
    iat: NOW_S - 60,
    exp: NOW_S + 3600,
    jti: 'jti-1',
    scope: 'read write',
    ...overrides,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  return merged;
}

/** A signing key: an asymmetric pair or HMAC secret bytes. */
export type SigningKey = TestKeyPair | Uint8Array;

const DEFAULT_ALG: Record<KeyKind, string> = {
  rsa: 'RS256',
  p256: 'ES256',
  p384: 'ES384',
  p521: 'ES512',
  ed25519: 'EdDSA',
  x25519: 'none',
};

/**
 * Signs a JWS with jose's CompactSign. The header defaults to `{ alg, kid, typ: 'at+jwt' }` (alg
 * by key type, kid of the pair); header members set to `undefined` are removed. `payload` is an
 * object (JSON-serialised) or raw text used verbatim.
 */
export async function signJWS(
  payload: Record<string, unknown> | string,
  key: SigningKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  const isSecret = key instanceof Uint8Array;
  const merged: Record<string, unknown> = {
    alg: isSecret ? 'HS256' : DEFAULT_ALG[key.kind],
    ...(!isSecret && { kid: key.kid }),
    typ: 'at+jwt',
    ...header,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new CompactSign(new TextEncoder().encode(text))
    .setProtectedHeader(merged as { alg: string })
    .sign(isSecret ? key : key.privateKey);
}

/**
 * Builds a compact JWS by hand from header and payload *text* (so the header may hold duplicate
 * members, `crit`, `b64`, anything). Supports RS256, HS256 (with `key` the secret) and `none`
 * (empty signature, or `signature` when given).
 */
export function rawJWS(
  headerText: string,
  payloadText: string,
  key: KeyObject | Uint8Array | undefined,
  alg: 'RS256' | 'HS256' | 'none' = 'RS256',
): string {
  const signingInput = `${b64u(headerText)}.${b64u(payloadText)}`;
  let signature = '';
  if (alg === 'RS256')
    signature = cryptoSign('sha256', Buffer.from(signingInput), key as KeyObject).toString(
      'base64url',
    );
  else if (alg === 'HS256')
    signature = createHmac('sha256', key as Uint8Array)
      .update(signingInput)
      .digest('base64url');
  return `${signingInput}.${signature}`;
}

/** A JWE encryption key: a public key (pair) or a shared secret. */
export type EncryptionKey = TestKeyPair | Uint8Array;

/**
 * Encrypts `plaintext` into a compact JWE with jose's CompactEncrypt. The header defaults to
 * `{ alg, enc: 'A256GCM', cty: 'JWT', kid }` (alg RSA-OAEP-256 for RSA, ECDH-ES+A256KW for EC/
 * X25519, A256KW for a secret); members set to `undefined` are removed.
 */
export async function encryptJWE(
  plaintext: string | Uint8Array,
  key: EncryptionKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  const isSecret = key instanceof Uint8Array;
  const merged: Record<string, unknown> = {
    alg: isSecret ? 'A256KW' : key.kind === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW',
    enc: 'A256GCM',
    cty: 'JWT',
    ...(!isSecret && { kid: key.kid }),
    ...header,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return new CompactEncrypt(bytes)
    .setProtectedHeader(merged as CompactJWEHeaderParameters)
    .encrypt(isSecret ? key : key.publicKey);
}

/**
 * Builds a compact JWE by hand from protected header *text*, with A128GCM or A256GCM content
 * encryption (by the header text's `enc`, which the caller keeps consistent):
 * - `dir`: `key` is the content key itself (16 or 32 bytes);
 * - `RSA-OAEP-256` / `RSA1_5`: a random content key of `cekBytes` bytes wrapped for `key`.
 * The result decrypts correctly, so a rejection proves a check fired, not a crypto failure.
 */
export function rawJWE(
  headerText: string,
  plaintext: string | Uint8Array,
  keyManagement:
    | { alg: 'dir'; key: Uint8Array }
    | { alg: 'RSA-OAEP-256' | 'RSA1_5'; key: KeyObject; cekBytes?: 16 | 32 },
): string {
  let cek: Buffer;
  let encryptedKey = '';
  if (keyManagement.alg === 'dir') {
    cek = Buffer.from(keyManagement.key);
  } else {
    cek = randomBytes(keyManagement.cekBytes ?? 32);
    const padding =
      keyManagement.alg === 'RSA1_5'
        ? constants.RSA_PKCS1_PADDING
        : constants.RSA_PKCS1_OAEP_PADDING;
    encryptedKey = publicEncrypt(
      { key: keyManagement.key, padding, oaepHash: 'sha256' },
      cek,
    ).toString('base64url');
  }
  const protectedHeader = b64u(headerText);
  const iv = randomBytes(12);
  const cipher = createCipheriv(`aes-${cek.length * 8}-gcm` as 'aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    protectedHeader,
    encryptedKey,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
}

/** Random secret bytes (HMAC secrets, A*KW / dir keys). */
export const secret = (bytes: number): Uint8Array => new Uint8Array(randomBytes(bytes));

/**
 * A verifier for {@link ISSUER} / {@link AUDIENCE} trusting the default RSA key's public JWK,
 * with `overrides` applied (a `keys` or `secret` override replaces the default key source).
 */
export async function makeVerifier(overrides: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const base: VerifierOptions = { issuer: ISSUER, audience: AUDIENCE };
  if (overrides.keys === undefined && overrides.secret === undefined) {
    base.keys = (await keyPair('rsa')).publicJwk;
  }
  return createVerifier({ ...base, ...overrides });
}

/** An issuer for {@link ISSUER} / {@link AUDIENCE} signing with the default RSA key unless overridden. */
export async function makeIssuer(overrides: Partial<IssuerOptions> = {}): Promise<Issuer> {
  const base: IssuerOptions = { issuer: ISSUER, audience: AUDIENCE };
  if (overrides.signingKey === undefined && overrides.secret === undefined) {
    base.signingKey = (await keyPair('rsa')).privateKey;
  }
  return createIssuer({ ...base, ...overrides });
}

/**
 * The {@link TokenwardError} `promise` rejects with; fails the test when it resolves or rejects
 * with anything else.
 */
export async function rejection(promise: Promise<unknown>): Promise<TokenwardError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenwardError) return error;
    throw new Error(`expected a TokenwardError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * Verifies `token` at {@link NOW} and expects a 401 `invalid_token` with `code`, checking the
 * status, the RFC 6750 challenge and the JSON body too. Returns the error for further checks.
 */
export async function expectInvalidToken(
  verifier: Verifier,
  token: string,
  code: string,
): Promise<TokenwardError> {
  const error = await rejection(verifier.verify(token, { currentDate: NOW }));
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  expect(error.error).toBe('invalid_token');
  expect(error.headers['WWW-Authenticate']).toMatch(
    new RegExp(`^Bearer realm="${verifier.realm}", error="invalid_token", error_description="`),
  );
  expect(error.toJSON()).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  return error;
}

/** Header members of {@link mint}; a member set to `undefined` is left out. */
export type MintHeader = Record<string, unknown>;

/**
 * {@link signJWS} with the default RSA key (the one {@link makeVerifier} trusts): header
 * `{ alg: 'RS256', kid, typ: 'at+jwt' }` unless `header` says otherwise, so a test can put anything
 * in the header and the claims (a wrong `typ`, a string `exp`, raw JSON text such as `1e400`).
 */
export async function mint(
  payload: Record<string, unknown> | string,
  header: MintHeader = {},
): Promise<string> {
  return signJWS(payload, await keyPair('rsa'), header);
}

/** The default RSA key pair: the one {@link mint} signs with and {@link makeVerifier} trusts. */
export const testKey = (): Promise<TestKeyPair> => keyPair('rsa');

/** {@link makeVerifier}, under the short name the claim and policy tests use. */
export const verifier = makeVerifier;

/**
 * What an accepted token resolves to: a frozen AccessToken with its registered claims mapped (for
 * `expect(…).resolves.toMatchObject(anAccessToken)` where the token text is not at hand).
 */
export const anAccessToken = {
  // Three (JWS) or five (JWE) base64url segments; a JWE encrypted key may be empty (dir).
  token: expect.stringMatching(/^[\w-]+(\.[\w-]*){2}((\.[\w-]*){2})?$/),
  issuer: expect.any(String),
  audience: expect.any(Array),
  scopes: expect.any(Set),
  expiresAt: expect.any(Date),
};
