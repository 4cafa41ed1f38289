/* global require, module, process */
'use strict';
// The one line a temporary app prints once it listens: its port, a token for it, and where its
// packages came from, so the runner can check they were installed from the tarballs.

/**
 * Prints the app's ready line as JSON on stdout.
 * @param {number} port the port the app listens on (127.0.0.1)
 * @param {string} token a token the app accepts
 * @param {string} framework the framework version in use
 */
function report(port, token, framework) {
  const resolved = {};
  for (const name of [
    '@tokenward/core',
    '@tokenward/express',
    '@tokenward/nest',
    '@tokenward/testing',
  ]) {
    try {
      resolved[name] = require.resolve(name);
    } catch {
      // not a dependency of this app
    }
  }
  process.stdout.write(`${JSON.stringify({ port, token, framework, resolved })}\n`);
}

module.exports = { report };
