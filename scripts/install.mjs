#!/usr/bin/env node
/* global process, console */
// Installs the workspace's locked dependencies (`pnpm install --frozen-lockfile`). pkcs11js, the
// native addon of @tokenward/pkcs11, is compiled by node-gyp during the install; node-gyp needs
// the running Node's headers and downloads them from nodejs.org unless told where they are. When
// this Node ships its headers (a distribution package's /usr/include/node, an official tarball's
// include/node) or npm is configured with a `nodedir`, node-gyp is pointed there, so the install
// works offline from nodejs.org. Otherwise node-gyp downloads them as usual.
//
//   node scripts/install.mjs [more pnpm install options]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** npm's configured nodedir, when it names one. */
function npmNodedir() {
  try {
    const value = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
    return value === '' || value === 'undefined' || value === 'null' ? undefined : value;
  } catch {
    return undefined;
  }
}

const candidates = [
  process.env.npm_config_nodedir,
  npmNodedir(),
  dirname(dirname(process.execPath)),
].filter((dir) => typeof dir === 'string' && dir !== '');
const nodedir = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
if (nodedir !== undefined) console.log(`node-gyp uses the Node headers in ${nodedir}`);
const result = spawnSync('pnpm', ['install', '--frozen-lockfile', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: nodedir === undefined ? process.env : { ...process.env, npm_config_nodedir: nodedir },
});
process.exit(result.status ?? 1);
