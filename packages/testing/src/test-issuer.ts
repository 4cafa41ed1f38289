/**
 * `createTestIssuer`: an authorization server in a box for tests and local development. It holds
 * the issuer's signing key and the resource server's encryption key pair, mints good and bad
 * access tokens, and serves JWKS and discovery metadata on 127.0.0.1.
 */
import { CompactEncrypt, base64url } from 'jose';
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import {
  createIssuer,
  type IssueClaims,
  type IssueOptions,
  type Issuer,
  type JSONWebKeySet,
  type VerifierOptions,
} from '@tokenward/core';
import {
  generateTestKeyPair,
  generateTestSecret,
  TEST_KEY_MANAGEMENT_ALGORITHMS,
  TEST_SIGNING_ALGORITHMS,
  type GeneratedKeyPair,
  type TestKeyManagementAlgorithm,
  type TestSigningAlgorithm,
} from './keys';
import { JWKS_PATH, startServer, type RunningServer, type TestIssuerRequestCounts } from './server';

/** Issuer identifier used until the server is started (and when it never is). */
export const DEFAULT_TEST_ISSUER = 'https://issuer.tokenward.test';
/** Default `aud` of minted tokens and of {@link TestIssuer.verifierOptions}. */
export const DEFAULT_TEST_AUDIENCE = 'https://api.tokenward.test';
/** The `aud` of `wrong-audience` tokens. */
export const WRONG_AUDIENCE = 'https://other-api.tokenward.test';
/** The `iss` of `wrong-issuer` tokens. */
export const WRONG_ISSUER = 'https://untrusted-issuer.tokenward.test';

/** Options of {@link createTestIssuer}; every field is optional. */
export interface TestIssuerOptions {
  /** JWS algorithm of the issuer's signing key. Default `'RS256'` (RSA 2048). */
  signingAlgorithm?: TestSigningAlgorithm;
  /**
   * JWE `alg` of the resource server's encryption key pair: RSA 2048 for `RSA-OAEP*`, P-256 for
   * `ECDH-ES*`. Default `'RSA-OAEP-256'`. `false`: no encryption keys (signed tokens only).
   */
  keyManagementAlgorithm?: TestKeyManagementAlgorithm | false;
  /** JWE `enc`. Default `'A256GCM'`. */
  contentEncryptionAlgorithm?:
    'A128GCM' | 'A192GCM' | 'A256GCM' | 'A128CBC-HS256' | 'A256CBC-HS512';
  /**
   * A fixed issuer identifier. Default: {@link DEFAULT_TEST_ISSUER} until {@link TestIssuer.start}
   * is called, the server's `http://127.0.0.1:<port>` after that.
   */
  issuer?: string;
  /** The `aud` of minted tokens. Default {@link DEFAULT_TEST_AUDIENCE}. */
  audience?: string;
  /** Token lifetime in seconds. Default 300. */
  expiresIn?: number;
  /**
   * Claims every token gets unless a call overrides them.
   * Default `{ sub: 'test-user', client_id: 'test-client' }`.
   */
  defaultClaims?: IssueClaims;
}

/** Per-token options. */
export interface TestTokenOptions {
  /** Lifetime in seconds (overrides the issuer default). */
  expiresIn?: number;
  /** Mint as of this time (`iat`); pair it with the verifier's `currentDate`. Default now. */
  currentDate?: Date;
  /** The inner header `typ`. Default `'at+jwt'` (RFC 9068). */
  type?: string;
}

/** Options of {@link TestIssuer.issueInvalid}. */
export interface InvalidTokenOptions extends TestTokenOptions {
  /** Wrap the bad signed token in a JWE for the resource server (sign, then encrypt). Default false. */
  nested?: boolean;
}

