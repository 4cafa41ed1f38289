// The temporary consumer apps of the packaging test: what each installs and how it starts.
// Each app runs from test/packaging/apps/ copied into a fresh directory outside the repository.

const nest = {
  '@nestjs/common': '^12.0.0',
  '@nestjs/core': '^12.0.0',
  'reflect-metadata': '^0.2.0',
  rxjs: '^7.8.0',
};

/**
 * @typedef {object} ConsumerApp
 * @property {string} name directory prefix and label
 * @property {string} entry file in apps/ that starts it
 * @property {string[]} args its command-line arguments
 * @property {string[]} tokenward the @tokenward packages it installs from the tarballs
 * @property {Record<string, string>} dependencies what it installs from the registry
 * @property {RegExp} framework what its ready line must report as the framework in use
 */

/** @type {ConsumerApp[]} */
export const CONSUMER_APPS = [
  {
    name: 'express5',
    entry: 'express-app.cjs',
    args: [],
    tokenward: ['core', 'express', 'testing'],
    dependencies: { express: '^5.0.0' },
    framework: /^5\./,
  },
  {
    name: 'express4',
    entry: 'express-app.cjs',
    args: [],
    tokenward: ['core', 'express', 'testing'],
    dependencies: { express: '^4.21.0' },
    framework: /^4\./,
  },
  {
    name: 'nest-express',
    entry: 'nest-app.cjs',
    args: ['express'],
    tokenward: ['core', 'nest', 'testing'],
    dependencies: { ...nest, '@nestjs/platform-express': '^12.0.0', express: '^5.0.0' },
    framework: /^nest 12\.\S+ on express 5\./,
  },
  {
    name: 'nest-fastify',
    entry: 'nest-app.cjs',
    args: ['fastify'],
    tokenward: ['core', 'nest', 'testing'],
    dependencies: { ...nest, '@nestjs/platform-fastify': '^12.0.0', fastify: '^5.0.0' },
    framework: /^nest 12\.\S+ on fastify 5\./,
  },
  {
    name: 'esm',
    entry: 'esm-app.mjs',
    args: [],
    tokenward: ['core'],
    dependencies: {},
    framework: /\(ESM\)$/,
  },
];

/** Files every app directory receives from apps/. */
export const SHARED_FILES = ['report.cjs'];
