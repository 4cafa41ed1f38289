/**
 * Runs `tokenward` commands for the tests: in this process through `createProgram` with a
 * captured io (so the commands count towards coverage), or, with `binary: true`, as the built
 * binary (node packages/cli/dist/bin.js) run as a user runs it: its own process, arguments,
 * stdin, environment, exit code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createProgram, type CliIo } from '../src';

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

/** How {@link cli} runs a command. */
export interface CliOptions {
  /** Written to stdin (closed either way). */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run the built binary in its own process instead of `createProgram` in this one. */
  readonly binary?: boolean;
}

/**
 * Runs `tokenward` with `args`: in this process by default, as bin.ts would (commander's own
 * errors keep their message, anything else is one line and exit code 2); the built binary with
 * `binary: true`. Async, so a server in the test process keeps answering meanwhile.
 */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  if (options.binary === true || options.cwd !== undefined) return binary(args, options);
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: CliIo = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    exit: (c) => void (code = c),
    stdin: Readable.from([options.input ?? '']),
    ...(options.env !== undefined && { env: options.env }),
  };
  try {
    await createProgram(io)
      .exitOverride()
      .parseAsync(['node', 'tokenward', ...args]);
  } catch (error) {
    const commander = error as { code?: string; exitCode?: number; name?: string };
    if (commander.name === 'CommanderError') {
      // --help and --version end with code 0; usage errors with 2 (as bin.ts maps them).
      code = commander.exitCode === 0 ? 0 : 2;
    } else {
      const usage = (error as Error).name === 'UsageError';
      stderr += `tokenward: ${usage ? '' : 'error: '}${(error as Error).message}\n`;
      code = 2;
    }
  }
  return { code, stdout, stderr };
}

/** The built binary with `args`, in its own process. */
function binary(args: readonly string[], options: CliOptions): Promise<CliRun> {
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
  options?: CliOptions,
): Promise<CliRun & { json: T }> {
  const result = await cli(args, options);
  return { ...result, json: JSON.parse(result.stdout) as T };
}
