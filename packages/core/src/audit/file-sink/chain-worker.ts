/**
 * The audit file sink's event lines, chained and written on a worker thread, off the event loop.
 *
 * Every event line costs one HMAC-SHA-256 (about 2 µs in Node 20, most of it the `Hmac` object)
 * plus the string work around it and a write: several microseconds per request on the thread
 * that serves requests, for a chain that only has to be on disk a little later. The worker
 * receives a batch of serialised events, the chain head before them, the file's descriptor and
 * the offset to write at; it chains the lines, writes them itself (a blocking write on its own
 * thread: no hop to the thread pool and no bytes sent back) and answers the new head and the
 * bytes written. The sink keeps everything else (files, rotation, signed checkpoints and seals),
 * and truncates a file back to its last complete line when a write fails. The line format is
 * line-format.ts's: the constants are shared here, and a test holds the worker's lines equal to
 * `chainLine`'s.
 *
 * The worker starts on first use, keeps the process alive only while a batch is pending
 * (`ref`/`unref`), and a crash fails the batches in flight (the queue counts their events as
 * lost) and is replaced on the next batch.
 */
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { MAC_SUFFIX_HEAD, MAC_SUFFIX_TAIL, SEQ_MEMBER } from './line-format';

// Plain JavaScript (an eval worker), so it runs the same from the TypeScript sources under jest
// and from the built package.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const { writeSync } = require('node:fs');
const key = workerData.chainKey;
parentPort.on('message', (job) => {
  let mac = job.mac;
  let seq = job.seq;
  let text = '';
  // One serialised event per line: JSON.stringify never writes a raw newline.
  for (const json of job.jsons.split('\\n')) {
    const body = json.slice(0, -1) + ${JSON.stringify(SEQ_MEMBER)} + seq;
    mac = createHmac('sha256', key).update(mac + '\\n' + body).digest('base64url');
    text += body + ${JSON.stringify(MAC_SUFFIX_HEAD)} + mac + ${JSON.stringify(MAC_SUFFIX_TAIL)} + '\\n';
    seq += 1;
  }
  const bytes = Buffer.from(text, 'utf8');
  try {
    // At the given offset, so a write that failed half-way and was cut back leaves no gap.
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(job.fd, bytes, done, bytes.length - done, job.position + done);
    }
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: { code: error.code, message: error.message } });
    return;
  }
  parentPort.postMessage({ id: job.id, written: bytes.length, mac, seq });
});
`;

/** A batch chained and written: the bytes written and the chain head after them. */
export interface ChainedBatch {
  readonly written: number;
  readonly mac: string;
  readonly seq: number;
}

/** Where a batch goes: an open file's descriptor and the offset of its end. */
export interface BatchTarget {
  readonly fd: number;
  readonly position: number;
}

interface Pending {
  resolve(batch: ChainedBatch): void;
  reject(error: Error): void;
}

/** A failed write, as the worker reports it. */
interface WriteFailure {
  readonly code?: string;
  readonly message: string;
}

/**
 * Chains batches of serialised events under one chain key and writes them, on a worker thread.
 *
 * @example
 * ```ts
 * const chainer = new ChainWorker(chainKey)
 * const jsons = events.map((e) => JSON.stringify(e)).join('\n')
 * const { written, mac, seq } = await chainer.append({ fd: handle.fd, position: size }, head.mac, head.seq, jsons)
 * await chainer.close()
 * ```
 */
export class ChainWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly chainKey: KeyObject) {}

  /**
   * Chains `jsons` (serialised JSON objects, one per line, no final newline) after the head
   * `mac` ('' before the first line), numbering them from `seq`, and writes the lines to
   * `target`. One string, not an array of them: a single copy into the worker instead of one
   * structured-clone entry per event. The caller owns the descriptor and must not write to it
   * until the promise settles.
   *
   * @throws Error (with the system `code`, e.g. `ENOSPC`) when the write fails; some of the
   *   bytes may have been written. Error when the worker dies before it answers.
   */
  append(target: BatchTarget, mac: string, seq: number, jsons: string): Promise<ChainedBatch> {
    const worker = this.started();
    worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, mac, seq, jsons, fd: target.fd, position: target.position });
    });
  }

  /** Stops the worker; batches still in flight fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.stopped(worker, new Error('the audit chain worker was closed'));
    await worker.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { chainKey: this.chainKey },
    });
    worker.on(
      'message',
      ({ id, error, written, mac, seq }: { id: number; error?: WriteFailure } & ChainedBatch) => {
        const waiting = this.pending.get(id);
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        if (error === undefined) waiting?.resolve({ written, mac, seq });
        else waiting?.reject(Object.assign(new Error(error.message), { code: error.code }));
      },
    );
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) =>
      this.stopped(worker, new Error(`the audit chain worker exited (code ${code})`)),
    );
    // Listeners ref the worker: an idle one must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Fails the batches in flight; the next batch starts a new worker. */
  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
