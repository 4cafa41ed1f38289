/**
 * `createIssuer`: mints access tokens, signed (JWS) and, given the resource server's public key,
 * nested: a signed `at+jwt` encrypted into a JWE with `cty: "JWT"` (RFC 7519 §11.2, RFC 9068).
 * For first-party authorization servers, the testing kit and the sample app's dev mode.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, CompactSign } from 'jose';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { importPublicKey, isKeyObject, type JSONWebKeySet } from '../keys/key-input';
import { HMAC_MIN_SECRET_BYTES } from '../lib/algorithms';

/** Options of {@link createIssuer}. */
export interface IssuerOptions {
  /** The `iss` of every token. */
  issuer: string;
  /** Private signing key (private JWK, PKCS#8 PEM or KeyObject). Exclusive with `secret`. */
  signingKey?: JWK | string | KeyObject;
  /** HMAC secret (≥ 32 bytes) for HS256/384/512 tokens. Exclusive with `signingKey`. */
  secret?: string | Uint8Array;
  /** JWS algorithm. Default by key: RSA → RS256, P-256 → ES256, P-384 → ES384, P-521 → ES512, Ed25519 → EdDSA, secret → HS256. */
  algorithm?: string;
  /** Signing `kid`. Default: the JWK's `kid`, else its RFC 7638 thumbprint (none for a secret). */
  kid?: string;
  /**
   * The resource server's public encryption key (JWK, SPKI PEM, KeyObject) or a shared secret
   * (Uint8Array) for `dir` / `A*KW`. When set, tokens are nested (sign, then encrypt).
   */
  encryptionKey?: JWK | string | KeyObject | Uint8Array;
  /** JWE `alg`. Default by key: RSA → RSA-OAEP-256, EC/X25519 → ECDH-ES+A256KW, a 16/24/32-byte secret → A128KW/A192KW/A256KW, a 48/64-byte secret → dir. */
  keyManagementAlgorithm?: string;
  /** JWE `enc`. Default A256GCM; with `dir`, the one the secret's length fits (48 bytes → A192CBC-HS384, 64 → A256CBC-HS512). */
  contentEncryptionAlgorithm?: string;
  /** JWE `kid`. Default: the JWK's `kid`, else its RFC 7638 thumbprint. */
  encryptionKid?: string;
  /** Default `aud` when a call gives none. */
  audience?: string | string[];
  /** Default lifetime in seconds. Default 300. */
  expiresIn?: number;
}

/** Claims of a token to issue; `iss`, `iat`, `exp` and `jti` are filled in unless given. */
export interface IssueClaims {
  sub?: string;
  aud?: string | string[];
  /** Scopes: a space-delimited string or a list. */
  scope?: string | readonly string[];
  client_id?: string;
  roles?: readonly string[];
  [claim: string]: unknown;
}

/** Per-token options. */
export interface IssueOptions {
  /** Lifetime in seconds (overrides the issuer default). */
  expiresIn?: number;
  /** Issue as of this time (`iat`). Default now. */
  currentDate?: Date;
  /** Set false to issue a signed-only token from an issuer that encrypts. */
  encrypt?: boolean;
  /** Replaces the inner header `typ` (default `at+jwt`); tests use it to mint other token types. */
  type?: string;
}

/** A token issuer. */
export interface Issuer {
  /** Mints a token. */
  issue(claims?: IssueClaims, options?: IssueOptions): Promise<string>;
  /** The public JWK Set to publish for verifiers (empty for an HMAC issuer). */
  readonly jwks: JSONWebKeySet;
  /** The issuer identifier. */
  readonly issuer: string;
}

function toPrivateKey(input: JWK | string | KeyObject): KeyObject {
  if (isKeyObject(input)) return input;
  if (typeof input === 'string') return createPrivateKey(input);
  return createPrivateKey({ key: input, format: 'jwk' } as never);
}

const ES_ALG_BY_CURVE: Record<string, string> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

function defaultSigningAlg(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      // RFC 7518 §3.4 defines ECDSA for P-256, P-384 and P-521 only.
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const alg = ES_ALG_BY_CURVE[curve];
      if (alg === undefined) throw new TypeError(`signingKey: unsupported EC curve ${curve}`);
      return alg;
    }
    default:
      throw new TypeError(`signingKey: unsupported key type ${key.asymmetricKeyType}`);
  }
}

// With `dir` the shared secret is the content key itself, so its length decides `enc`
// (RFC 7518 §5.2.2, §5.3): 48 and 64 bytes only fit the CBC-HMAC algorithms.
const DIR_ENC_BY_BYTES: Record<number, string> = {
  16: 'A128GCM',
  24: 'A192GCM',
  32: 'A256GCM',
  48: 'A192CBC-HS384',
  64: 'A256CBC-HS512',
};

