/**
 * `createTestIssuer`: an authorization server in a box for tests and local development. It holds
 * the issuer's signing key and the resource server's encryption key pair, mints good and bad
 * access tokens, and serves JWKS and discovery metadata on 127.0.0.1. This module only wires the
 * parts together; each part has its own module.
 */
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import type { IssueClaims, JSONWebKeySet, VerifierOptions } from '@tokenward/core';
import { DEFAULT_TEST_ISSUER } from './defaults';
import { createEncryptionKeys } from './encryption-keys';
import { INVALID_TOKEN_KINDS, mintInvalid, type InvalidTokenKind } from './invalid-tokens';
import type { TestKeyManagementAlgorithm, TestSigningAlgorithm } from './keys';
import { createMinter } from './mint';
import {
  resolveTestIssuerOptions,
  type InvalidTokenOptions,
  type TestIssuerOptions,
  type TestTokenOptions,
} from './options';
import { JWKS_PATH, startServer, type RunningServer, type TestIssuerRequestCounts } from './server';
import { createSigningKeys } from './signing-keys';
import { buildVerifierOptions } from './verifier-options';

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
  /** The issuer's public signing keys, as the JWKS endpoint serves them (empty for HS*). */
  readonly jwks: JSONWebKeySet;
  /** The HMAC secret, for an `HS*` `signingAlgorithm` only. */
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
  /**
   * Mints a token that a correctly configured verifier must reject; see {@link InvalidTokenKind}.
   * With `nested: true` the bad token is encrypted (correctly) to the resource server, so the
   * failure is found after decryption; `unsigned-jwe` is a JWE already.
   */
  issueInvalid(
    kind: InvalidTokenKind,
    claims?: IssueClaims,
    options?: InvalidTokenOptions,
  ): Promise<string>;
  /**
   * `createVerifier` options that accept this issuer's tokens with local keys: `issuer`,
   * `audience`, `keys` (or `secret`) and `decryptionKeys`. `overrides` are merged over them;
   * when they name another key source (`keys`, `secret`, `jwksUri`, `discovery`), the local one is
   * dropped, and `issuers` replaces both `issuer` and the key source. Read it after {@link start}
   * when the issuer URL comes from the server.
   *
   * @example `const verifier = createVerifier(testIssuer.verifierOptions({ encryption: 'required' }))`
   */
  verifierOptions(overrides?: Partial<VerifierOptions> & Record<string, unknown>): VerifierOptions;
  /**
   * Replaces the signing key with a new one (new `kid`); the old public key stays in the JWKS
   * unless `keepPrevious` is false. For key-rotation and JWKS-refresh tests. Not for HS*.
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

/**
 * Creates a test issuer: generates a signing key (RS256 by default; any JWS algorithm core
 * verifies on request) and an encryption key pair for the resource server (RSA-OAEP-256 by
 * default, or another RSA-OAEP / ECDH-ES algorithm), mints signed, nested and deliberately invalid
 * tokens with core's `createIssuer`, and serves JWKS and discovery once started. Keys live in
 * memory only.
 *
 * @param options See {@link TestIssuerOptions}; all optional.
 * @throws TypeError naming the option when an option is not supported.
 * @example
 * ```ts
 * const testIssuer = await createTestIssuer()
 * const verifier = createVerifier(testIssuer.verifierOptions())
 * const token = await testIssuer.issueNested({ scope: 'messages:read', roles: ['admin'] })
 * await verifier.verify(token) // → AccessToken
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const resolved = resolveTestIssuerOptions(options);
  const encryption =
    resolved.keyManagementAlgorithm === undefined
      ? undefined
      : await createEncryptionKeys(
          resolved.keyManagementAlgorithm,
          resolved.contentEncryptionAlgorithm,
        );
  const signing = await createSigningKeys(resolved.signingAlgorithm, {
    audience: resolved.audience,
    expiresIn: resolved.expiresIn,
    ...encryption?.issuerOptions,
  });

  const counts: TestIssuerRequestCounts = {
    jwks: 0,
    openidConfiguration: 0,
    oauthAuthorizationServer: 0,
  };
  let server: RunningServer | undefined;
  let serverUrl: string | undefined;
  const currentIssuer = () => resolved.issuer ?? serverUrl ?? DEFAULT_TEST_ISSUER;
  const minter = createMinter({
    signing,
    encryption,
    issuer: currentIssuer,
    defaultClaims: resolved.defaultClaims,
  });
  const invalidContext = {
    minter,
    signing,
    audience: resolved.audience,
    expiresIn: resolved.expiresIn,
  };

  return {
    get issuer() {
      return currentIssuer();
    },
    audience: resolved.audience,
    signingAlgorithm: resolved.signingAlgorithm,
    keyManagementAlgorithm: resolved.keyManagementAlgorithm,
    contentEncryptionAlgorithm: resolved.contentEncryptionAlgorithm,
    get jwks() {
      return signing.jwks();
    },
    secret: signing.secret,
    encryptionKey: encryption?.pair.publicJwk,
    decryptionKeys: encryption?.decryptionKeys,
    get url() {
      return serverUrl;
    },
    get jwksUri() {
      return serverUrl === undefined ? undefined : `${serverUrl}${JWKS_PATH}`;
    },
    requests: counts,
    issueSigned: minter.issueSigned,
    issueNested: minter.issueNested,
    async issueInvalid(kind, claims = {}, opts = {}) {
      if (!INVALID_TOKEN_KINDS.includes(kind)) {
        throw new TypeError(`issueInvalid: unknown kind ${JSON.stringify(kind)}`);
      }
      // Checked first, so a nested request fails before any key work.
      const nestTo = opts.nested === true ? minter.requireEncryption('issueInvalid') : undefined;
      const token = await mintInvalid(invalidContext, kind, claims, opts);
      if (nestTo === undefined || kind === 'unsigned-jwe') return token;
      return nestTo.encrypt(token, 'JWT');
    },
    verifierOptions: (overrides = {}) =>
      buildVerifierOptions(
        {
          issuer: currentIssuer(),
          audience: resolved.audience,
          secret: signing.secret,
          jwks: signing.jwks(),
          decryptionKeys: encryption?.decryptionKeys,
        },
        overrides,
      ),
    rotateSigningKey: ({ keepPrevious = true } = {}) => signing.rotate(keepPrevious),
    async start() {
      if (server !== undefined) return server.url;
      server = await startServer(
        {
          issuer: currentIssuer,
          jwks: () => signing.jwks(),
          signingAlgorithms: () => [resolved.signingAlgorithm],
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
