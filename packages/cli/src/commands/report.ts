/** `tokenward report`: the compliance report from audit trail files. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError, type CliIo } from '../io';
import { readTrailKeys } from '../keys';
import { readKeyStates } from '../report/key-states';
import { buildComplianceReport } from '../report/read-report';
import { renderHtml } from '../report/render-html';
import { renderMarkdown } from '../report/render-markdown';

interface ReportFlags {
  from?: string;
  to?: string;
  format: string;
  out?: string;
  chainKeyFile?: string;
  publicKeyFile?: string;
  maxTokenLifetime?: string;
  top?: string;
  keyStates?: string;
}

const date = (value: string | undefined, option: string): Date | undefined => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${option}: not an ISO 8601 date or time: ${value}`);
  return new Date(ms);
};

const whole = (value: string | undefined, option: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${option}: expected a whole number of at least 1`);
  return n;
};

/**
 * Adds `report`. Exit code 0: written; 1: written, but the chain check found tampering; 2: usage
 * or I/O error.
 *
 * @example `tokenward report --format html --out report.html --from 2026-11-01 --to 2026-12-01 trail/*.jsonl`
 */
export function registerReport(program: Command, io: CliIo): void {
  program
    .command('report')
    .description('Compliance report (HTML, Markdown or JSON) from audit trail files, streamed.')
    .argument('<files...>', 'audit trail files')
    .option('--from <time>', 'first instant included (ISO 8601)')
    .option('--to <time>', 'first instant excluded (ISO 8601)')
    .option('--format <format>', 'html, md or json', 'html')
    .option('--out <file>', 'write here instead of stdout')
    .option('--chain-key-file <path>', 'check the chain with this key (with --public-key-file)')
    .option('--public-key-file <path>', 'Ed25519 public key (PEM) of the trail')
    .option('--max-token-lifetime <seconds>', 'the lifetime policy to count tokens against')
    .option('--top <n>', 'rows in each top-N table', '20')
    .option(
      '--key-states <file>',
      "the decryption key configuration (kid, state, until), for each key's rotation state",
    )
    .action(async (files: string[], flags: ReportFlags) => {
      if (!['html', 'md', 'json'].includes(flags.format)) {
        throw new UsageError(`--format: expected html, md or json, not ${flags.format}`);
      }
      if ((flags.chainKeyFile === undefined) !== (flags.publicKeyFile === undefined)) {
        throw new UsageError('--chain-key-file and --public-key-file go together');
      }
      const from = date(flags.from, '--from');
      const to = date(flags.to, '--to');
      if (from && to && from >= to) throw new UsageError('--from must be before --to');
      const maxTokenLifetime = whole(flags.maxTokenLifetime, '--max-token-lifetime');
      const keys =
        flags.chainKeyFile !== undefined && flags.publicKeyFile !== undefined
          ? readTrailKeys({ chainKeyFile: flags.chainKeyFile, publicKeyFile: flags.publicKeyFile })
          : undefined;
      const report = await buildComplianceReport(files, {
        ...(from && { from }),
        ...(to && { to }),
        ...(maxTokenLifetime !== undefined && { maxTokenLifetime }),
        ...(keys && { keys }),
        ...(flags.keyStates !== undefined && { keyStates: readKeyStates(flags.keyStates) }),
        top: whole(flags.top, '--top') ?? 20,
      });
      const text =
        flags.format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : flags.format === 'md'
            ? renderMarkdown(report)
            : renderHtml(report);
      if (flags.out !== undefined) {
        try {
          writeFileSync(flags.out, text);
        } catch (error) {
          throw new UsageError(
            `--out: cannot write ${flags.out} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          );
        }
      } else io.stdout(text);
      io.exit(report.integrity.checked && !report.integrity.ok ? 1 : 0);
    });
}
