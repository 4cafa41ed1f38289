/**
 * `verifyAuditTrail`: checks a trail written by the file sink, line by line, streaming. Every line
 * must carry the next sequence number and the MAC chained from the line before; every file must
 * start with its header and end with a signed seal; checkpoints and seals must carry a valid
 * Ed25519 signature; files must follow each other without a gap. The first problem names its
 * file and line.
 */
import { basename } from 'node:path';
import { AUDIT_SCHEMA } from '../audit-event';
import { chainKeyFrom, ed25519From } from '../file-sink/key-input';
import {
  CHECKPOINT_LINE,
  FILE_LINE,
  lineMac,
  SEAL_LINE,
  splitLine,
  verifyHead,
} from '../file-sink/line-format';
import { MAX_AUDIT_LINE_CHARS, readAuditLines } from './line-reader';
import { parseJSONObject } from '../../lib/parse-json-object';
import type {
  AuditTrailProblem,
  AuditTrailProblemKind,
  AuditTrailVerdict,
  AuditTrailVerifyOptions,
} from './verdict';

/**
 * Verifies trail files (sorted by name: the sink's names sort in sequence order).
 *
 * @throws TypeError for bad keys; the read error of a file that cannot be read is a
 *   `missing_file` problem, not a throw.
 * @example
 * ```ts
 * const verdict = await verifyAuditTrail(files, { chainKey, publicKey })
 * if (!verdict.ok) console.error(verdict.problems[0])
 * ```
 */
