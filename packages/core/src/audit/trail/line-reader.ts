/**
 * A streaming, memory-bounded line reader for audit trails: a file of any size is read in chunks,
 * and a line longer than the cap is reported as too long and skipped to its newline without ever
 * being held whole (a hostile 10 GB line costs one chunk of memory).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** The longest line the reader hands over, in characters. Default of {@link readAuditLines}. */
export const MAX_AUDIT_LINE_CHARS = 1024 * 1024;

/** One line of a trail file. */
export interface AuditLine {
  readonly file: string;
  /** 1-based line number in the file. */
  readonly line: number;
  /** The line without its newline; absent when it was too long. */
  readonly text?: string;
  /** True for a line over the cap (its text is not read). */
  readonly tooLong?: boolean;
}

/**
 * The lines of `files`, in order, file after file.
 *
 * @param files Paths, read in the order given.
 * @param maxLineChars Lines longer than this are reported `tooLong`.
 * @throws the read error of a missing or unreadable file (ENOENT, EACCES), when it is reached.
 * @example
 * ```ts
 * for await (const { file, line, text } of readAuditLines(['audit-20261202-000000.jsonl'])) { … }
 * ```
 */
export async function* readAuditLines(
  files: readonly string[],
  maxLineChars = MAX_AUDIT_LINE_CHARS,
): AsyncGenerator<AuditLine> {
  for (const file of files) yield* readFileLines(file, maxLineChars);
}

async function* readFileLines(file: string, max: number): AsyncGenerator<AuditLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  let line = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
    let text = decoder.write(chunk as Buffer);
    while (text.length > 0) {
      const newline = text.indexOf('\n');
      if (newline < 0) {
        if (!skipping) {
          pending += text;
          if (pending.length > max) {
            pending = '';
            skipping = true;
          }
        }
        break;
      }
      const piece = text.slice(0, newline);
      text = text.slice(newline + 1);
      line += 1;
      if (skipping || pending.length + piece.length > max) {
        yield { file, line, tooLong: true };
      } else {
        yield { file, line, text: pending + piece };
      }
      pending = '';
      skipping = false;
    }
  }
  const rest = pending + decoder.end();
  if (skipping) yield { file, line: line + 1, tooLong: true };
  else if (rest !== '') yield { file, line: line + 1, text: rest };
}
