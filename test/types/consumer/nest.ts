/**
 * A CommonJS consumer of @tokenward/nest's built types. NestJS 12 is ESM-only, so this compiles
 * where TypeScript lets CommonJS require ES modules (module nodenext, TS ≥ 5.8) or under bundler.
 */
import type { AccessToken } from '@tokenward/core';
import {
  AccessTokenGuard,
  AnyRole,
  AnyScope,
  Auth,
  OptionalAuth,
  Public,
  RequireClaim,
  Roles,
  Scopes,
  TokenwardExceptionFilter,
  TokenwardModule,
  TokenwardStrategy,
} from '@tokenward/nest';

export const module = TokenwardModule.forRoot({
  issuer: 'https://issuer.example',
  audience: 'https://api.example',
  discovery: true,
  guard: 'global',
});
export const decorators = [
  Public(),
  OptionalAuth(),
  Scopes('messages:read'),
  AnyScope('a', 'b'),
  Roles('admin'),
  AnyRole('admin', 'ops'),
  RequireClaim('tenant', 'acme'),
];
export const providers = [AccessTokenGuard, TokenwardExceptionFilter, TokenwardStrategy];
export const param: ParameterDecorator = Auth();
export type Token = AccessToken;