export async function verifyAuditTrail(
  files: readonly string[],
  options: AuditTrailVerifyOptions,
): Promise<AuditTrailVerdict> {
  const chainKey = chainKeyFrom(options.chainKey, 'chainKey');
  const publicKey = ed25519From(options.publicKey, 'public', 'publicKey');
  const maxProblems = options.maxProblems ?? 100;
  const problems: AuditTrailProblem[] = [];
  const report = (file: string, line: number, kind: AuditTrailProblemKind, message: string) => {
    if (problems.length < maxProblems) problems.push({ file: basename(file), line, kind, message });
  };
  const sorted = [...files].sort((a, b) => basename(a).localeCompare(basename(b)));

  let events = 0;
  let checkpoints = 0;
  let signedThrough = -1;
  let trail: string | undefined;
  // The chain: the MAC and sequence number the next line must continue.
  let head: string | undefined;
  let expected = 0;
  let previousIndex: number | undefined;
  let lastSeal: { reason: unknown } | undefined;
  /** A non-last file that ended without a seal, until the next file's header explains it. */
  let unsealed: { path: string; name: string; line: number } | undefined;
  const warnings: AuditTrailProblem[] = [];
  /** A line whose sequence number jumped ahead, kept one line to tell a swap from a deletion. */
  let pending:
    { file: string; line: number; seq: number; mac: string; expected: number } | undefined;

  for (const file of sorted) {
    let first = true;
    let sealedHere = false;
    let linesHere = 0;
    try {
      for await (const entry of readAuditLines([file], MAX_AUDIT_LINE_CHARS)) {
        linesHere = entry.line;
        if (sealedHere) {
          report(file, entry.line, 'inserted', 'a line after the seal of its file');
          sealedHere = false;
        }
        if (entry.text === undefined) {
          report(
            file,
            entry.line,
            'malformed',
            `a line longer than ${MAX_AUDIT_LINE_CHARS} characters`,
          );
          continue;
        }
        const parts = splitLine(entry.text);
        const value = parts === undefined ? undefined : parseJSONObject(entry.text);
        if (parts === undefined || value === undefined || typeof value.seq !== 'number') {
          report(
            file,
            entry.line,
            'malformed',
            'not a line of a tokenward audit trail (JSON with seq and mac)',
          );
          continue;
        }
        const seq = value.seq;
        if (first) {
          first = false;
          if (
            value.type !== FILE_LINE ||
            typeof value.index !== 'number' ||
            typeof value.head !== 'string'
          ) {
            report(
              file,
              entry.line,
              'missing_file',
              'the file does not start with its header line',
            );
          } else {
            const index = value.index;
            if (previousIndex === undefined) {
              if (index !== 0 && !options.allowMissingStart) {
                report(
                  file,
                  0,
                  'missing_file',
                  `the trail starts at file index ${index}: earlier files are missing`,
                );
              }
            } else if (index !== previousIndex + 1) {
              report(
                file,
                0,
                'missing_file',
                `file index ${index} follows index ${previousIndex}: a file is missing`,
              );
            } else if (unsealed !== undefined) {
              // The file before ended without a seal. After a crash the sink's next start names
              // it as `recovered` and continues from its last line: a warning. Otherwise its tail
              // was cut.
              if (value.recovered === unsealed.name && value.head === head) {
                warnings.push({
                  file: unsealed.name,
                  line: unsealed.line,
                  kind: 'unsealed',
                  message:
                    'the file ends without its seal (the writer stopped without closing); the next file continues its chain',
                });
              } else {
                report(
                  unsealed.path,
                  unsealed.line,
                  'truncated',
                  'the file ends without its seal: its tail was removed',
                );
              }
            } else if (value.head !== head) {
              report(
                file,
                entry.line,
                'missing_file',
                'the file does not continue the chain of the file before it',
              );
            }
            if (trail !== undefined && value.trail !== trail) {
              report(file, entry.line, 'edited', 'the file belongs to another trail');
            }
            if (typeof value.trail === 'string') trail = value.trail;
            previousIndex = index;
            unsealed = undefined;
            // The header states the chain head it continues (its own MAC vouches for that): each
            // file is checked from there, so one problem does not hide the next file's.
            pending = undefined;
            head = value.head;
            expected = seq;
          }
        }
        if (pending !== undefined) {
          const jumped = pending;
          pending = undefined;
          // Resume after the line that jumped ahead.
          head = jumped.mac;
          expected = jumped.seq + 1;
          if (seq === jumped.expected) {
            report(
              jumped.file,
              jumped.line,
              'reordered',
              `seq ${jumped.seq} comes before seq ${seq}: lines are out of order`,
            );
            continue;
          }
          report(
            jumped.file,
            jumped.line,
            'deleted',
            `seq ${jumped.expected} expected, found seq ${jumped.seq}: lines were deleted`,
          );
        }
        if (seq > expected) {
          // Decided on the next line: a swap puts the skipped line right after it.
          pending = { file, line: entry.line, seq, mac: parts.mac, expected };
          continue;
        }
        if (seq < expected) {
          report(
            file,
            entry.line,
            'inserted',
            `seq ${seq} again after seq ${expected - 1}: an inserted or copied line`,
          );
          continue;
        }
        if (lineMac(chainKey, head ?? '', parts.body) !== parts.mac) {
          report(
            file,
            entry.line,
            'edited',
            `the MAC of seq ${seq} does not match: an edited line, or another chain key`,
          );
        }
        const previousHead = head ?? '';
        head = parts.mac;
        expected = seq + 1;
        // What the line is.
        if (value.type === CHECKPOINT_LINE || value.type === SEAL_LINE) {
          const signature = typeof value.sig === 'string' ? value.sig : '';
          if (
            !verifyHead(publicKey, value.type, String(value.trail), seq, previousHead, signature)
          ) {
            report(
              file,
              entry.line,
              'bad_signature',
              `the ${value.type === SEAL_LINE ? 'seal' : 'checkpoint'} signature does not verify`,
            );
          } else {
            signedThrough = seq;
          }
          if (value.type === CHECKPOINT_LINE) checkpoints += 1;
          else {
            sealedHere = true;
            lastSeal = { reason: value.reason };
            if (value.lines !== entry.line) {
              report(
                file,
                entry.line,
                'truncated',
                `the seal counts ${String(value.lines)} lines, the file has ${entry.line}`,
              );
            }
          }
        } else if (value.type === undefined) {
          if (value.schema !== AUDIT_SCHEMA) {
            report(
              file,
              entry.line,
              'wrong_schema',
              `schema ${JSON.stringify(value.schema)} is not ${AUDIT_SCHEMA}`,
            );
          } else {
            events += 1;
          }
        }
      }
    } catch (error) {
      report(
        file,
        0,
        'missing_file',
        `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
      continue;
    }
    if (pending !== undefined) {
      report(
        pending.file,
        pending.line,
        'deleted',
        `seq ${pending.expected} expected, found seq ${pending.seq}: lines were deleted`,
      );
      head = pending.mac;
      expected = pending.seq + 1;
      pending = undefined;
    }
    const last = file === sorted.at(-1);
    if (!sealedHere && !last) {
      // Decided at the next file's header (a crash restart, or a cut tail).
      unsealed = { path: file, name: basename(file), line: linesHere + 1 };
    }
    if (last) {
      if (!sealedHere && !options.allowUnsealed) {
        report(
          file,
          linesHere + 1,
          'unsealed',
          'the last file is not sealed: a live trail, or its tail was removed',
        );
      }
      if (sealedHere && lastSeal?.reason === 'rotate') {
        report(
          file,
          0,
          'missing_file',
          'the last file was sealed for rotation: the files after it are missing',
        );
      }
    }
    if (!sealedHere) lastSeal = undefined;
  }
  return {
    ok: problems.length === 0,
    files: sorted.length,
    events,
    checkpoints,
    sealed: lastSeal?.reason === 'close',
    signedThrough,
    problems,
    warnings,
  };
}
