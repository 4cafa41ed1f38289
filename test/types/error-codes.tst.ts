/**
 * Error codes are extensible by module augmentation of `TokenwardErrorCodes`: an added code is a
 * `TokenwardErrorCode`, the error constructors accept it, and a code nobody declared is refused.
 */
import {
  InsufficientScopeError,
  InvalidTokenError,
  type TokenwardErrorCode,
  type TokenwardErrorCodes,
} from '@tokenward/core';
import { describe, expect, test } from 'tstyche';

declare module '@tokenward/core' {
  interface TokenwardErrorCodes {
    ERR_TENANT_SUSPENDED: true;
  }
}

describe('TokenwardErrorCode', () => {
  test('is the keys of TokenwardErrorCodes, built-in and augmented', () => {
    expect<'ERR_TOKEN_EXPIRED'>().type.toBeAssignableTo<TokenwardErrorCode>();
    expect<'ERR_TENANT_SUSPENDED'>().type.toBeAssignableTo<TokenwardErrorCode>();
    expect<keyof TokenwardErrorCodes>().type.toBe<TokenwardErrorCode>();
    expect<'ERR_NOT_DECLARED'>().type.not.toBeAssignableTo<TokenwardErrorCode>();
  });

  test('the error constructors accept an augmented code and refuse an undeclared one', () => {
    expect(
      new InsufficientScopeError('ERR_TENANT_SUSPENDED', 'suspended').code,
    ).type.toBe<TokenwardErrorCode>();
    expect(InvalidTokenError).type.toBeConstructableWith('ERR_TENANT_SUSPENDED', 'suspended');
    expect(InvalidTokenError).type.not.toBeConstructableWith('ERR_NOT_DECLARED', 'x');
  });
});
