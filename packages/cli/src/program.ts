/**
 * The `tokenward` command line: one commander program, each command in its own module under
 * commands/.
 */
import { Command } from 'commander';
import { registerAuditVerify } from './commands/audit-verify';
import { registerReport } from './commands/report';

/**
 * Builds the program; `bin.ts` runs it on `process.argv`, tests run it on their own arguments.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'tokenward', 'audit', 'verify', ...files])
 * ```
 */
export function createProgram(): Command {
  const program = new Command('tokenward')
    .description('Verify tamper-evident audit trails and produce compliance reports.')
    .showHelpAfterError()
    .exitOverride();
  const audit = program.command('audit').description('Work with audit trails.');
  registerAuditVerify(audit);
  registerReport(program);
  return program;
}
