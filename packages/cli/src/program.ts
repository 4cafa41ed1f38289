/**
 * The `tokenward` command line: one commander program, each command in its own module under
 * commands/.
 */
import { Command } from 'commander';
import { registerAuditVerify } from './commands/audit-verify';
import { registerDPoP } from './commands/dpop';
import { registerReport } from './commands/report';
import { PROCESS_IO, type CliIo } from './io';

/**
 * Builds the program; `bin.ts` runs it on `process.argv`, tests on their own arguments with a
 * captured {@link CliIo}.
 *
 * @param io Where output goes and how the exit code is set. Default: the process.
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'tokenward', 'audit', 'verify', ...files])
 * ```
 */
export function createProgram(io: CliIo = PROCESS_IO): Command {
  const program = new Command('tokenward')
    .description(
      'Verify tamper-evident audit trails, produce compliance reports, and make DPoP keys and proofs.',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const audit = program.command('audit').description('Work with audit trails.');
  registerAuditVerify(audit, io);
  registerReport(program, io);
  registerDPoP(program, io);
  return program;
}
