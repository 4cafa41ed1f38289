// Packs every package under packages/ (as `pnpm publish` would: workspace: ranges replaced,
// publishConfig applied) and checks each tarball holds what its manifest promises, and nothing
// that would dangle once it leaves the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} tarball @param {string} entry @returns {string} */
const readEntry = (tarball, entry) =>
  execFileSync('tar', ['xzf', tarball, '-O', `package/${entry}`], { encoding: 'utf8' });

/** Every file path a manifest's `main`, `types` and `exports` point at. */
function manifestTargets(manifest) {
  const targets = [manifest.main, manifest.types];
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  return targets.filter((target) => typeof target === 'string' && !target.includes('*'));
}

/**
 * Checks one packed tarball; returns its problems (empty when it is publishable).
 * @param {string} tarball path of the .tgz
 * @param {string} packageDir the package's folder in the repository
 * @param {string} license the root LICENSE text
 */
export function checkTarball(tarball, packageDir, license) {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
  const problems = [];
  const shipped = new Set(files);
  for (const file of files) {
    if (file.endsWith('.tsbuildinfo')) problems.push(`${file}: build state is not for consumers`);
    // Maps would point at src/, which is not shipped.
    if (file.endsWith('.map')) problems.push(`${file}: a source map without its sources`);
    if (!/^(package\.json|LICENSE|README\.md|dist\/.+\.(js|d\.ts))$/.test(file)) {
      problems.push(`${file}: not part of the published surface (dist, LICENSE, README.md)`);
    }
    // tsc -b never deletes outputs of removed sources: rebuild from an empty dist/ to drop them.
    const source = file.match(/^dist\/(.+?)(\.d)?\.js$|^dist\/(.+)\.d\.ts$/);
    const stem = source && (source[1] ?? source[3]);
    if (stem && !existsSync(join(packageDir, 'src', `${stem}.ts`))) {
      problems.push(
        `${file}: built from a source that no longer exists (stale; rm -rf dist, rebuild)`,
      );
    }
  }
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!shipped.has(required)) problems.push(`${required}: missing`);
  }
  if (shipped.has('LICENSE') && readEntry(tarball, 'LICENSE') !== license) {
    problems.push('LICENSE: differs from the repository LICENSE');
  }
  const manifest = JSON.parse(readEntry(tarball, 'package.json'));
  const text = JSON.stringify(manifest);
  if (text.includes('workspace:'))
    problems.push('package.json: a workspace: range survived packing');
  if (text.includes('@tokenward/source') || text.includes('./src/')) {
    problems.push('package.json: points at unshipped sources (@tokenward/source, ./src)');
  }
  // publishConfig.exports replaces exports at pack time: it must be exports minus the source
  // condition, or a subpath the packages use (say "./internal") vanishes from the published manifest.
  const local = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).exports;
  const expected = JSON.stringify(local, (key, value) =>
    key === '@tokenward/source' ? undefined : value,
  );
  if (JSON.stringify(manifest.exports) !== expected) {
    problems.push(
      `package.json: published exports ${JSON.stringify(manifest.exports)} differ from exports without the source condition ${expected}`,
    );
  }
  for (const target of manifestTargets(manifest)) {
    if (!shipped.has(target.replace(/^\.\//, '')))
      problems.push(`${target}: exported but not shipped`);
  }
  const repository = manifest.repository ?? {};
  if (repository.directory !== `packages/${packageDir.split('/').pop()}`) {
    problems.push('package.json: repository.directory does not name the package folder');
  }
  for (const field of ['license', 'homepage', 'bugs', 'engines']) {
    if (manifest[field] === undefined) problems.push(`package.json: no ${field}`);
  }
  return { name: manifest.name, version: manifest.version, files, problems };
}

/**
 * Packs every workspace package into `destination` and checks each tarball.
 * @param {string} root the repository root
 * @param {string} destination an empty directory for the tarballs
 * @returns {Map<string, { tarball: string, files: string[], problems: string[] }>} by package name
 */
export function packAll(root, destination) {
  execFileSync(
    'pnpm',
    ['-r', '--filter', './packages/*', 'pack', '--pack-destination', destination],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  const results = new Map();
  for (const dir of readdirSync(join(root, 'packages'))) {
    const packageDir = join(root, 'packages', dir);
    const { name, version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    const tarball = join(destination, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    results.set(name, { tarball, ...checkTarball(tarball, packageDir, license) });
  }
  return results;
}
