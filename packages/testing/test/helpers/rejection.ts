import { TokenwardError, type AccessToken } from '@tokenward/core';

/** A fixed clock: tokens are minted and verified as of this instant. */
export const NOW = new Date('2025-01-15T12:00:00Z');

/** What a verifier's refusal says: the stable code, the HTTP status and the challenge. */
export interface Rejection {
  readonly code: string;
  readonly status: number;
  readonly challenge: string;
}

/** Runs `verify` and returns its refusal; fails the test when the token is accepted. */
export async function rejectionOf(verify: () => Promise<AccessToken>): Promise<Rejection> {
  try {
    await verify();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenwardError);
    const e = error as TokenwardError;
    return { code: e.code, status: e.status, challenge: e.challenge };
  }
  throw new Error('the token was accepted');
}

/** The segments of a compact token (3 for a JWS, 5 for a JWE). */
export const segments = (token: string): string[] => token.split('.');
