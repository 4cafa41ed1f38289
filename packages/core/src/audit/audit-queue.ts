/**
 * The bounded asynchronous queue between decisions and the audit sink. A decision only appends
 * to an array; batches go to the sink one at a time on a later turn of the event loop. A full
 * queue, a failing write or a write that does not settle in time loses events, and every loss is
 * counted and becomes an `audit_events_dropped` event once the sink can take one again.
 */
import { AUDIT_SCHEMA, type AuditDropEvent, type AuditEvent } from './audit-event';
import { takesJsonLines, WRITE_JSON_LINES, type AuditSink } from './audit-sink';
import { serializeEvent } from './event-json';

/** Settings of an {@link AuditQueue}. */
export interface AuditQueueSettings {
  readonly maxQueuedEvents: number;
  readonly batchSize: number;
  readonly writeTimeoutMs: number;
  /** Told of every loss (for the `tokenward.audit.dropped` metric). */
  readonly onDrop?: (cause: AuditDropEvent['cause'], count: number) => void;
}

/** Losses not yet reported, by cause. */
interface PendingDrops {
  dropped: number;
  since: string;
}

/** What an {@link AuditQueue} has done so far. */
export interface AuditQueueStats {
  /** Events handed to the sink in batches that succeeded. */
  readonly written: number;
  /** Events lost because the queue was full. */
  readonly droppedQueueFull: number;
  /** Events lost because their batch failed or timed out. */
  readonly droppedWriteFailed: number;
  /** Events waiting now. */
  readonly queued: number;
}

/**
 * Feeds a sink from a bounded queue.
 *
 * @example
 * ```ts
 * const queue = new AuditQueue(sink, { maxQueuedEvents: 10_000, batchSize: 500, writeTimeoutMs: 5000 })
 * queue.push(event)
 * await queue.close()
 * ```
 */
export class AuditQueue {
  private events: AuditEvent[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly drops = new Map<AuditDropEvent['cause'], PendingDrops>();
  private written = 0;
  private droppedQueueFull = 0;
  private droppedWriteFailed = 0;
  private lastDrainFailed = false;
  private delayed: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: AuditSink,
    private readonly settings: AuditQueueSettings,
  ) {}

  /** Queues one event; never throws, never waits. After `close()` the event counts as dropped. */
  push(event: AuditEvent): void {
    if (this.closed || this.events.length >= this.settings.maxQueuedEvents) {
      this.lose('queue_full', 1, event.time);
      return;
    }
    this.events.push(event);
    this.schedule();
  }

  /** Counts so far (for health endpoints and tests). */
  stats(): AuditQueueStats {
    return {
      written: this.written,
      droppedQueueFull: this.droppedQueueFull,
      droppedWriteFailed: this.droppedWriteFailed,
      queued: this.events.length,
    };
  }

  /** Writes everything queued so far, then asks the sink to flush. Never rejects. */
  async flush(): Promise<void> {
    while (this.writing !== undefined || this.events.length > 0 || this.drops.size > 0) {
      // A drain already in flight began before this flush; its failure says nothing about the
      // events queued behind it, so only a drain this flush started may end the loop.
      const own = this.writing === undefined;
      if (own) this.writing = this.drain(true);
      await this.writing;
      // A drain that could not write (the sink keeps failing) must not spin: one attempt of its
      // own per flush call is what a shutdown can afford.
      if (own && this.lastDrainFailed) break;
    }
    await this.settle(this.sink.flush?.());
  }

