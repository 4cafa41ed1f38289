/**
 * What the introspection tests share: one test authorization server and one test issuer (whose
 * `iss` is the server's URL, so its metadata can be discovered and its JWTs introspected), fresh
 * opaque tokens, active answers, and a verifier factory.
 */
import { randomBytes } from 'node:crypto';
import {
  createVerifier,
  TokenwardError,
  type IntrospectionOptions,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { startAuthorizationServer, type TestAuthorizationServer } from './authorization-server';

export const AUDIENCE = 'https://api.tokenward.test';

/** The time in whole seconds, as NumericDates are. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A fresh opaque token: RFC 6750 b64token characters, no dots (not a JWS or JWE). */
export const opaqueToken = (): string => `at_${randomBytes(24).toString('base64url')}`;

/** An RFC 7662 active answer from `issuer` for this API, `overrides` merged over it. */
export const activeAnswer = (
  issuer: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> => ({
  active: true,
  iss: issuer,
  aud: AUDIENCE,
  exp: nowSeconds() + 300,
  iat: nowSeconds(),
  sub: 'alice',
  client_id: 'web-app',
  scope: 'messages:read messages:write',
  jti: randomBytes(8).toString('hex'),
  token_type: 'Bearer',
  ...overrides,
});

/** Resolves to `'accepted'` or `'<status> <code>'`; anything but a TokenwardError fails. */
export const outcome = (pending: Promise<unknown>): Promise<string> =>
  pending.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? `${e.status} ${e.code}` : Promise.reject(e)),
  );

/** The TokenwardError a verification rejects with. */
export async function refusal(pending: Promise<unknown>): Promise<TokenwardError> {
  const error = await pending.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenwardError);
  return error as TokenwardError;
}

/** Sleeps `ms` of real time (the HTTP server needs real timers). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The server, the issuer, and helpers bound to them; started in beforeAll, closed in afterAll. */
export interface Setup {
  as: TestAuthorizationServer;
  issuer: TestIssuer;
  /** An RFC 7662 active response from this issuer for this API, `overrides` merged over it. */
  active(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A verifier introspecting at the server with the right client credentials. */
  verifier(
    introspection?: Partial<IntrospectionOptions>,
    overrides?: Partial<VerifierOptions>,
  ): Verifier;
}

/** Registers beforeAll/afterAll hooks and returns the setup they fill in. */
export function useSetup(): Setup {
  const setup = {} as Setup;
  beforeAll(async () => {
    setup.as = await startAuthorizationServer();
    setup.issuer = await createTestIssuer({
      issuer: setup.as.url,
      audience: AUDIENCE,
      keyManagementAlgorithm: false,
    });
  });
  beforeEach(() => {
    setup.as.authMethod = 'client_secret_basic';
    setup.as.metadata = { issuer: setup.as.url, introspection_endpoint: setup.as.endpoint };
  });
  afterAll(() => setup.as.close());
  setup.active = (overrides = {}) => activeAnswer(setup.as.url, overrides);
  setup.verifier = (introspection = {}, overrides = {}) =>
    createVerifier(
      setup.issuer.verifierOptions({
        metrics: false,
        introspection: {
          endpoint: setup.as.endpoint,
          clientId: setup.as.clientId,
          clientSecret: setup.as.clientSecret,
          ...introspection,
        },
        ...overrides,
      }),
    );
  return setup;
}
