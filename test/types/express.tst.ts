/**
 * Type-level tests of @tokenward/express: the middlewares' signatures and the `req.auth`
 * augmentation of Express's Request that `authenticate()` fills.
 */
import type { AccessToken, Verifier } from '@tokenward/core';
import {
  authenticate,
  authorize,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireRoles,
  requireScopes,
  tokenwardErrorHandler,
  type AuthenticateOptions,
} from '@tokenward/express';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { describe, expect, test } from 'tstyche';

const options = { issuer: 'https://issuer.example', audience: 'api', discovery: true } as const;

describe('req.auth', () => {
  test('is the AccessToken authenticate() set, absent on optional authentication', () => {
    expect<Request['auth']>().type.toBe<AccessToken | undefined>();
  });

  test('narrows to an AccessToken after a presence check', () => {
    const handler: RequestHandler = (req, res) => {
      if (req.auth === undefined) return;
      expect(req.auth).type.toBe<AccessToken>();
      expect(req.auth.scopes).type.toBe<ReadonlySet<string>>();
      res.json({ subject: req.auth.subject });
    };
    expect(handler).type.toBe<RequestHandler>();
  });
});

describe('authenticate', () => {
  test('takes verifier options or a Verifier, and options', () => {
    expect(authenticate(options)).type.toBe<RequestHandler>();
    expect(
      authenticate({} as Verifier, { credentialsRequired: false }),
    ).type.toBe<RequestHandler>();
    expect(authenticate).type.toBeCallableWith(options, { errorHandling: 'next' });
    expect(authenticate).type.not.toBeCallableWith(options, { errorHandling: 'throw' });
    expect(authenticate).type.not.toBeCallableWith('https://issuer.example');
  });

  test('AuthenticateOptions are all optional', () => {
    expect<AuthenticateOptions>().type.toBeAssignableFrom({});
  });
});

describe('policy middlewares', () => {
  test('return request handlers', () => {
    expect(requireScopes('a')).type.toBe<RequestHandler>();
    expect(requireAnyScope('a', 'b')).type.toBe<RequestHandler>();
    expect(requireRoles('admin')).type.toBe<RequestHandler>();
    expect(requireAnyRole('admin')).type.toBe<RequestHandler>();
    expect(authorize((token) => void token.issuer)).type.toBe<RequestHandler>();
    expect(tokenwardErrorHandler()).type.toBe<ErrorRequestHandler>();
  });

  test('requireClaim: value or typed predicate', () => {
    expect(requireClaim('tenant', 'acme')).type.toBe<RequestHandler>();
    requireClaim(['org', 'id'], (value, token) => {
      expect(value).type.toBe<unknown>();
      expect(token).type.toBe<AccessToken>();
      return value === 'acme';
    });
    expect(requireClaim).type.not.toBeCallableWith(undefined, 'acme');
  });
});
