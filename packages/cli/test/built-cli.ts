/**
 * The built `tokenward` binary (node packages/cli/dist/bin.js), run as a user runs it: its own
 * process, arguments, stdin, environment, exit code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'packages', 'cli', 'dist', 'bin.js');

/** An incremental build of the CLI and core, as `pnpm build` does. */
export function buildCli(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

/** What one run of the binary gave. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built binary with `args`; `input` is written to its stdin (closed either way). Async,
 * so a server in the test process keeps answering while the binary runs.
 */
export function cli(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => void (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => void (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs the binary and parses its stdout as JSON. */
export async function cliJson<T = Record<string, unknown>>(
  args: readonly string[],
  options?: Parameters<typeof cli>[1],
): Promise<CliRun & { json: T }> {
  const result = await cli(args, options);
  return { ...result, json: JSON.parse(result.stdout) as T };
}
