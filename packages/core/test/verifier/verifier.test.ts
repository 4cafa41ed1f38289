/**
 * `createVerifier` end to end (verifier.ts): the AccessToken it resolves to, the encryption
 * modes and their defaults, errors carrying the verifier's realm, and `verifyRequest` with a
 * nested token. Header, key and claim rules have their own files.
 */
import {
  createVerifier,
  InvalidTokenError,
  MissingTokenError,
  type Verifier,
} from '@tokenward/core';
import {
  AUDIENCE,
  claims,
  encryptJWE,
  expectInvalidToken,
  ISSUER,
  keyPair,
  makeVerifier,
  NOW,
  NOW_S,
  rejection,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

let issuerKey: TestKeyPair;
let apiKey: TestKeyPair;
let jws: string;
let jwe: string;

beforeAll(async () => {
  [issuerKey, apiKey] = await Promise.all([keyPair('rsa'), keyPair('p256', 'api')]);
  const c = claims({ roles: ['admin', 'ops'], cnf: { kid: 'holder-key' } });
  jws = await signJWS(c, issuerKey);
  jwe = await encryptJWE(jws, apiKey);
});

const at = { currentDate: NOW };

describe('the AccessToken', () => {
  test('of a signed token', async () => {
    const v = await makeVerifier();
    const token = await v.verify(jws, at);
    expect(token).toEqual({
      token: jws,
      claims: claims({ roles: ['admin', 'ops'], cnf: { kid: 'holder-key' } }),
      header: { alg: 'RS256', kid: issuerKey.kid, typ: 'at+jwt' },
      issuer: ISSUER,
      subject: 'user-123',
      clientId: 'client-abc',
      audience: [AUDIENCE],
      scopes: new Set(['read', 'write']),
      roles: new Set(['admin', 'ops']),
      expiresAt: new Date((NOW_S + 3600) * 1000),
      issuedAt: new Date((NOW_S - 60) * 1000),
      confirmation: { kid: 'holder-key' },
      // A cnf without jkt or x5t#S256 binds to nothing this verifier checks.
      binding: { scheme: 'bearer' },
    });
    expect(token).not.toHaveProperty('encryption');
  });

  test('of a nested token carries the outer JWE header and the inner JWS header', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
    const token = await v.verify(jwe, at);
    expect(token.token).toBe(jwe);
    expect(token.header).toEqual({ alg: 'RS256', kid: issuerKey.kid, typ: 'at+jwt' });
    expect(token.encryption).toMatchObject({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: apiKey.kid,
    });
    expect(token.subject).toBe('user-123');
  });

  test('is frozen, down to claims and headers', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
    const token = await v.verify(jwe, at);
    for (const part of [
      token,
      token.claims,
      token.header,
      token.encryption,
      token.audience,
      token.confirmation,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  test('leaves out subject, clientId, issuedAt and confirmation when the claims do', async () => {
    const v = await makeVerifier();
    const c = claims({
      sub: undefined,
      client_id: undefined,
      iat: undefined,
    });
    const token = await v.verify(await signJWS(c, issuerKey), at);
    for (const name of ['subject', 'clientId', 'issuedAt', 'confirmation', 'encryption']) {
      expect(token).not.toHaveProperty(name);
    }
  });

  test.each([
    ['null', null],
    ['an array', ['not', 'an', 'object']],
    ['a string', 'jkt'],
    ['a jkt that is no thumbprint', { jkt: 'thumb' }],
    ['an x5t#S256 that is no thumbprint', { 'x5t#S256': 42 }],
  ])('a cnf claim that is %s is refused, never read as unbound', async (_label, cnf) => {
    const v = await makeVerifier();
    const error = await rejection(v.verify(await signJWS(claims({ cnf }), issuerKey), at));
    expect(error).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim: 'cnf' });
  });

  test('verify uses the current time without a context', async () => {
    const v = await makeVerifier();
    // Expired an hour before NOW, which is long past: rejected at the real current time too.
    const expired = await signJWS(claims({ exp: NOW_S - 3600 }), issuerKey);
    expect((await rejection(v.verify(expired))).code).toBe('ERR_TOKEN_EXPIRED');
    const now = Math.floor(Date.now() / 1000);
    const fresh = await signJWS(claims({ iat: now, exp: now + 60 }), issuerKey);
    await expect(v.verify(fresh)).resolves.toMatchObject({ token: fresh });
  });
});

describe('encryption modes', () => {
  test('without decryptionKeys the default is forbidden: a JWE is rejected, a JWS accepted', async () => {
    const v = await makeVerifier();
    await expectInvalidToken(v, jwe, 'ERR_JWE_NOT_ALLOWED');
    await expect(v.verify(jws, at)).resolves.toMatchObject({ token: jws });
  });

  test('with decryptionKeys the default is optional: both are accepted', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk });
    await expect(v.verify(jws, at)).resolves.toMatchObject({ token: jws });
    await expect(v.verify(jwe, at)).resolves.toMatchObject({ token: jwe });
  });

  test('optional, given explicitly, accepts both', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk, encryption: 'optional' });
    await expect(v.verify(jws, at)).resolves.toMatchObject({ token: jws });
    await expect(v.verify(jwe, at)).resolves.toMatchObject({ token: jwe });
  });

  test('required rejects a signed-only token before verifying it', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk, encryption: 'required' });
    await expectInvalidToken(v, jws, 'ERR_JWE_REQUIRED');
    // Even a JWS with a bad signature gets ERR_JWE_REQUIRED: nothing was verified.
    await expectInvalidToken(v, `${jws.slice(0, -4)}AAAA`, 'ERR_JWE_REQUIRED');
    await expect(v.verify(jwe, at)).resolves.toMatchObject({ token: jwe });
  });

  test('forbidden rejects a JWE even with decryptionKeys, before decrypting it', async () => {
    const v = await makeVerifier({ decryptionKeys: apiKey.privateJwk, encryption: 'forbidden' });
    await expectInvalidToken(v, jwe, 'ERR_JWE_NOT_ALLOWED');
    await expectInvalidToken(v, 'AAAA.AAAA.AAAA.AAAA.AAAA', 'ERR_JWE_NOT_ALLOWED');
    await expect(v.verify(jws, at)).resolves.toMatchObject({ token: jws });
  });
});

