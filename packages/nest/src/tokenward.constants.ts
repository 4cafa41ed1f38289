/**
 * Injection tokens and metadata keys of @tokenward/nest, namespaced so they cannot collide with
 * an application's own (as throttler's `throttler.constants.ts` does).
 */

/** Injection token of the module's {@link @tokenward/core!Verifier | Verifier} (`@Inject(TOKENWARD_VERIFIER)`). */
export const TOKENWARD_VERIFIER = Symbol.for('tokenward:verifier');

/** Metadata key holding the list of core policies a controller or handler requires. */
export const TOKENWARD_POLICIES_METADATA = 'tokenward:policies';

/** The request property the guard and the strategy put the verified `AccessToken` on. */
export const TOKENWARD_REQUEST_PROPERTY = 'auth';

/** The passport strategy name {@link TokenwardStrategy} registers by default. */
export const TOKENWARD_STRATEGY_NAME = 'tokenward';
