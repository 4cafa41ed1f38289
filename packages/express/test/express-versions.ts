/**
 * The Express majors `@tokenward/express` supports (peer range `^4.21.0 || ^5.0.0`): the
 * middleware suite runs once per entry, each time on real apps of that version.
 */
import express5 from 'express';
import express4 from 'express4';

/** An Express application factory (`express()`), typed as Express 5's. */
export type ExpressFactory = typeof express5;

/** One supported Express version: a label, its factory and the major its package.json names. */
export interface ExpressVersion {
  readonly label: string;
  readonly express: ExpressFactory;
  /** The package that provides it (`express`, or the `express4` alias of `express@4`). */
  readonly packageName: string;
  readonly major: number;
}

/**
 * Express 5 (the default) and Express 4. Express 4's types differ in details the tests do not
 * use (`express.urlencoded`, `app.get`, `app.use` and handlers are the same API), so its factory
 * is viewed through Express 5's types.
 */
export const EXPRESS_VERSIONS: readonly ExpressVersion[] = [
  { label: 'Express 5', express: express5, packageName: 'express', major: 5 },
  {
    label: 'Express 4',
    express: express4 as unknown as ExpressFactory,
    packageName: 'express4',
    major: 4,
  },
];
