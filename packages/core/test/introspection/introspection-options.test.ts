/**
 * The `introspection` option is validated when the verifier is created: each mistake is a
 * TypeError naming `introspection.<member>`, never a failure on the first request.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createVerifier, DEFAULT_INTROSPECTION, type VerifierOptions } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const valid = {
  endpoint: 'https://as.tokenward.test/introspect',
  clientId: 'api',
  clientSecret: 's',
};
const create =
  (introspection: unknown, overrides: Partial<VerifierOptions> = {}) =>
  () =>
    createVerifier(
      issuer.verifierOptions({
        metrics: false,
        introspection: introspection as VerifierOptions['introspection'],
        ...overrides,
      }),
    );

describe('the introspection option', () => {
  it.each([
    ['not an object', 'yes', /^introspection: expected an options object/],
    [
      'an unknown member',
      { ...valid, clientSecretJwt: 'x' },
      /^introspection\.clientSecretJwt: unknown option/,
    ],
    [
      'no clientId',
      { ...valid, clientId: undefined },
      /^introspection\.clientId: expected a non-empty string/,
    ],
    ['an empty clientId', { ...valid, clientId: '' }, /^introspection\.clientId: /],
    [
      'no clientSecret',
      { ...valid, clientSecret: undefined },
      /^introspection\.clientSecret: required by client_secret_basic/,
    ],
    [
      'no clientSecret with client_secret_post',
      { ...valid, clientSecret: undefined, clientAuthentication: 'client_secret_post' },
      /^introspection\.clientSecret: required by client_secret_post/,
    ],
    [
      'a clientSecret that is not a string',
      { ...valid, clientSecret: 42 },
      /^introspection\.clientSecret: /,
    ],
    [
      'client_secret_jwt (not supported)',
      { ...valid, clientAuthentication: 'client_secret_jwt' },
      /^introspection\.clientAuthentication: expected 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'/,
    ],
    [
      'an unknown mode',
      { ...valid, mode: 'jwt' },
      /^introspection\.mode: expected 'opaque' or 'always'/,
    ],
    [
      'a relative endpoint',
      { ...valid, endpoint: '/introspect' },
      /^introspection\.endpoint: expected an absolute URL/,
    ],
    [
      'a plain http endpoint',
      { ...valid, endpoint: 'http://as.tokenward.test/introspect' },
      /^introspection\.endpoint: it must use https/,
    ],
    [
      'an endpoint with credentials',
      { ...valid, endpoint: 'https://u:p@as.tokenward.test/' },
      /^introspection\.endpoint: it must not carry credentials/,
    ],
    ['a negative maxCacheAge', { ...valid, maxCacheAge: -1 }, /^introspection\.maxCacheAge: /],
    [
      'a maxCacheAge that is not a number',
      { ...valid, maxCacheAge: '300' },
      /^introspection\.maxCacheAge: /,
    ],
    [
      'a negative inactiveCacheAge',
      { ...valid, inactiveCacheAge: -5 },
      /^introspection\.inactiveCacheAge: /,
    ],
    ['maxCacheEntries 0', { ...valid, maxCacheEntries: 0 }, /^introspection\.maxCacheEntries: /],
    [
      'fractional maxCacheEntries',
      { ...valid, maxCacheEntries: 1.5 },
      /^introspection\.maxCacheEntries: /,
    ],
    ['timeout 0', { ...valid, timeout: 0 }, /^introspection\.timeout: /],
    ['a timeout over 60 s', { ...valid, timeout: 61 }, /^introspection\.timeout: /],
    [
      'an unknown responseFormat',
      { ...valid, responseFormat: 'jws' },
      /^introspection\.responseFormat: expected 'json' or 'jwt'/,
    ],
    [
      'requireEncryptedResponse with JSON answers',
      { ...valid, requireEncryptedResponse: false },
      /^introspection\.requireEncryptedResponse: only with responseFormat 'jwt'/,
    ],
    [
      'responseMaxAge with JSON answers',
      { ...valid, responseFormat: 'json', responseMaxAge: 10 },
      /^introspection\.responseMaxAge: only with responseFormat 'jwt'/,
    ],
    [
      'a requireEncryptedResponse that is not a boolean',
      { ...valid, responseFormat: 'jwt', requireEncryptedResponse: 'yes' },
      /^introspection\.requireEncryptedResponse: expected true or false/,
    ],
    [
      'requireEncryptedResponse without decryptionKeys',
      { ...valid, responseFormat: 'jwt', requireEncryptedResponse: true },
      /^introspection\.requireEncryptedResponse: needs the decryptionKeys option/,
    ],
    [
      'a negative responseMaxAge',
      { ...valid, responseFormat: 'jwt', responseMaxAge: -1 },
      /^introspection\.responseMaxAge: expected a number of seconds between 0 and 300/,
    ],
    [
      'a responseMaxAge over 300 s',
      { ...valid, responseFormat: 'jwt', responseMaxAge: 301 },
      /^introspection\.responseMaxAge: /,
    ],
    [
      'a responseMaxAge that is not a number',
      { ...valid, responseFormat: 'jwt', responseMaxAge: '60' },
      /^introspection\.responseMaxAge: /,
    ],
  ])('refuses %s', (_name, introspection, message) => {
    expect(create(introspection)).toThrow(TypeError);
    expect(create(introspection)).toThrow(message);
  });

  it('without endpoint, discovers it from the only issuer, which must be a URL', () => {
    const discovering = { ...valid, endpoint: undefined };
    expect(create(discovering, { issuer: 'https://as.tokenward.test' })).not.toThrow();
    expect(create(discovering, { issuer: 'urn:example:as' })).toThrow(
      /^introspection\.endpoint: not given, and the issuer's metadata cannot be read/,
    );
    expect(
      create(discovering, { issuer: ['https://a.tokenward.test', 'https://b.tokenward.test'] }),
    ).toThrow(/^introspection\.endpoint: required when the verifier trusts several issuers/);
  });

  it("responseFormat 'jwt' needs exactly one issuer, whose keys sign the answers", () => {
    const jwt = { ...valid, responseFormat: 'jwt' };
    expect(create(jwt)).not.toThrow();
    expect(
      create(jwt, { issuer: ['https://a.tokenward.test', 'https://b.tokenward.test'] }),
    ).toThrow(/^introspection\.responseFormat: 'jwt' needs exactly one configured issuer/);
  });

  it('accepts every JWT member at a boundary value, with decryptionKeys', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const decryptionKeys = privateKey.export({ format: 'jwk' });
    for (const responseMaxAge of [0, 300]) {
      expect(
        create(
          { ...valid, responseFormat: 'jwt', requireEncryptedResponse: true, responseMaxAge },
          { decryptionKeys },
        ),
      ).not.toThrow();
    }
    expect(create({ ...valid, responseFormat: 'json' })).not.toThrow();
  });

  it('accepts every member at a boundary value, and http for a loopback endpoint', () => {
    expect(
      create({
        ...valid,
        endpoint: 'http://127.0.0.1:8080/introspect',
        clientAuthentication: 'client_secret_post',
        mode: 'always',
        maxCacheAge: 0,
        inactiveCacheAge: 0,
        maxCacheEntries: 1,
        timeout: 60,
      }),
    ).not.toThrow();
  });

  it('documents its defaults', () => {
    expect(DEFAULT_INTROSPECTION).toEqual({
      clientAuthentication: 'client_secret_basic',
      mode: 'opaque',
      maxCacheAge: 300,
      inactiveCacheAge: 5,
      maxCacheEntries: 10_000,
      responseFormat: 'json',
      requireEncryptedResponse: false,
      failureThreshold: 5,
      minBackoff: 1,
      maxBackoff: 30,
    });
    expect(Object.isFrozen(DEFAULT_INTROSPECTION)).toBe(true);
  });
});
