/* global URL */
// jose 6 is a dependency of @tokenward/core, not of the workspace root: resolve it from there so
// the benchmarks use the same jose as tokenward, from a clean checkout.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));

/** jose 6, as @tokenward/core resolves it. */
export const jose = await import(pathToFileURL(fromCore.resolve('jose')).href);