describe('errors', () => {
  test.each([42, null, undefined, {}, ['a.b.c']])(
    'a token of type %p is malformed',
    async (token) => {
      const v = await makeVerifier();
      const error = await rejection(v.verify(token as unknown as string));
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error.code).toBe('ERR_TOKEN_MALFORMED');
      expect(error.status).toBe(401);
    },
  );

  test('SD-28: an unexpected exception while processing a token becomes a 401, the original kept as cause', async () => {
    const v = await makeVerifier();
    const boom = new Error('unexpected');
    // Make the parsed claims throw when read: nothing in tokenward expects that.
    const parse = JSON.parse;
    const spy = jest.spyOn(JSON, 'parse').mockImplementation((text, reviver) => {
      const value: unknown = parse(text, reviver);
      if (value === null || typeof value !== 'object' || !('sub' in value)) return value;
      return new Proxy(value, {
        get(target, name, receiver) {
          if (name === 'iss') throw boom;
          return Reflect.get(target, name, receiver);
        },
      });
    });
    try {
      const error = await rejection(v.verify(jws, at));
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error.code).toBe('ERR_TOKEN_MALFORMED');
      expect(error.message).toBe('the token could not be processed');
      expect(error.cause).toBe(boom);
      expect(error.realm).toBe('api');
    } finally {
      spy.mockRestore();
    }
  });

  test('every error carries the realm of its verifier', async () => {
    const v: Verifier = await makeVerifier({ realm: 'billing' });
    const error = await rejection(v.verify('a.b.c', at));
    expect(error.realm).toBe('billing');
    expect(error.headers['WWW-Authenticate']).toMatch(
      /^Bearer realm="billing", error="invalid_token"/,
    );
  });

  test('two verifiers with different realms do not share error state', async () => {
    const a = await makeVerifier({ realm: 'a' });
    const b = await makeVerifier({ realm: 'b' });
    expect((await rejection(a.verify('x', at))).realm).toBe('a');
    expect((await rejection(b.verify('x', at))).realm).toBe('b');
  });
});

describe('verifyRequest', () => {
  test('verifies a nested token from the Authorization header', async () => {
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: issuerKey.publicJwk,
      decryptionKeys: apiKey.privateKey,
      encryption: 'required',
    });
    const request = { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${jwe}` } };
    const token = await v.verifyRequest(request, at);
    expect(token.token).toBe(jwe);
    expect(token.encryption?.alg).toBe('ECDH-ES+A256KW');
  });

  test('a request without a token is a MissingTokenError with the realm and no error code', async () => {
    const v = await makeVerifier({ realm: 'orders' });
    const error = await rejection(v.verifyRequest({ method: 'GET', url: '/', headers: {} }, at));
    expect(error).toBeInstanceOf(MissingTokenError);
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="orders"');
  });

  test('a bad token from the request is a 401 with the realm', async () => {
    const v = await makeVerifier({ realm: 'orders' });
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${jwe}` } };
    const error = await rejection(v.verifyRequest(request, at));
    expect(error.code).toBe('ERR_JWE_NOT_ALLOWED');
    expect(error.realm).toBe('orders');
  });
});