/**
 * Kinds of bad tokens {@link TestIssuer.issueInvalid} mints, each wrong in exactly one way:
 *
 * - `expired`: `exp` one hour before `currentDate` (beyond any allowed clock tolerance);
 * - `not-yet-valid`: `nbf` one hour after `currentDate`;
 * - `wrong-audience`: `aud` is {@link WRONG_AUDIENCE};
 * - `wrong-issuer`: `iss` is {@link WRONG_ISSUER} (signed with the real key);
 * - `tampered-signature`: one signature byte flipped;
 * - `id-token`: an OpenID Connect ID token (`typ: "JWT"`, `nonce`, `auth_time`), not an access token;
 * - `unsigned-jwe`: a JWE to the resource server whose plaintext is bare claims, no signature;
 * - `unknown-key`: signed by a key the verifier does not have (another `kid`; for HS256 another secret).
 */
export type InvalidTokenKind =
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'tampered-signature'
  | 'id-token'
  | 'unsigned-jwe'
  | 'unknown-key';

/** Every {@link InvalidTokenKind}, for table-driven tests. */
export const INVALID_TOKEN_KINDS: readonly InvalidTokenKind[] = [
  'expired',
  'not-yet-valid',
  'wrong-audience',
  'wrong-issuer',
  'tampered-signature',
  'id-token',
  'unsigned-jwe',
  'unknown-key',
];

/** A test issuer; see {@link createTestIssuer}. */
export interface TestIssuer {
  /** The `iss` of minted tokens (see {@link TestIssuerOptions.issuer}). */
  readonly issuer: string;
  /** The `aud` of minted tokens. */
  readonly audience: string;
  /** The JWS algorithm tokens are signed with. */
  readonly signingAlgorithm: TestSigningAlgorithm;
  /** The JWE `alg` of nested tokens, or undefined when the issuer does not encrypt. */
  readonly keyManagementAlgorithm: TestKeyManagementAlgorithm | undefined;
  /** The JWE `enc` of nested tokens. */
  readonly contentEncryptionAlgorithm: string;
  /** The issuer's public signing keys, as the JWKS endpoint serves them (empty for HS256). */
  readonly jwks: JSONWebKeySet;
  /** The HMAC secret, for `signingAlgorithm: 'HS256'` only. */
  readonly secret: Uint8Array | undefined;
  /** The resource server's public encryption JWK (what the issuer encrypts to). */
  readonly encryptionKey: JWK | undefined;
  /**
   * The resource server's private decryption keys as a private JWK Set: give it to
   * `createVerifier({ decryptionKeys })` or write it to the file `TOKENWARD_DECRYPTION_KEYS` names.
   */
  readonly decryptionKeys: JSONWebKeySet | undefined;
  /** The server's base URL once started (kept after `stop()`: it is the issuer identifier). */
  readonly url: string | undefined;
  /** The JWKS URL once started, else undefined. */
  readonly jwksUri: string | undefined;
  /** How many times each endpoint was fetched. */
  readonly requests: Readonly<TestIssuerRequestCounts>;
  /**
   * Mints a signed access token (JWS, `typ: at+jwt`). Claims default to `iss`, `aud`, `sub`,
   * `client_id`, `iat`, `exp`, `jti`; a claim set to `undefined` is left out.
   *
   * @example `await testIssuer.issueSigned({ scope: 'messages:read', roles: ['admin'] })`
   */
  issueSigned(claims?: IssueClaims, options?: TestTokenOptions): Promise<string>;
  /**
   * Mints a nested access token: the signed token of {@link issueSigned}, encrypted to the
   * resource server (JWE, `cty: "JWT"`). Throws a TypeError when the issuer has no encryption key.
   */
  issueNested(claims?: IssueClaims, options?: TestTokenOptions): Promise<string>;
  /** Mints a token that a correctly configured verifier must reject; see {@link InvalidTokenKind}. */
  issueInvalid(
    kind: InvalidTokenKind,
    claims?: IssueClaims,
    options?: InvalidTokenOptions,
  ): Promise<string>;
  /**
   * `createVerifier` options that accept this issuer's tokens with local keys: `issuer`,
   * `audience`, `keys` (or `secret`) and `decryptionKeys`. `overrides` are merged over them;
   * when they name another key source (`keys`, `secret`, `jwksUri`, `discovery`), the local one is
   * dropped, and `issuers` replaces both `issuer` and the key source. Read it after {@link start} when the issuer URL comes from the server.
   *
   * @example `const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }))`
   */
  verifierOptions(overrides?: Partial<VerifierOptions> & Record<string, unknown>): VerifierOptions;
  /**
   * Replaces the signing key with a new one (new `kid`); the old public key stays in the JWKS
   * unless `keepPrevious` is false. For key-rotation and JWKS-refresh tests. Not for HS256.
   */
  rotateSigningKey(options?: { keepPrevious?: boolean }): Promise<void>;
  /**
   * Serves `/.well-known/jwks.json`, `/.well-known/openid-configuration` and
   * `/.well-known/oauth-authorization-server` on `http://127.0.0.1:<random port>`, and returns
   * that URL, which becomes the issuer identifier unless `options.issuer` was given.
   */
  start(): Promise<string>;
  /** Stops the server (closing open connections). Safe to call when not started. */
  stop(): Promise<void>;
}

