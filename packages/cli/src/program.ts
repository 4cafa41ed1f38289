/**
 * The `tokenward` command line: one commander program, each command in its own module under
 * commands/.
 */
import { Command } from 'commander';
import { registerAuditVerify } from './commands/audit-verify';
import { registerCompletion } from './commands/completion';
import { registerDecrypt } from './commands/decrypt';
import { registerDPoP } from './commands/dpop';
import { registerExplain } from './commands/explain';
import { registerInspect } from './commands/inspect';
import { registerJwks } from './commands/jwks';
import { registerKeygen } from './commands/keygen';
import { registerMint } from './commands/mint';
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
      'Verify tamper-evident audit trails, produce compliance reports, make keys, DPoP proofs and development tokens, and inspect, decrypt and explain tokens.',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const audit = program.command('audit').description('Work with audit trails.');
  registerAuditVerify(audit, io);
  registerReport(program, io);
  registerDPoP(program, io);
  registerKeygen(program, io);
  registerJwks(program, io);
  registerMint(program, io);
  registerInspect(program, io);
  registerDecrypt(program, io);
  registerExplain(program, io);
  // Last: the script lists every command registered before it.
  registerCompletion(program, io);
  return program;
}
