/**
 * The line MACs of the audit file sink on a worker thread, off the event loop.
 *
 * Every event line costs one HMAC-SHA-256 (about 2 µs in Node 20, most of it the `Hmac` object)
 * plus the string work around it: several microseconds per request on the thread that serves
 * requests, for a chain that only has to be on disk a little later. The worker receives a batch
 * of serialised events and the chain head before them, and answers the batch's text and the new
 * head; the sink keeps everything else (files, rotation, signed checkpoints and seals), so the
 * worker is one pure function. The line format is line-format.ts's: the constants are shared
 * here, and a test holds the worker's lines equal to `chainLine`'s.
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
const key = workerData.chainKey;
const encoder = new TextEncoder();
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
  // Encoded here and moved, not copied: the sink writes these bytes as they are.
  const bytes = encoder.encode(text);
  parentPort.postMessage({ id: job.id, bytes, mac, seq }, [bytes.buffer]);
});
`;

/** A chained batch: its lines (UTF-8, each ending in a newline) and the chain head after them. */
export interface ChainedBatch {
  readonly bytes: Uint8Array;
  readonly mac: string;
  readonly seq: number;
}

interface Pending {
  resolve(batch: ChainedBatch): void;
  reject(error: Error): void;
}

/**
 * Chains batches of serialised events under one chain key on a worker thread.
 *
 * @example
 * ```ts
 * const chainer = new ChainWorker(chainKey)
 * const { bytes, mac, seq } = await chainer.chain(head.mac, head.seq, events.map((e) => JSON.stringify(e)).join('\n'))
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
   * `mac` ('' before the first line), numbering them from `seq`. One string, not an array of
   * them: a single copy into the worker instead of one structured-clone entry per event.
   *
   * @throws Error when the worker dies before it answers.
   */
  chain(mac: string, seq: number, jsons: string): Promise<ChainedBatch> {
    const worker = this.started();
    worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, mac, seq, jsons });
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
    worker.on('message', ({ id, bytes, mac, seq }: { id: number } & ChainedBatch) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve({ bytes, mac, seq });
    });
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