function defaultKeyManagementAlg(key: KeyObject): string {
  if (key.type === 'secret') {
    const bytes = key.symmetricKeySize ?? 0;
    if (DIR_ENC_BY_BYTES[bytes] === undefined) {
      throw new TypeError(
        `encryptionKey: a shared secret must be 16, 24, 32, 48 or 64 bytes (got ${bytes})`,
      );
    }
    return { 16: 'A128KW', 24: 'A192KW', 32: 'A256KW' }[bytes] ?? 'dir';
  }
  return key.asymmetricKeyType === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW';
}

const thumbprintOf = (key: KeyObject) =>
  calculateJwkThumbprint(key.export({ format: 'jwk' }) as JWK);

/**
 * Creates an issuer of access tokens.
 *
 * @example
 * ```ts
 * const issuer = createIssuer({ issuer: 'https://auth.example.com/', signingKey: privateJwk, encryptionKey: apiPublicJwk, audience: 'api' })
 * const token = await issuer.issue({ sub: 'alice', scope: 'messages:read', client_id: 'cli' })
 * ```
 */
export async function createIssuer(options: IssuerOptions): Promise<Issuer> {
  if (typeof options?.issuer !== 'string' || options.issuer === '')
    throw new TypeError('issuer: expected a non-empty string');
  if ((options.signingKey === undefined) === (options.secret === undefined)) {
    throw new TypeError('signingKey, secret: give exactly one');
  }
  let signingKey: KeyObject;
  let algorithm: string;
  let kid = options.kid;
  const jwks: JSONWebKeySet = { keys: [] };
  if (options.secret !== undefined) {
    signingKey = createSecretKey(
      typeof options.secret === 'string' ? Buffer.from(options.secret) : options.secret,
    );
    algorithm = options.algorithm ?? 'HS256';
    const needed = HMAC_MIN_SECRET_BYTES[algorithm as keyof typeof HMAC_MIN_SECRET_BYTES];
    if (needed === undefined || (signingKey.symmetricKeySize ?? 0) < needed) {
      throw new TypeError(
        `secret: ${algorithm} needs an HS algorithm and a secret of at least ${needed ?? 32} bytes`,
      );
    }
  } else {
    signingKey = toPrivateKey(options.signingKey as JWK | string | KeyObject);
    algorithm = options.algorithm ?? defaultSigningAlg(signingKey);
    const publicJwk = createPublicKey(signingKey).export({ format: 'jwk' }) as JWK;
    kid ??= (options.signingKey as JWK).kid ?? (await thumbprintOf(createPublicKey(signingKey)));
    jwks.keys.push({ ...publicJwk, kid, alg: algorithm, use: 'sig' });
  }

  let encryption: { key: KeyObject; alg: string; enc: string; kid: string | undefined } | undefined;
  if (options.encryptionKey !== undefined) {
    const input = options.encryptionKey;
    const key =
      input instanceof Uint8Array
        ? createSecretKey(input)
        : importPublicKey(input, 'encryptionKey').key;
    const alg = options.keyManagementAlgorithm ?? defaultKeyManagementAlg(key);
    const encKid =
      options.encryptionKid ??
      (typeof input === 'object' && !isKeyObject(input) && !(input instanceof Uint8Array)
        ? (input as JWK).kid
        : undefined) ??
      (key.type === 'public' ? await thumbprintOf(key) : undefined);
    const enc =
      options.contentEncryptionAlgorithm ??
      (alg === 'dir' ? DIR_ENC_BY_BYTES[key.symmetricKeySize ?? 0] : undefined) ??
      'A256GCM';
    encryption = { key, alg, enc, kid: encKid };
  }
  const defaultLifetime = options.expiresIn ?? 300;

  return {
    issuer: options.issuer,
    jwks,
    async issue(claims = {}, issueOptions = {}) {
      const iat = Math.floor((issueOptions.currentDate ?? new Date()).getTime() / 1000);
      const { scope, ...rest } = claims;
      const payload: Record<string, unknown> = {
        iss: options.issuer,
        ...(options.audience !== undefined && { aud: options.audience }),
        iat,
        exp: iat + (issueOptions.expiresIn ?? defaultLifetime),
        jti: randomUUID(),
        ...rest,
        ...(scope !== undefined && { scope: typeof scope === 'string' ? scope : scope.join(' ') }),
      };
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({
          alg: algorithm,
          typ: issueOptions.type ?? 'at+jwt',
          ...(kid !== undefined && { kid }),
        })
        .sign(signingKey);
      if (encryption === undefined || issueOptions.encrypt === false) return jws;
      return new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({
          alg: encryption.alg,
          enc: encryption.enc,
          cty: 'JWT',
          ...(encryption.kid !== undefined && { kid: encryption.kid }),
        })
        .encrypt(encryption.key);
    },
  };
}