  /** Flushes, refuses further events and closes the sink. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.settle(this.sink.close?.());
  }

  private schedule(): void {
    if (this.writing !== undefined) return;
    if (this.scheduled) {
      // A batch that filled up while waiting for the sink's delay goes now.
      if (this.delayed !== undefined && this.events.length >= this.settings.batchSize) {
        clearTimeout(this.delayed);
        this.delayed = undefined;
        setImmediate(this.run);
      }
      return;
    }
    this.scheduled = true;
    // setImmediate: after the current request's I/O callbacks, so a burst of decisions becomes
    // one batch and no write ever runs on a request's own stack. A sink with a batch delay waits
    // for a fuller batch (never longer than its delay; close() and flush() do not wait).
    const delay = this.sink.batchDelay ?? 0;
    if (delay > 0 && this.events.length < this.settings.batchSize) {
      this.delayed = setTimeout(this.run, delay);
      this.delayed.unref();
    } else {
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.delayed = undefined;
    if (this.writing === undefined) this.writing = this.drain(false);
  };

  /**
   * Writes batches, one write at a time: until the queue is empty when `all` (flush, close),
   * else what was queued when the write began, plus every full batch queued behind it.
   */
  private async drain(all: boolean): Promise<void> {
    const delay = this.sink.batchDelay ?? 0;
    try {
      let first = true;
      while (this.events.length > 0 || this.drops.size > 0) {
        // Events queued while a write was in flight wait for a full batch or the sink's delay
        // again, instead of following at once: a server under load would otherwise write a small
        // batch every few milliseconds (a system call, and for the file sink a message to its
        // chain worker, each), the per-batch costs the delay exists to spread.
        if (!first && !all && delay > 0 && this.events.length < this.settings.batchSize) break;
        first = false;
        const batch = this.takeBatch();
        const ok = await this.writeBatch(batch);
        this.lastDrainFailed = !ok;
        if (ok) this.written += batch.length;
        else {
          const decisions = batch.filter((e) => e.event !== 'audit_events_dropped');
          // A failed drop report is not lost: its count goes back into the pending drops.
          for (const e of batch) {
            if (e.event === 'audit_events_dropped') this.lose(e.cause, e.dropped, e.since, false);
          }
          if (decisions.length > 0) {
            this.lose('write_failed', decisions.length, decisions[0]!.time);
          }
          // Do not hammer a failing sink: the rest waits for the next push or flush.
          break;
        }
      }
    } finally {
      this.writing = undefined;
      if (this.events.length > 0 && !this.lastDrainFailed) this.schedule();
    }
  }

  /** The next batch: pending drop reports first, then queued events. */
  private takeBatch(): AuditEvent[] {
    const batch: AuditEvent[] = [];
    for (const [cause, pending] of this.drops) {
      batch.push(dropEvent(cause, pending));
    }
    this.drops.clear();
    const room = Math.max(1, this.settings.batchSize - batch.length);
    batch.push(...this.events.splice(0, room));
    return batch;
  }

  /** One sink write under the timeout; true when it succeeded. */
  private async writeBatch(batch: readonly AuditEvent[]): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A synchronous sink (a function sink, pino) has finished when write() returns: no timer
      // and no promise per batch, which with small batches would cost more than the events.
      const written = this.write(batch);
      if (written === undefined) return true;
      const pending = Promise.resolve(written);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('audit sink write timed out')),
          this.settings.writeTimeoutMs,
        );
        timer.unref?.();
      });
      // A write that never settles is abandoned (its batch counted as lost), not awaited forever.
      await Promise.race([pending, timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands `batch` to the sink: as JSON text to a sink that takes it, else as the events. */
  private write(batch: readonly AuditEvent[]): void | Promise<void> {
    const sink = this.sink;
    if (!takesJsonLines(sink)) return sink.write(batch);
    let jsons = '';
    for (let i = 0; i < batch.length; i++) {
      jsons += i === 0 ? serializeEvent(batch[i]!) : `\n${serializeEvent(batch[i]!)}`;
    }
    return sink[WRITE_JSON_LINES](jsons, batch.length);
  }

  private lose(cause: AuditDropEvent['cause'], count: number, since: string, notify = true): void {
    if (cause === 'queue_full' && notify) this.droppedQueueFull += count;
    if (cause === 'write_failed' && notify) this.droppedWriteFailed += count;
    const pending = this.drops.get(cause);
    if (pending === undefined) this.drops.set(cause, { dropped: count, since });
    else {
      pending.dropped += count;
      if (since < pending.since) pending.since = since;
    }
    if (notify) this.settings.onDrop?.(cause, count);
    if (!this.closed) this.schedule();
  }

  private async settle(pending: Promise<void> | undefined): Promise<void> {
    if (pending === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pending,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.settings.writeTimeoutMs);
          timer.unref?.();
        }),
      ]);
    } catch {
      // A sink whose flush or close fails has nothing more the queue can do; its writes were counted.
    } finally {
      clearTimeout(timer);
    }
  }
}

function dropEvent(cause: AuditDropEvent['cause'], pending: PendingDrops): AuditDropEvent {
  return {
    schema: AUDIT_SCHEMA,
    time: new Date().toISOString(),
    event: 'audit_events_dropped',
    cause,
    dropped: pending.dropped,
    since: pending.since,
  };
}
