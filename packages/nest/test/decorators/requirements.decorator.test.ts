import { Reflector } from '@nestjs/core';
import type { AccessToken, Policy } from '@tokenward/core';
import {
  AnyRole,
  OptionalAuth,
  Public,
  Roles,
  Scopes,
  TOKENWARD_POLICIES_METADATA,
  UsePolicies,
} from '@tokenward/nest';

const token = (scopes: string[], roles: string[]): AccessToken =>
  ({ scopes: new Set(scopes), roles: new Set(roles), claims: {} }) as unknown as AccessToken;

const policiesOf = (target: object): Policy[] =>
  Reflect.getMetadata(TOKENWARD_POLICIES_METADATA, target) ?? [];

describe('requirement decorators', () => {
  it('throw a TypeError when the class is defined, not per request', () => {
    expect(() => Scopes()).toThrow(TypeError);
    expect(() => Roles('')).toThrow(TypeError);
    expect(() => UsePolicies()).toThrow(/UsePolicies: expected at least one policy/);
    expect(() => UsePolicies('admin' as never)).toThrow(TypeError);
  });

  it('keep the order they are written in', () => {
    class Controller {
      @Roles('admin')
      @Scopes('read')
      handler() {}
    }
    const [first, second] = policiesOf(Controller.prototype.handler);
    expect(policiesOf(Controller.prototype.handler)).toHaveLength(2);
    // The first policy is the role check: it fails with the role error for a token with neither.
    expect(() => first?.(token([], []))).toThrow(
      expect.objectContaining({ code: 'ERR_ROLE_MISSING' }),
    );
    expect(() => second?.(token([], []))).toThrow(
      expect.objectContaining({ code: 'ERR_SCOPE_MISSING' }),
    );
  });

  it('add to the requirements a subclass inherits, without changing the parent', () => {
    @Roles('admin')
    class Base {}
    @AnyRole('ops')
    class Derived extends Base {}
    expect(policiesOf(Base)).toHaveLength(1);
    expect(policiesOf(Derived)).toHaveLength(2);
  });

  it('@Public and @OptionalAuth are readable with Reflector', () => {
    class Controller {
      @Public()
      open() {}
      @OptionalAuth()
      maybe() {}
    }
    const reflector = new Reflector();
    expect(reflector.get(Public, Controller.prototype.open)).toBe(true);
    expect(reflector.get(Public, Controller.prototype.maybe)).toBeUndefined();
    expect(reflector.get(OptionalAuth, Controller.prototype.maybe)).toBe(true);
  });
});
