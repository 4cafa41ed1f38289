/** Where the commands write and how they end: the process by default, a capture in tests. */

/** Output and exit of a command run. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Sets the exit code (0 ok, 1 a finding such as a tampered trail, 2 a usage or I/O error). */
  exit(code: number): void;
  /** What `-` reads. Default: the process's stdin. */
  readonly stdin?: NodeJS.ReadableStream;
  /** The environment `explain --env` reads. Default: the process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The process's streams and `process.exitCode`. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  exit: (code) => {
    process.exitCode = code;
  },
};

/** A failure the user can fix (a missing file, a bad option): one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
