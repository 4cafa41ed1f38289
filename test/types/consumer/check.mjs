#!/usr/bin/env node
/**
 * Consumer type check: compiles small TypeScript consumers against every package's BUILT
 * declarations (packages/<name>/dist, reached through the packages' `exports` exactly as an
 * installed dependency is) with the lowest supported TypeScript and with the current one, under
 * `module` node16, nodenext and `moduleResolution` bundler. Run after `pnpm build`.
 *
 * Floors it proves (see the root README, "Requirements"):
 * - @tokenward/core, /express, /testing: TypeScript ≥ 5.3 under node16, nodenext and bundler
 *   (the .d.ts use `resolution-mode` import attributes, TS 5.3 syntax, to name ESM-only types).
 * - @tokenward/nest: TypeScript ≥ 5.3 under bundler, ≥ 5.8 under nodenext (NestJS 12 is ESM-only:
 *   a CommonJS declaration can import it only where TypeScript models require(esm)); node16 cannot
 *   import NestJS 12 from CommonJS at all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const packages = ['core', 'express', 'nest', 'testing'];
const require = createRequire(join(root, 'package.json'));

const COMMON = ['node16', 'nodenext', 'bundler'];
const runs = [
  { compiler: 'typescript53', configs: [...COMMON, 'nest-bundler'] },
  { compiler: 'typescript58', configs: ['nest-nodenext'] },
  { compiler: 'typescript', configs: [...COMMON, 'nest-nodenext', 'nest-bundler'] },
];

for (const name of packages) {
  if (!existsSync(join(root, 'packages', name, 'dist', 'index.d.ts'))) {
    console.error(`packages/${name}/dist/index.d.ts is missing: run \`pnpm build\` first.`);
    process.exit(1);
  }
}

// node_modules/@tokenward/<name> → packages/<name>, as a package manager links a dependency. The
// packages' own dependencies (jose, NestJS, @types/express) resolve from their real paths.
const scope = join(here, 'node_modules', '@tokenward');
rmSync(scope, { recursive: true, force: true });
mkdirSync(scope, { recursive: true });
for (const name of packages) {
  symlinkSync(relative(scope, join(root, 'packages', name)), join(scope, name), 'dir');
}

let failed = 0;
for (const { compiler, configs } of runs) {
  const tsc = require.resolve(`${compiler}/bin/tsc`);
  const version = execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).trim();
  for (const config of configs) {
    const started = Date.now();
    let output;
    let ok = true;
    try {
      output = execFileSync(
        process.execPath,
        [tsc, '-p', `tsconfig.${config}.json`, '--listFiles'],
        {
          cwd: here,
          encoding: 'utf8',
        },
      );
    } catch (error) {
      output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
      ok = false;
    }
    // The consumer must see the built declarations, never the sources (the `@tokenward/source`
    // export condition is the monorepo's own, unknown to a consumer).
    const files = output.split('\n').map((line) => line.trim());
    const fromSource = files.filter((file) => /\/packages\/[a-z]+\/src\//.test(file));
    const fromDist = files.filter((file) => /\/packages\/[a-z]+\/dist\/index\.d\.ts$/.test(file));
    if (ok && (fromSource.length > 0 || fromDist.length === 0)) {
      ok = false;
      output = `expected packages/*/dist/index.d.ts in the program and no sources; sources: ${fromSource.join(', ')}`;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${version.padEnd(18)} tsconfig.${config}.json (${seconds} s)`,
    );
    if (!ok) {
      failed += 1;
      console.log(
        output
          .split('\n')
          .filter((line) => line.includes('error') || line.startsWith('expected'))
          .join('\n'),
      );
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
