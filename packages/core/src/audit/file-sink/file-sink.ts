/**
 * `createFileAuditSink`: audit events as JSON lines in files that rotate by size and by UTC day,
 * each line chained to the previous one with a keyed MAC, with Ed25519-signed checkpoints and a
 * signed seal ending every file (line-format.ts). Edits, insertions, deletions, reordering,
 * truncation and missing files are then detectable by `verifyAuditTrail`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { WRITE_JSON_LINES, type JsonLinesSink } from '../audit-sink';
import { parseJSONObject } from '../../lib/parse-json-object';
import { ChainWorker } from './chain-worker';
import { readFileEnds } from './file-ends';
import { listTrailFiles, trailFileName, utcDay } from './file-names';
import { chainKeyFrom, ed25519From, type ChainKeyInput, type Ed25519KeyInput } from './key-input';
import {
  CHECKPOINT_LINE,
  chainLine,
  FILE_LINE,
  SEAL_LINE,
  signHead,
  splitLine,
} from './line-format';

/** Options of {@link createFileAuditSink}. */
export interface FileAuditSinkOptions {
  /** The folder of the trail (created when missing). */
  directory: string;
  /** File name prefix. Default `audit`. */
  prefix?: string;
  /** HMAC-SHA-256 key of the line chain, at least 32 bytes. Keep it out of the log host's reach. */
  chainKey: ChainKeyInput;
  /** Ed25519 private key that signs checkpoints and seals (verified with its public key). */
  signingKey: Ed25519KeyInput;
  /** Bytes after which the next batch opens a new file. Default 64 MiB. */
  maxFileBytes?: number;
  /** Start a new file when the UTC day changes. Default true. */
  rotateDaily?: boolean;
  /** Events between signed checkpoints. Default 1,000. */
  checkpointEvery?: number;
  /** Seconds after which a checkpoint is written when events were written since the last. Default 60. */
  checkpointInterval?: number;
  /**
   * Milliseconds the verifier's audit queue may hold events to write them in fuller batches (one
   * system call per batch). Default 50; 0 writes on every turn of the event loop. `flush()` and
   * `close()` never wait for it.
   */
  batchDelay?: number;
}

/** A file sink; `close()` seals the current file. */
export interface FileAuditSink extends JsonLinesSink {
  flush(): Promise<void>;
  close(): Promise<void>;
  /** The trail files this sink wrote or continued, in order (paths). */
  files(): readonly string[];
}

interface OpenFile {
  readonly handle: FileHandle;
  readonly path: string;
  readonly index: number;
  readonly day: string;
  size: number;
  lines: number;
}

/** The chain's state after the last line that reached the disk. */
interface ChainHead {
  trail: string;
  seq: number;
  mac: string;
  /** The name of the file the last line is in ('' before the first). */
  file: string;
}

/**
 * Creates a tamper-evident JSON-lines audit sink.
 *
 * After a restart it continues the trail found in `directory` (same trail id, next index, the
 * chain carried on from the last complete line) in a new file; a previous file left unsealed by
 * a crash is named in the new file's header (`recovered`).
 *
 * @throws TypeError naming a bad option.
 * @example
 * ```ts
 * const sink = createFileAuditSink({
 *   directory: '/var/log/api-audit',
 *   chainKey: process.env.AUDIT_CHAIN_KEY!,
 *   signingKey: readFileSync('/run/secrets/audit-ed25519.pem', 'utf8'),
 * })
 * createVerifier({ ...options, audit: { sink } })
 * ```
 */
