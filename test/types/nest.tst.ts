/**
 * Type-level tests of @tokenward/nest: the decorators' signatures, `@Auth()` and the module's
 * `forRoot` options.
 */
import type { AccessToken } from '@tokenward/core';
import {
  AnyRole,
  AnyScope,
  Auth,
  OptionalAuth,
  Public,
  RequireClaim,
  Roles,
  Scopes,
  TokenwardModule,
  UsePolicies,
  type RequirementDecorator,
} from '@tokenward/nest';
import type { DynamicModule } from '@nestjs/common';
import { describe, expect, test } from 'tstyche';

describe('requirement decorators', () => {
  test('decorate classes and methods', () => {
    expect(Scopes('messages:read')).type.toBe<RequirementDecorator>();
    expect(AnyScope('a', 'b')).type.toBe<RequirementDecorator>();
    expect(Roles('admin')).type.toBe<RequirementDecorator>();
    expect(AnyRole('admin', 'ops')).type.toBe<RequirementDecorator>();
    expect(UsePolicies((token) => void token.scopes)).type.toBe<RequirementDecorator>();
    expect<RequirementDecorator>().type.toBeAssignableTo<ClassDecorator>();
    expect<RequirementDecorator>().type.toBeAssignableTo<MethodDecorator>();
  });

  test('take names, not arrays or numbers', () => {
    expect(Scopes).type.not.toBeCallableWith(['a']);
    expect(Roles).type.not.toBeCallableWith(1);
  });

  test('@RequireClaim takes a path and a value or a predicate', () => {
    expect(RequireClaim('tenant', 'acme')).type.toBe<RequirementDecorator>();
    expect(
      RequireClaim(['org', 'id'], (value: unknown, token: AccessToken) => value === token.subject),
    ).type.toBe<RequirementDecorator>();
    expect(RequireClaim).type.not.toBeCallableWith(7, 'acme');
  });

  test('@Public() and @OptionalAuth() take no argument', () => {
    expect(Public).type.toBeCallableWith();
    expect(OptionalAuth).type.toBeCallableWith();
    expect(Public()).type.toBeAssignableTo<ClassDecorator & MethodDecorator>();
  });
});

describe('@Auth()', () => {
  test('is a parameter decorator, optionally naming an AccessToken field', () => {
    expect(Auth()).type.toBe<ParameterDecorator>();
    expect(Auth('subject')).type.toBe<ParameterDecorator>();
    expect(Auth).type.not.toBeCallableWith('password');
  });
});

describe('TokenwardModule', () => {
  test('forRoot takes verifier options and module extras', () => {
    const options = { issuer: 'https://issuer.example', audience: 'api', discovery: true };
    expect(TokenwardModule.forRoot(options)).type.toBe<DynamicModule>();
    expect(TokenwardModule.forRoot).type.toBeCallableWith({ ...options, guard: 'manual' });
    expect(TokenwardModule.forRoot).type.not.toBeCallableWith({ ...options, guard: 'sometimes' });
  });
});
