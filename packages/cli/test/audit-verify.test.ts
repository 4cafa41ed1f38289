/** `tokenward audit verify`: intact, tampered (first bad line named), usage errors; and the real binary once. */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, TOTAL_EVENTS, writeFixtureTrail, type TrailFixture, keyArgs } from './trail-fixture';

let trail: TrailFixture;
beforeAll(async () => {
  trail = await writeFixtureTrail();
});
afterAll(() => rmSync(trail.dir, { recursive: true, force: true }));

const keys = () => keyArgs(trail);

describe('tokenward audit verify', () => {
  it('reports an intact trail with exit code 0', async () => {
    const result = await run(['audit', 'verify', ...keys(), ...trail.files]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      new RegExp(
        `^intact: ${trail.files.length} files, ${TOTAL_EVENTS} events, \\d+ checkpoints, sealed\\n$`,
      ),
    );
  });

  it('names the first bad line of an edited trail, exit code 1; --json gives the verdict', async () => {
    const file = trail.files[1] as string;
    const original = readFileSync(file, 'utf8');
    try {
      const lines = original.split('\n');
      lines[3] = (lines[3] as string).replace('"status":', '"status":9');
      writeFileSync(file, lines.join('\n'));
      const result = await run(['audit', 'verify', ...keys(), ...trail.files]);
      expect(result.code).toBe(1);
      const name = file.split('/').at(-1) as string;
      expect(result.stdout.split('\n')[1]).toBe(
        `${name}:4: edited: the MAC of seq ${JSON.parse(lines[3] as string).seq} does not match: an edited line, or another chain key`,
      );
      const json = await run(['audit', 'verify', '--json', ...keys(), ...trail.files]);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        problems: [{ file: name, line: 4, kind: 'edited' }],
      });
    } finally {
      writeFileSync(file, original);
    }
  });

  it('usage errors: exit code 2 with one line', async () => {
    const noKeys = await run(['audit', 'verify', ...trail.files]);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/required option '--chain-key-file <path>' not specified/);
    const badKey = await run([
      'audit',
      'verify',
      '--chain-key-file',
      join(trail.dir, 'nope'),
      '--public-key-file',
      trail.publicKeyFile,
      ...trail.files,
    ]);
    expect(badKey).toMatchObject({ code: 2 });
    expect(badKey.stderr).toMatch(/--chain-key-file: cannot read .*nope \(ENOENT\)/);
  });

  it('the built binary runs (node packages/cli/dist/bin.js)', () => {
    const root = join(__dirname, '..', '..', '..');
    // An incremental build of the CLI and core, as `pnpm build` does.
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'],
      { cwd: root, stdio: 'pipe' },
    );
    const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
    const out = execFileSync(
      process.execPath,
      [bin, 'audit', 'verify', ...keys(), ...trail.files],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/^intact: /);
  }, 120_000);
});