const KEY_SOURCE_OPTIONS = ['keys', 'secret', 'jwksUri', 'discovery'] as const;

function flipSignatureByte(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const bytes = base64url.decode(signature);
  // Flip a bit in the middle: re-encoding keeps the segment canonical, so the token fails
  // on its signature and not on its shape.
  const index = bytes.length >> 1;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return `${header}.${payload}.${base64url.encode(bytes)}`;
}

function assertOption<T>(value: T | undefined, allowed: readonly T[], option: string): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new TypeError(`${option}: expected one of ${allowed.join(', ')}`);
  }
}

/**
 * Creates a test issuer: generates a signing key (RS256 by default; ES256, EdDSA or HS256 on
 * request) and an encryption key pair for the resource server (RSA-OAEP-256 by default, or
 * ECDH-ES), mints signed, nested and deliberately invalid tokens with core's `createIssuer`, and
 * serves JWKS and discovery once started. Keys live in memory only.
 *
 * @param options See {@link TestIssuerOptions}; all optional.
 * @example
 * ```ts
 * const testIssuer = await createTestIssuer()
 * const verifier = createVerifier(testIssuer.verifierOptions())
 * const token = await testIssuer.issueNested({ scope: 'messages:read', roles: ['admin'] })
 * await verifier.verify(token) // → AccessToken
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  assertOption(options.signingAlgorithm, TEST_SIGNING_ALGORITHMS, 'signingAlgorithm');
  if (options.keyManagementAlgorithm !== false) {
    assertOption(
      options.keyManagementAlgorithm,
      TEST_KEY_MANAGEMENT_ALGORITHMS,
      'keyManagementAlgorithm',
    );
  }
  if (options.issuer !== undefined && (typeof options.issuer !== 'string' || options.issuer === ''))
    throw new TypeError('issuer: expected a non-empty string');
  const signingAlgorithm = options.signingAlgorithm ?? 'RS256';
  const keyManagementAlgorithm =
    options.keyManagementAlgorithm === false
      ? undefined
      : (options.keyManagementAlgorithm ?? 'RSA-OAEP-256');
  const contentEncryptionAlgorithm = options.contentEncryptionAlgorithm ?? 'A256GCM';
  const audience = options.audience ?? DEFAULT_TEST_AUDIENCE;
  const defaultClaims: IssueClaims = options.defaultClaims ?? {
    sub: 'test-user',
    client_id: 'test-client',
  };

  const encryptionPair =
    keyManagementAlgorithm === undefined
      ? undefined
      : await generateTestKeyPair(keyManagementAlgorithm, 'enc');
  const secret = signingAlgorithm === 'HS256' ? generateTestSecret() : undefined;

  let signingPair: GeneratedKeyPair | undefined;
  let previousPublicKeys: JWK[] = [];
  let coreIssuer: Issuer;
  const makeCoreIssuer = (signingKey: GeneratedKeyPair | undefined, hmac = secret) =>
    createIssuer({
      // Every token sets `iss` itself (see claimsFor): the identifier can change on start().
      issuer: DEFAULT_TEST_ISSUER,
      ...(hmac !== undefined
        ? { secret: hmac }
        : { signingKey: signingKey!.privateKey, kid: signingKey!.kid }),
      algorithm: signingAlgorithm,
      ...(encryptionPair && {
        encryptionKey: encryptionPair.publicJwk,
        keyManagementAlgorithm: encryptionPair.publicJwk.alg,
        contentEncryptionAlgorithm,
      }),
      audience,
      expiresIn: options.expiresIn ?? 300,
    });

  if (secret === undefined) signingPair = await generateTestKeyPair(signingAlgorithm, 'sig');
  coreIssuer = await makeCoreIssuer(signingPair);

  const counts: TestIssuerRequestCounts = {
    jwks: 0,
    openidConfiguration: 0,
    oauthAuthorizationServer: 0,
  };
  let server: RunningServer | undefined;
  let serverUrl: string | undefined;
  const currentIssuer = () => options.issuer ?? serverUrl ?? DEFAULT_TEST_ISSUER;
  const publicJwks = (): JSONWebKeySet => ({
    keys: signingPair ? [signingPair.publicJwk, ...previousPublicKeys] : [],
  });

  const claimsFor = (claims: IssueClaims): IssueClaims => ({
    iss: currentIssuer(),
    ...defaultClaims,
    ...claims,
  });
  const issueOptions = (opts: TestTokenOptions, encrypt: boolean): IssueOptions => ({
    ...opts,
    encrypt,
  });
  const requireEncryption = (what: string): GeneratedKeyPair => {
    if (encryptionPair === undefined) {
      throw new TypeError(
        `${what}: this test issuer has no encryption key (keyManagementAlgorithm: false)`,
      );
    }
    return encryptionPair;
  };
  const encrypt = (plaintext: string, cty: string | undefined): Promise<string> => {
    const pair = requireEncryption('issueInvalid');
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({
        alg: pair.publicJwk.alg as string,
        enc: contentEncryptionAlgorithm,
        kid: pair.kid,
        ...(cty !== undefined && { cty }),
      })
      .encrypt(pair.publicKey);
  };

  const issueSigned = (claims: IssueClaims = {}, opts: TestTokenOptions = {}) =>
    coreIssuer.issue(claimsFor(claims), issueOptions(opts, false));

  const mintInvalid = async (
    kind: InvalidTokenKind,
    claims: IssueClaims,
    opts: InvalidTokenOptions,
  ): Promise<string> => {
    const now = opts.currentDate ?? new Date();
    const hour = 3600 * 1000;
    switch (kind) {
      case 'expired':
        // Issued two hours ago for one hour: expired an hour ago, far past any clock tolerance.
        return issueSigned(claims, {
          ...opts,
          currentDate: new Date(now.getTime() - 2 * hour),
          expiresIn: 3600,
        });
      case 'not-yet-valid':
        return issueSigned(
          { ...claims, nbf: Math.floor((now.getTime() + hour) / 1000) },
          { ...opts, currentDate: now, expiresIn: 2 * 3600 },
        );
      case 'wrong-audience':
        return issueSigned({ ...claims, aud: WRONG_AUDIENCE }, opts);
      case 'wrong-issuer':
        return issueSigned({ ...claims, iss: WRONG_ISSUER }, opts);
      case 'tampered-signature':
        return flipSignatureByte(await issueSigned(claims, opts));
      case 'id-token':
        // OIDC Core §2: an ID token is a JWT with typ "JWT" (or none), a nonce and auth_time.
        // Everything else matches an access token so the type check alone must reject it.
        return issueSigned(
          { nonce: 'n-0S6_WzA2Mj', auth_time: Math.floor(now.getTime() / 1000), ...claims },
          { ...opts, type: 'JWT' },
        );
      case 'unsigned-jwe': {
        const iat = Math.floor(now.getTime() / 1000);
        const payload = {
          iss: currentIssuer(),
          aud: audience,
          iat,
          exp: iat + (opts.expiresIn ?? options.expiresIn ?? 300),
          ...defaultClaims,
          ...claims,
        };
        // No cty: the plaintext is the claims themselves. Anyone with the public key could make it.
        return encrypt(JSON.stringify(payload), undefined);
      }
      case 'unknown-key': {
        const stranger =
          secret === undefined
            ? await makeCoreIssuer(await generateTestKeyPair(signingAlgorithm, 'sig'))
            : await makeCoreIssuer(undefined, generateTestSecret());
        return stranger.issue(claimsFor(claims), issueOptions(opts, false));
      }
    }
    // Unreachable: issueInvalid checked `kind` against INVALID_TOKEN_KINDS; TypeScript checks the
    // switch is exhaustive.
  };

  return {
    get issuer() {
      return currentIssuer();
    },
    audience,
    signingAlgorithm,
    keyManagementAlgorithm,
    contentEncryptionAlgorithm,
    get jwks() {
      return publicJwks();
    },
    secret,
    encryptionKey: encryptionPair?.publicJwk,
    decryptionKeys: encryptionPair && { keys: [encryptionPair.privateJwk] },
    get url() {
      return serverUrl;
    },
    get jwksUri() {
      return serverUrl === undefined ? undefined : `${serverUrl}${JWKS_PATH}`;
    },
    requests: counts,
    issueSigned,
    async issueNested(claims = {}, opts = {}) {
      requireEncryption('issueNested');
      return coreIssuer.issue(claimsFor(claims), issueOptions(opts, true));
    },
    async issueInvalid(kind, claims = {}, opts = {}) {
      if (!INVALID_TOKEN_KINDS.includes(kind)) {
        throw new TypeError(`issueInvalid: unknown kind ${JSON.stringify(kind)}`);
      }
      const token = await mintInvalid(kind, claims, opts);
      if (opts.nested !== true || kind === 'unsigned-jwe') return token;
      return encrypt(token, 'JWT');
    },
    verifierOptions(overrides = {}) {
      // `issuers` (several issuers, each with its key source) replaces issuer and key source.
      const ownIssuer = !('issuers' in overrides);
      const ownKeySource = ownIssuer && !KEY_SOURCE_OPTIONS.some((name) => name in overrides);
      const base: VerifierOptions = {
        ...(ownIssuer && { issuer: currentIssuer() }),
        audience,
        ...(ownKeySource && (secret !== undefined ? { secret } : { keys: publicJwks() })),
        ...(encryptionPair && { decryptionKeys: { keys: [encryptionPair.privateJwk] } }),
      };
      return { ...base, ...overrides } as VerifierOptions;
    },
    async rotateSigningKey({ keepPrevious = true } = {}) {
      if (signingPair === undefined) {
        throw new TypeError('rotateSigningKey: an HS256 test issuer has no public key to rotate');
      }
      const next = await generateTestKeyPair(signingAlgorithm, 'sig');
      previousPublicKeys = keepPrevious ? [signingPair.publicJwk, ...previousPublicKeys] : [];
      signingPair = next;
      coreIssuer = await makeCoreIssuer(next);
    },
    async start() {
      if (server !== undefined) return server.url;
      server = await startServer(
        {
          issuer: currentIssuer,
          jwks: publicJwks,
          signingAlgorithms: () => [signingAlgorithm],
        },
        counts,
      );
      serverUrl = server.url;
      return server.url;
    },
    async stop() {
      const running = server;
      server = undefined;
      if (running !== undefined) await running.close();
    },
  };
}
