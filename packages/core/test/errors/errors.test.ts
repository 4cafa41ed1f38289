/**
 * Errors (errors.ts): HTTP status, RFC 6750 §3 challenge and JSON body of every error class, and
 * the escaping that keeps a `WWW-Authenticate` header well-formed whatever the message or realm.
 */
import {
  DEFAULT_REALM,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  MissingTokenError,
  TokenwardError,
} from '@tokenward/core';
import { claims, mint, NOW, rejection, verifier } from '../helpers/keys';

// RFC 6750 §3 / RFC 7235 §2.1 quoted-string, restricted to the characters RFC 6750 allows.
const QUOTED = /"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"/.source;
const CHALLENGE = new RegExp(`^Bearer [a-z_]+=${QUOTED}(?:, [a-z_]+=${QUOTED})*$`);

describe('DEFAULT_REALM', () => {
  it('is "api"', () => {
    expect(DEFAULT_REALM).toBe('api');
  });
});

describe('MissingTokenError', () => {
  const error = new MissingTokenError();

  it('is a 401 without an error attribute (RFC 6750 §3.1)', () => {
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('MissingTokenError');
    expect(error.code).toBe('ERR_TOKEN_MISSING');
    expect(error.status).toBe(401);
    expect(error.error).toBeUndefined();
    expect(error.message).toBe('no access token in the request');
  });

  it('has a bare challenge and an empty JSON body', () => {
    expect(error.challenge).toBe('Bearer realm="api"');
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
    expect(error.toJSON()).toEqual({});
    expect(JSON.stringify(error)).toBe('{}');
  });

  it('takes a custom message, still without an error attribute', () => {
    const custom = new MissingTokenError('log this, not the client');
    expect(custom.message).toBe('log this, not the client');
    expect(custom.challenge).toBe('Bearer realm="api"');
  });
});

describe('InvalidRequestError', () => {
  const error = new InvalidRequestError('ERR_REQUEST_MALFORMED', 'bad header');

  it('is a 400 invalid_request', () => {
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error.name).toBe('InvalidRequestError');
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_request');
    expect(error.code).toBe('ERR_REQUEST_MALFORMED');
    expect(error.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="api", error="invalid_request", error_description="bad header"',
    });
    expect(error.toJSON()).toEqual({ error: 'invalid_request', error_description: 'bad header' });
  });
});

describe('InvalidTokenError', () => {
  it('is a 401 invalid_token keeping its cause and claim', () => {
    const cause = new Error('inner detail');
    const error = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired', {
      cause,
      claim: 'exp',
    });
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error.name).toBe('InvalidTokenError');
    expect(error.status).toBe(401);
    expect(error.error).toBe('invalid_token');
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    expect(error.claim).toBe('exp');
    expect(error.cause).toBe(cause);
    expect(error.challenge).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    );
    // The cause is for logs: it appears neither in the challenge nor in the body.
    expect(error.challenge).not.toContain('inner detail');
    expect(JSON.stringify(error)).toBe(
      '{"error":"invalid_token","error_description":"the token has expired"}',
    );
  });

  it('has no cause or claim unless given', () => {
    const error = new InvalidTokenError('ERR_TOKEN_MALFORMED', 'x');
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
    expect(error.claim).toBeUndefined();
  });
});

describe('InsufficientScopeError', () => {
  it('is a 403 insufficient_scope advertising the required scopes', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs scopes', [
      'orders:read',
      'orders:write',
    ]);
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error.name).toBe('InsufficientScopeError');
    expect(error.status).toBe(403);
    expect(error.error).toBe('insufficient_scope');
    expect(error.requiredScopes).toEqual(['orders:read', 'orders:write']);
    expect(error.challenge).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="needs scopes", ' +
        'scope="orders:read orders:write"',
    );
    expect(error.toJSON()).toEqual({
      error: 'insufficient_scope',
      error_description: 'needs scopes',
    });
  });

  it('has no scope attribute without required scopes', () => {
    const error = new InsufficientScopeError('ERR_ROLE_MISSING', 'needs a role', [], {
      claim: 'roles',
    });
    expect(error.requiredScopes).toEqual([]);
    expect(error.claim).toBe('roles');
    expect(error.challenge).not.toContain('scope=');
    expect(new InsufficientScopeError('ERR_CLAIM_MISMATCH', 'x').requiredScopes).toEqual([]);
  });
});

describe('TokenwardError (base)', () => {
  it('can be built directly with any status and attribute', () => {
    const error = new TokenwardError(401, 'invalid_token', 'ERR_KEYS_UNAVAILABLE', 'no keys');
    expect(error.name).toBe('TokenwardError');
    expect(error.status).toBe(401);
    expect(error.challenge).toBe(
      'Bearer realm="api", error="invalid_token", error_description="no keys"',
    );
    expect(error.stack).toContain('TokenwardError');
  });

  it('returns a fresh headers object each time', () => {
    const error = new InvalidTokenError('ERR_TOKEN_MALFORMED', 'x');
    const headers = error.headers;
    headers['WWW-Authenticate'] = 'tampered';
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm=/);
  });
});

