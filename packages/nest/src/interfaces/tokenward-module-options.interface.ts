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

/** Module-level switches, given beside the options to `forRoot` and `forRootAsync`. */
export interface TokenwardModuleExtras {
  /**
   * Register {@link AccessTokenGuard} as a global guard (`APP_GUARD`): every route then needs a
   * valid access token unless marked `@Public()`. Default false: apply it with `@UseGuards`.
   */
  global?: boolean;
  /**
   * Make the module (its verifier and guard) visible to every module of the application without
   * importing it again. Default true.
   */
  isGlobal?: boolean;
}
