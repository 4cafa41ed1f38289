/**
 * Type-level tests of @tokenward/core's public API: verifier options and their key sources,
 * the AccessToken shape, policies and the requireClaim overloads.
 */
import {
  allOf,
  anyOf,
  createVerifier,
  InsufficientScopeError,
  InvalidTokenError,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireRoles,
  requireScopes,
  TokenwardError,
  type AccessToken,
  type ClaimPredicate,
  type Policy,
  type RouteRequirement,
  type RequestLike,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { describe, expect, test } from 'tstyche';

const base = { issuer: 'https://issuer.example', audience: 'https://api.example' } as const;
const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };

describe('createVerifier', () => {
  test('takes each signature key source', () => {
    expect(createVerifier({ ...base, keys: jwk })).type.toBe<Verifier>();
    expect(createVerifier({ ...base, keys: { keys: [jwk] } })).type.toBe<Verifier>();
    expect(createVerifier({ ...base, keys: '-----BEGIN PUBLIC KEY-----' })).type.toBe<Verifier>();
    expect(
      createVerifier({ ...base, jwksUri: 'https://issuer.example/jwks' }),
    ).type.toBe<Verifier>();
    expect(
      createVerifier({ ...base, secret: 'a-shared-secret-of-at-least-32-bytes' }),
    ).type.toBe<Verifier>();
    expect(createVerifier({ ...base, secret: new Uint8Array(32) })).type.toBe<Verifier>();
    expect(createVerifier({ ...base, discovery: true })).type.toBe<Verifier>();
  });

  test('rejects mistyped key sources and unknown options', () => {
    expect(createVerifier).type.not.toBeCallableWith({ ...base, jwksUri: new URL('https://x') });
    expect(createVerifier).type.not.toBeCallableWith({ ...base, discovery: 'yes' });
    expect(createVerifier).type.not.toBeCallableWith({ ...base, secret: 42 });
    expect(createVerifier).type.not.toBeCallableWith({ ...base, discovery: true, jwks: 'typo' });
  });

  test('encryption, claims presets and issuer lists are closed sets', () => {
    expect<VerifierOptions['encryption']>().type.toBe<
      'required' | 'optional' | 'forbidden' | undefined
    >();
    expect(createVerifier).type.toBeCallableWith({ ...base, discovery: true, claims: 'keycloak' });
    expect(createVerifier).type.not.toBeCallableWith({
      ...base,
      discovery: true,
      claims: 'google',
    });
    expect(createVerifier).type.not.toBeCallableWith({
      ...base,
      discovery: true,
      encryption: 'sometimes',
    });
    expect(createVerifier).type.toBeCallableWith({
      ...base,
      issuer: ['https://a', 'https://b'],
      discovery: true,
    });
  });

  test('verify and verifyRequest resolve to an AccessToken', () => {
    const verifier = createVerifier({ ...base, discovery: true });
    expect(verifier.verify('token')).type.toBe<Promise<AccessToken>>();
    const request: RequestLike = {
      method: 'GET',
      url: '/',
      headers: { authorization: 'Bearer t' },
    };
    expect(verifier.verifyRequest(request)).type.toBe<Promise<AccessToken>>();
    expect(verifier.verify).type.not.toBeCallableWith(42);
  });
});

describe('AccessToken', () => {
  test('has the documented fields, read-only', () => {
    expect<AccessToken['token']>().type.toBe<string>();
    expect<AccessToken['issuer']>().type.toBe<string>();
    expect<AccessToken['audience']>().type.toBe<readonly string[]>();
    expect<AccessToken['scopes']>().type.toBe<ReadonlySet<string>>();
    expect<AccessToken['roles']>().type.toBe<ReadonlySet<string>>();
    expect<AccessToken['expiresAt']>().type.toBe<Date>();
    expect<AccessToken['claims']>().type.toBe<Readonly<Record<string, unknown>>>();
    expect<AccessToken['header']>().type.toBe<Readonly<Record<string, unknown>>>();
  });

  test('optional fields may be absent', () => {
    expect<AccessToken['subject']>().type.toBe<string | undefined>();
    expect<AccessToken['clientId']>().type.toBe<string | undefined>();
    expect<AccessToken['issuedAt']>().type.toBe<Date | undefined>();
    expect<AccessToken['encryption']>().type.toBe<Readonly<Record<string, unknown>> | undefined>();
    expect<AccessToken['confirmation']>().type.toBe<
      Readonly<Record<string, unknown>> | undefined
    >();
  });

  test('cannot be written to', () => {
    const token = {} as AccessToken;
    // @ts-expect-error Cannot assign to 'issuer' because it is a read-only property
    token.issuer = 'https://evil.example';
    expect(token.scopes).type.not.toHaveProperty('add');
  });
});

describe('policies', () => {
  test('the scope and role policies take names and return a Policy', () => {
    expect(requireScopes('a', 'b')).type.toBe<Policy>();
    expect(requireAnyScope('a')).type.toBe<Policy>();
    expect(requireRoles('admin')).type.toBe<Policy>();
    expect(requireAnyRole('admin', 'ops')).type.toBe<Policy>();
    expect(requireScopes).type.not.toBeCallableWith(['a']);
    expect(requireRoles).type.not.toBeCallableWith(1);
  });

  test('a Policy takes an AccessToken and may be asynchronous', () => {
    expect<Policy>().type.toBe<(token: AccessToken) => void | Promise<void>>();
    expect(allOf(requireScopes('a'), async () => {})).type.toBe<RouteRequirement>();
    expect(anyOf(requireRoles('a'), requireScopes('b'))).type.toBe<RouteRequirement>();
    expect(allOf(requireScopes('a'))).type.toBeAssignableTo<Policy>();
    expect(allOf).type.not.toBeCallableWith('a');
  });

  test('requireClaim: a path (dotted or segments) and a value', () => {
    expect(requireClaim('tenant', 'acme')).type.toBe<Policy>();
    expect(requireClaim(['org', 'id'], 42)).type.toBe<Policy>();
    expect(requireClaim).type.not.toBeCallableWith(42, 'acme');
  });

  test('requireClaim: a path and a predicate, its parameters typed', () => {
    requireClaim('email_verified', (value, token) => {
      expect(value).type.toBe<unknown>();
      expect(token).type.toBe<AccessToken>();
      return value === true;
    });
    expect<ClaimPredicate>().type.toBe<(value: unknown, token: AccessToken) => boolean>();
  });
});

describe('errors', () => {
  test('carry a stable code, a status and headers', () => {
    const error = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'expired');
    expect(error).type.toBeAssignableTo<TokenwardError>();
    expect(error.status).type.toBe<number>();
    expect(error.headers).type.toBeAssignableTo<Readonly<Record<string, string>>>();
    expect(error.toJSON()).type.toHaveProperty('error');
    expect(error.code).type.toBeAssignableTo<string>();
    expect(InvalidTokenError).type.not.toBeConstructableWith('ERR_NOT_A_CODE', 'x');
    expect(
      new InsufficientScopeError('ERR_SCOPE_MISSING', 'no', ['a']),
    ).type.toBeAssignableTo<TokenwardError>();
  });
});
