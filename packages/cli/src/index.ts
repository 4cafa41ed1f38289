/**
 * @tokenward/cli — the `tokenward` command line, also usable as a library.
 */
export { createProgram } from './program';