describe('realm', () => {
  it('is fixed at construction and cannot be assigned afterwards', () => {
    const error = new InvalidTokenError('ERR_TOKEN_MALFORMED', 'x', { realm: 'orders' });
    expect(error.challenge).toMatch(/^Bearer realm="orders", error="invalid_token"/);
    expect(() => {
      (error as { realm: string }).realm = 'other';
    }).toThrow(TypeError);
    expect(error.realm).toBe('orders');
    const missing = new MissingTokenError(undefined, { realm: 'orders' });
    expect(missing.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="orders"' });
  });

  it('withRealm returns a copy naming the realm and leaves the original unchanged', () => {
    const cause = new Error('underlying');
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs a', ['a'], { cause });
    const bound = error.withRealm('orders');
    expect(bound).not.toBe(error);
    expect(bound).toBeInstanceOf(InsufficientScopeError);
    expect(bound.headers['WWW-Authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="needs a", scope="a"',
    );
    expect([bound.code, bound.status, bound.message, bound.cause]).toEqual([
      'ERR_SCOPE_MISSING',
      403,
      'needs a',
      cause,
    ]);
    expect(error.realm).toBe('api');
    expect(bound.withRealm('orders')).toBe(bound);
  });

  it('comes from the verifier option on every error it raises', async () => {
    const v = await verifier({ realm: 'orders api' });
    const error = await rejection(v.verify('not-a-token'));
    expect(error.realm).toBe('orders api');
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="orders api", error=/);
  });
});

describe('WWW-Authenticate escaping (RFC 7230 §3.2.6 quoted-string)', () => {
  it('keeps " and \\ out of the description, which RFC 6750 §3 forbids there', () => {
    const error = new InvalidRequestError('ERR_REQUEST_MALFORMED', 'not "Bearer <token>" \\ x');
    expect(error.challenge).toBe(
      'Bearer realm="api", error="invalid_request", ' +
        'error_description="not \'Bearer <token>\' / x"',
    );
    expect(error.challenge).toMatch(CHALLENGE);
    // RFC 6749 §5.2 limits the JSON body's error_description to the same characters.
    expect(error.toJSON().error_description).toBe("not 'Bearer <token>' / x");
  });

  it('escapes quotes and backslashes in the realm', () => {
    const error = new MissingTokenError(undefined, { realm: 'a "quoted" \\ realm' });
    expect(error.challenge).toBe('Bearer realm="a \\"quoted\\" \\\\ realm"');
    expect(error.challenge).toMatch(CHALLENGE);
  });

  it('replaces CR, LF and other controls so the header cannot be split', () => {
    const error = new InvalidTokenError(
      'ERR_TOKEN_MALFORMED',
      'line one\r\nSet-Cookie: session=evil\ttab\u0000nul\u007fdel',
      { realm: 'realm\r\nX-Injected: 1' },
    );
    const challenge = error.challenge;
    expect(challenge).not.toMatch(/[\r\n\t\0\x7f]/);
    expect(challenge).toBe(
      'Bearer realm="realm??X-Injected: 1", error="invalid_token", ' +
        'error_description="line one??Set-Cookie: session=evil?tab?nul?del"',
    );
    expect(challenge).toMatch(CHALLENGE);
    expect(error.toJSON().error_description).not.toMatch(/[\r\n]/);
  });

  it('replaces non-ASCII characters, one ? per UTF-16 code unit', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'café ☕ 🎉', ['lecture:écrire']);
    expect(error.challenge).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="caf? ? ??", ' +
        'scope="lecture:?crire"',
    );
    expect(error.challenge).toMatch(CHALLENGE);
    expect(error.toJSON()).toEqual({
      error: 'insufficient_scope',
      error_description: 'caf? ? ??',
    });
  });

  it('leaves every allowed printable ASCII character alone', () => {
    let printable = '';
    for (let c = 0x20; c <= 0x7e; c++)
      if (c !== 0x22 && c !== 0x5c) printable += String.fromCharCode(c);
    const error = new InvalidRequestError('ERR_REQUEST_MALFORMED', printable);
    expect(error.challenge).toContain(`error_description="${printable}"`);
  });
});

describe('errors raised by the verifier', () => {
  it('report a bad signature as their own finding, with no made-up jose error as cause', async () => {
    const v = await verifier();
    const token = await mint(claims());
    const [h, p, s] = token.split('.') as [string, string, string];
    // Flip one signature character (keeping the base64url canonical).
    const tampered = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const error = await rejection(v.verify(tampered, { currentDate: NOW }));
    expect(error.code).toBe('ERR_JWS_SIGNATURE_INVALID');
    // Signatures are checked on node:crypto (jws/jws-signature.ts): jose is not called, so there
    // is no jose error to keep. A jose failure that does occur stays in cause: security-defaults.
    expect(error.cause).toBeUndefined();
    expect(error.message).toBe('the token signature is invalid');
  });

  it('turn a non-string token into a 401, never a 500', async () => {
    const v = await verifier();
    const error = await rejection(v.verify(42 as unknown as string));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error.code).toBe('ERR_TOKEN_MALFORMED');
  });

  it('never contain the token', async () => {
    const v = await verifier({ realm: 'orders' });
    const token = await mint(claims({ exp: 1 }));
    const error = await rejection(v.verify(token, { currentDate: NOW }));
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    for (const part of token.split('.')) {
      expect(error.message).not.toContain(part);
      expect(error.challenge).not.toContain(part);
      expect(JSON.stringify(error)).not.toContain(part);
    }
  });
});
