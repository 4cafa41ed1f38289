/** `tokenward audit verify <files…>`: is the trail intact? */
import type { Command } from 'commander';
import { verifyAuditTrail } from '@tokenward/core';
import type { CliIo } from '../io';
import { readTrailKeys } from '../keys';

/** Options of `audit verify`. */
interface VerifyFlags {
  chainKeyFile: string;
  publicKeyFile: string;
  allowUnsealed?: boolean;
  allowMissingStart?: boolean;
  json?: boolean;
}

/**
 * Adds `verify` to the `audit` command. Exit code 0: intact; 1: a problem was found (the first
 * bad line is printed first, as `file:line: kind: message`); 2: usage or unreadable keys.
 *
 * @example `tokenward audit verify --chain-key-file chain.key --public-key-file audit.pub.pem trail/*.jsonl`
 */
export function registerAuditVerify(audit: Command, io: CliIo): void {
  audit
    .command('verify')
    .description('Check a tamper-evident audit trail: every line, checkpoint, seal and file.')
    .argument('<files...>', 'trail files (sorted by name: the sink names them in sequence order)')
    .requiredOption('--chain-key-file <path>', 'file holding the chain key the sink was given')
    .requiredOption('--public-key-file <path>', 'Ed25519 public key (PEM) of the signing key')
    .option('--allow-unsealed', 'accept an unsealed last file (a trail still being written)')
    .option('--allow-missing-start', 'accept a trail whose first files were removed (retention)')
    .option('--json', 'print the verdict as JSON')
    .action(async (files: string[], flags: VerifyFlags) => {
      const keys = readTrailKeys(flags);
      const verdict = await verifyAuditTrail(files, {
        ...keys,
        allowUnsealed: flags.allowUnsealed === true,
        allowMissingStart: flags.allowMissingStart === true,
      });
      if (flags.json === true) io.stdout(`${JSON.stringify(verdict, null, 2)}\n`);
      else {
        const summary = `${verdict.files} files, ${verdict.events} events, ${verdict.checkpoints} checkpoints`;
        if (verdict.ok) {
          io.stdout(`intact: ${summary}${verdict.sealed ? ', sealed' : ', not sealed (live)'}\n`);
        } else {
          io.stdout(`TAMPERED: ${verdict.problems.length} problem(s) in ${summary}\n`);
          for (const p of verdict.problems.slice(0, 20)) {
            io.stdout(`${p.file}:${p.line}: ${p.kind}: ${p.message}\n`);
          }
        }
        for (const w of verdict.warnings) io.stdout(`warning: ${w.file}:${w.line}: ${w.message}\n`);
      }
      io.exit(verdict.ok ? 0 : 1);
    });
}