export function createFileAuditSink(options: FileAuditSinkOptions): FileAuditSink {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createFileAuditSink: expected an options object');
  }
  const { directory } = options;
  if (typeof directory !== 'string' || directory === '') {
    throw new TypeError('directory: expected a folder path');
  }
  const prefix = options.prefix ?? 'audit';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new TypeError('prefix: expected 1-64 letters, digits, "_", "." or "-"');
  }
  const chainKey = chainKeyFrom(options.chainKey, 'chainKey');
  const signingKey = ed25519From(options.signingKey, 'private', 'signingKey');
  const maxFileBytes = positive(options.maxFileBytes, 'maxFileBytes', 64 * 1024 * 1024);
  const checkpointEvery = positive(options.checkpointEvery, 'checkpointEvery', 1000);
  const checkpointMs = positive(options.checkpointInterval, 'checkpointInterval', 60) * 1000;
  const batchDelay = options.batchDelay ?? 50;
  if (typeof batchDelay !== 'number' || !(batchDelay >= 0) || batchDelay > 10_000) {
    throw new TypeError('batchDelay: expected milliseconds between 0 and 10000');
  }
  const rotateDaily = options.rotateDaily ?? true;
  if (typeof rotateDaily !== 'boolean') throw new TypeError('rotateDaily: expected a boolean');

  const written: string[] = [];
  let head: ChainHead | undefined;
  let current: OpenFile | undefined;
  /** The index of the last file this sink opened. */
  let lastIndex = -1;
  let sinceCheckpoint = 0;
  let lastCheckpointAt = Date.now();
  let closed = false;
  // Writes, checkpoints and closing run one at a time, in call order, even when the queue
  // abandoned a stalled write and went on.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = chain.then(task, task);
    chain = run.catch(() => undefined);
    return run;
  };

  // Event lines are MACed on a worker thread; the few control lines (headers, checkpoints,
  // seals) are chained here, where their signatures are made.
  const chainer = new ChainWorker(chainKey);

  /** Lines appended to a batch under construction; state is committed only after the write. */
  const draft = (start: ChainHead) => {
    const lines: string[] = [];
    let { seq, mac } = start;
    const add = (value: Record<string, unknown>) => {
      const next = chainLine(chainKey, mac, value, seq);
      lines.push(next.line);
      mac = next.mac;
      seq += 1;
    };
    const signed = (type: string, fields: Record<string, unknown>) =>
      add({
        type,
        trail: start.trail,
        ...fields,
        sig: signHead(signingKey, type, start.trail, seq, mac),
      });
    return {
      add,
      signed,
      count: () => lines.length,
      text: () => (lines.length === 0 ? '' : `${lines.join('\n')}\n`),
      state: () => ({ ...start, seq, mac }),
    };
  };

  /** Appends `lines` lines of `text` to `file`, then takes `state` as the chain head. */
  const commit = async (file: OpenFile, text: string, lines: number, state: ChainHead) => {
    try {
      // At the file's end as this sink knows it, so a write cut back after a failure leaves no gap.
      await file.handle.write(text, file.size);
    } catch (error) {
      await cutBack(file);
      throw error;
    }
    committed(file, Buffer.byteLength(text), lines, state);
  };

  const committed = (file: OpenFile, bytes: number, lines: number, state: ChainHead) => {
    file.size += bytes;
    file.lines += lines;
    head = { ...state, file: file.path };
  };

  /** Never leaves half a line behind: cuts the file back to its last complete line. */
  const cutBack = (file: OpenFile) => file.handle.truncate(file.size).catch(() => undefined);

  /** The chain head to continue: this sink's, else the last complete line in the directory. */
  const resume = async (): Promise<{ head: ChainHead; index: number; recovered?: string }> => {
    if (head !== undefined) return { head, index: lastIndex + 1 };
    const names = await listTrailFiles(directory, prefix);
    const last = names.at(-1);
    if (last === undefined)
      return { head: { trail: randomUUID(), seq: 0, mac: '', file: '' }, index: 0 };
    const ends = await readFileEnds(join(directory, last));
    const lastLine = ends?.last;
    const parts = lastLine === undefined ? undefined : splitLine(lastLine);
    const first = ends === undefined ? undefined : parseJSONObject(ends.first);
    const lastParsed = lastLine === undefined ? undefined : parseJSONObject(lastLine);
    const index = Number(/-(\d+)\.jsonl$/.exec(last)?.[1] ?? '0') + 1;
    if (
      parts === undefined ||
      typeof first?.trail !== 'string' ||
      typeof lastParsed?.seq !== 'number'
    ) {
      // The last file is unreadable (empty, or its end is garbage): a new trail begins, and a
      // verifier of the old one reports its end.
      return { head: { trail: randomUUID(), seq: 0, mac: '', file: '' }, index, recovered: last };
    }
    const sealed = lastParsed.type === SEAL_LINE;
    return {
      head: { trail: first.trail, seq: lastParsed.seq + 1, mac: parts.mac, file: last },
      index,
      ...(!sealed && { recovered: last }),
    };
  };

  /** Opens the next file and writes its header. */
  const openNext = async (now: number): Promise<OpenFile> => {
    await mkdir(directory, { recursive: true });
    const { head: start, index, recovered } = await resume();
    const day = utcDay(now);
    const path = join(directory, trailFileName(prefix, day, index));
    const handle = await open(path, 'wx');
    const file: OpenFile = { handle, path, index, day, size: 0, lines: 0 };
    const d = draft(start);
    d.add({
      type: FILE_LINE,
      trail: start.trail,
      index,
      created: new Date(now).toISOString(),
      previous: start.file === '' ? null : basename(start.file),
      // The chain head this file continues: a trail whose older files were removed (retention)
      // is still verifiable from here.
      head: start.mac,
      ...(recovered !== undefined && { recovered }),
    });
    try {
      await commit(file, d.text(), d.count(), d.state());
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    written.push(path);
    lastIndex = index;
    return file;
  };

  /** Seals and closes the current file. */
  const seal = async (reason: 'rotate' | 'close') => {
    const file = current;
    if (file === undefined || head === undefined) return;
    const d = draft(head);
    d.signed(SEAL_LINE, { reason, file: file.index, lines: file.lines + 1 });
    await commit(file, d.text(), d.count(), d.state());
    await file.handle.datasync().catch(() => undefined);
    await file.handle.close();
    current = undefined;
    sinceCheckpoint = 0;
  };

  /** Writes `count` events given as JSON text, one per line. */
  const writeBatch = async (jsons: string, count: number) => {
    if (closed) throw new Error('the audit file sink is closed');
    const now = Date.now();
    if (current !== undefined) {
      const dayChanged = rotateDaily && utcDay(now) !== current.day;
      if (dayChanged || current.size >= maxFileBytes) await seal('rotate');
    }
    const file = (current ??= await openNext(now));
    const start = head as ChainHead;
    // The events arrive as JSON text, one per line; they are chained and written on the worker.
    if (count > 0) {
      let chained;
      try {
        chained = await chainer.append(
          { fd: file.handle.fd, position: file.size },
          start.mac,
          start.seq,
          jsons,
        );
      } catch (error) {
        await cutBack(file);
        throw error;
      }
      committed(file, chained.written, count, {
        ...start,
        seq: chained.seq,
        mac: chained.mac,
      });
    }
    sinceCheckpoint += count;
    if (sinceCheckpoint >= checkpointEvery || now - lastCheckpointAt >= checkpointMs) {
      // One batch in `checkpointEvery` events also writes a signed checkpoint, from this thread.
      // The batch's events are on disk by now: a checkpoint that fails to write loses none of
      // them, and is due again with the next batch.
      await checkpoint(file, now).catch(() => undefined);
    }
  };

  /** Writes a signed checkpoint of the chain head into `file`; then none is due. */
  const checkpoint = async (file: OpenFile, now: number) => {
    const d = draft(head as ChainHead);
    d.signed(CHECKPOINT_LINE, { file: file.index, time: new Date(now).toISOString() });
    await commit(file, d.text(), d.count(), d.state());
    sinceCheckpoint = 0;
    lastCheckpointAt = now;
  };

  // A quiet trail still gets its checkpoint within checkpointInterval of its last events.
  const timer = setInterval(
    () => {
      if (
        sinceCheckpoint > 0 &&
        current !== undefined &&
        Date.now() - lastCheckpointAt >= checkpointMs
      ) {
        void serial(async () => {
          if (current === undefined || head === undefined || sinceCheckpoint === 0) return;
          await checkpoint(current, Date.now());
        }).catch(() => undefined);
      }
    },
    Math.min(checkpointMs, 60_000),
  );
  timer.unref();

  return {
    batchDelay,
    write: (events) =>
      serial(() => writeBatch(events.map((e) => JSON.stringify(e)).join('\n'), events.length)),
    [WRITE_JSON_LINES]: (jsons, count) => serial(() => writeBatch(jsons, count)),
    flush: () =>
      serial(async () => {
        await current?.handle.datasync();
      }),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        try {
          await seal('close');
        } finally {
          await chainer.close();
        }
      }),
    files: () => [...written],
  };
}

function positive(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${option}: expected a number greater than 0`);
  }
  return value;
}
