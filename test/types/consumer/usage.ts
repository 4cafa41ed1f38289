/**
 * A CommonJS consumer of @tokenward/core, /express and /testing: every import resolves through the packages'
 * `exports` to their built `dist/*.d.ts`, as it does for an application that installed them.
 */
import {
  allOf,
  createIssuer,
  createVerifier,
  InsufficientScopeError,
  InvalidTokenError,
  requireClaim,
  requireScopes,
  type AccessToken,
  type Policy,
  type VerifierOptions,
} from '@tokenward/core';
import { authenticate, requireAnyRole, tokenwardErrorHandler } from '@tokenward/express';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import type { Request, RequestHandler } from 'express';

const options: VerifierOptions = {
  issuer: 'https://issuer.example',
  audience: 'https://api.example',
  jwksUri: 'https://issuer.example/jwks',
  encryption: 'required',
  claims: 'rfc9068',
};

export const verifier = createVerifier(options);
export const issuer = createIssuer;
export const policy: Policy = allOf(
  requireScopes('messages:read'),
  requireClaim('tenant', 'acme'),
  requireClaim('email_verified', (value) => value === true),
);

export async function subjectOf(token: string): Promise<string | undefined> {
  const accessToken: AccessToken = await verifier.verify(token);
  const scopes: ReadonlySet<string> = accessToken.scopes;
  return scopes.has('x') ? accessToken.subject : undefined;
}

export function isTokenwardFailure(error: unknown): string | undefined {
  if (error instanceof InvalidTokenError || error instanceof InsufficientScopeError) {
    return `${error.status} ${error.code}`;
  }
  return undefined;
}

export const middlewares: RequestHandler[] = [authenticate(options), requireAnyRole('admin')];
export const errorHandler = tokenwardErrorHandler;
export const auth = (req: Request): AccessToken | undefined => req.auth;

export const testIssuer = (): Promise<TestIssuer> => createTestIssuer();
