/**
 * The parts of DPoP that need no request: option validation (each bad value a TypeError naming
 * it, when the verifier is created), RFC 7638 thumbprints, htu normalisation and the nonce source.
 */
import { createVerifier, jwkThumbprint, type DPoPOptions } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { normalizeHtu, requestHtu } from '../../src/binding/dpop/htu';
import { createNonceSource } from '../../src/binding/dpop/nonce';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

describe('the dpop option', () => {
  const make = (dpop: unknown) =>
    createVerifier(issuer.verifierOptions({ dpop: dpop as DPoPOptions, metrics: false }));

  it.each([
    ['not an object', 'yes', /^dpop: expected an options object/],
    ['an array', [], /^dpop: expected an options object/],
    ['an unknown member', { require: true }, /^dpop\.require: unknown option/],
    ['required not a boolean', { required: 'true' }, /^dpop\.required: expected a boolean/],
    ['no algorithms', { algorithms: [] }, /^dpop\.algorithms: expected a non-empty array/],
    ['alg none', { algorithms: ['none'] }, /^dpop\.algorithms: none is not an asymmetric/],
    ['HS256', { algorithms: ['ES256', 'HS256'] }, /^dpop\.algorithms: HS256 is not an asymmetric/],
    ['proofMaxAge 0', { proofMaxAge: 0 }, /^dpop\.proofMaxAge: expected whole seconds/],
    ['proofMaxAge 1.5', { proofMaxAge: 1.5 }, /^dpop\.proofMaxAge/],
    ['proofMaxAge over an hour', { proofMaxAge: 3601 }, /^dpop\.proofMaxAge/],
    ['a store without claim', { replayStore: {} }, /^dpop\.replayStore: expected a ReplayStore/],
    ['a timeout of 0', { replayStoreTimeout: 0 }, /^dpop\.replayStoreTimeout/],
    ['a fractional timeout', { replayStoreTimeout: 2.5 }, /^dpop\.replayStoreTimeout/],
    ['onReplayStoreError open', { onReplayStoreError: 'open' }, /^dpop\.onReplayStoreError/],
    [
      'an origin with a path',
      { origin: 'https://api.test/v1' },
      /^dpop\.origin: expected an http\(s\) origin/,
    ],
    ['an origin with a query', { origin: 'https://api.test?x' }, /^dpop\.origin/],
    ['an origin with credentials', { origin: 'https://u:p@api.test' }, /^dpop\.origin/],
    ['an ftp origin', { origin: 'ftp://api.test' }, /^dpop\.origin/],
    ['not a URL', { origin: 'api.test' }, /^dpop\.origin/],
    [
      'a short nonce secret',
      { nonce: { secret: 'short' } },
      /^dpop\.nonce\.secret: expected at least 32 bytes/,
    ],
    ['a nonce step of 5 s', { nonce: { secret: 'x'.repeat(32), step: 5 } }, /^dpop\.nonce\.step/],
    ['nonce not an object', { nonce: 'secret' }, /^dpop\.nonce: expected/],
  ])('refuses %s', (_label, dpop, message) => {
    expect(() => make(dpop)).toThrow(TypeError);
    expect(() => make(dpop)).toThrow(message);
  });

  it('accepts an origin with a trailing slash or a port, and a binary nonce secret', () => {
    expect(() => make({ origin: 'https://api.test/' })).not.toThrow();
    expect(() => make({ origin: 'http://127.0.0.1:8080' })).not.toThrow();
    expect(() => make({ nonce: { secret: new Uint8Array(32), step: 60 } })).not.toThrow();
  });
});

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the RFC 7638 §3.1 example thumbprint', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('is undefined for an unknown key type or a missing member', () => {
    expect(jwkThumbprint({ kty: 'oct', k: 'AAAA' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AAAA' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'toString' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: 7 })).toBeUndefined();
  });
});

describe('htu normalisation', () => {
  it.each([
    ['HTTPS://API.Example.COM/Messages', 'https://api.example.com/Messages'],
    ['https://api.example.com:443/x', 'https://api.example.com/x'],
    ['http://api.example.com:80/x', 'http://api.example.com/x'],
    ['https://api.example.com:80/x', 'https://api.example.com:80/x'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://[::1]:8443/a', 'https://[::1]:8443/a'],
    ['https://api.example.com:0443/x', 'https://api.example.com/x'],
  ])('%s → %s', (input, normal) => {
    expect(normalizeHtu(input)).toBe(normal);
  });

  it.each([
    'https://api.example.com/x?y=1',
    'https://api.example.com/x#f',
    'ftp://api.example.com/x',
    'https://user@api.example.com/x',
    'https://api.example.com:99999/x',
    'https://api.example.com:0/x',
    '/x',
    'https://',
  ])('refuses %s', (input) => {
    expect(normalizeHtu(input)).toBeUndefined();
  });

  it('builds the request htu from the origin and the target, without the query', () => {
    expect(requestHtu('https://api.example.com/', '/m?x=1#y')).toBe('https://api.example.com/m');
    expect(requestHtu('https://api.example.com', 'm')).toBeUndefined();
  });
});

describe('the nonce source', () => {
  const secret = 'n'.repeat(32);
  const step = 60;
  it('issues one nonce per step; accepts the current and previous one only', () => {
    const nonces = createNonceSource({ secret, step });
    const t = 1_800_000_000_000;
    const now = nonces.issue(t);
    expect(nonces.issue(t + 1000)).toBe(now);
    expect(nonces.check(now, t)).toBe('current');
    expect(nonces.check(now, t + step * 1000)).toBe('previous');
    expect(nonces.check(now, t + 2 * step * 1000)).toBe('invalid');
    // A nonce from the future (a later step) is not accepted either.
    expect(nonces.check(nonces.issue(t + step * 1000), t)).toBe('invalid');
    // Older steps keep working after a later one was issued (the cache holds the newest).
    expect(nonces.issue(t - step * 1000)).not.toBe(now);
    expect(nonces.check(now, t)).toBe('current');
  });

  it('refuses other secrets, other shapes and non-strings', () => {
    const a = createNonceSource({ secret, step });
    const b = createNonceSource({ secret: 'm'.repeat(32), step });
    const t = Date.now();
    expect(a.check(b.issue(t), t)).toBe('invalid');
    expect(a.check(undefined, t)).toBe('invalid');
    expect(a.check(42, t)).toBe('invalid');
    expect(a.check('x.y', t)).toBe('invalid');
    expect(a.check(`${a.issue(t)}x`, t)).toBe('invalid');
  });
});
