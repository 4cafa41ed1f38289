import type { Verifier, VerifierOptions } from '@tokenward/core';

/** Hand the module a verifier you built yourself (to share it with other code, or in tests). */
export interface TokenwardVerifierInstanceOptions {
  /** A verifier from `createVerifier`; used as is. */
  verifier: Verifier;
}

/**
 * Options of `TokenwardModule.forRoot` / the value `forRootAsync`'s `useFactory` returns: either
 * `createVerifier` options (validated when the module is instantiated; a `TypeError` names the
 * option) or a ready `{ verifier }`.
 */
export type TokenwardModuleOptions = VerifierOptions | TokenwardVerifierInstanceOptions;

/**
 * How {@link AccessTokenGuard} is applied:
 * - `'global'` (the default): registered as a global guard (`APP_GUARD`), so every route of the
 *   application needs a valid access token unless it is marked `@Public()`.
 * - `'manual'`: not registered; apply it yourself with `@UseGuards(AccessTokenGuard)`. A route
 *   carrying tokenward requirements that no `AccessTokenGuard` covers then makes the application
 *   refuse to start.
 */
export type TokenwardGuardMode = 'global' | 'manual';

/** Module-level switches, given beside the options to `forRoot` and `forRootAsync`. */
export interface TokenwardModuleExtras {
  /** How the guard is applied: {@link TokenwardGuardMode}. Default `'global'`. */
  guard?: TokenwardGuardMode;
  /**
   * Make the module (its verifier and guard) visible to every module of the application without
   * importing it again. Default true.
   */
  isGlobal?: boolean;
}
