/**
 * The audit queue between decisions and the sink: batches, never on the request's stack; a full
 * queue, a throwing, rejecting or hanging sink loses events and says how many; close() writes
 * everything queued first.
 */
import type { AuditDecisionEvent, AuditDropEvent, AuditEvent, AuditSink } from '@tokenward/core';
import { AuditQueue } from '../../src/audit/audit-queue';

const event = (i: number): AuditDecisionEvent => ({
  schema: 'tokenward.audit/1',
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  event: 'authn_token_valid',
  stage: 'authentication',
  outcome: 'allow',
  reason: 'ok',
  status: 200,
  route: `/r/${i}`,
});

const settings = { maxQueuedEvents: 100, batchSize: 10, writeTimeoutMs: 50 };

function recorder(): AuditSink & { batches: AuditEvent[][] } {
  const batches: AuditEvent[][] = [];
  return { batches, write: (events) => void batches.push([...events]) };
}

const drops = (events: readonly AuditEvent[]) =>
  events.filter((e): e is AuditDropEvent => e.event === 'audit_events_dropped');

describe('AuditQueue', () => {
  it('writes nothing on the pushing stack, then everything in order, in batches of batchSize', async () => {
    const sink = recorder();
    const queue = new AuditQueue(sink, settings);
    for (let i = 0; i < 25; i++) queue.push(event(i));
    expect(sink.batches).toHaveLength(0);
    await queue.flush();
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(sink.batches.flat().map((e) => (e as AuditDecisionEvent).route)).toEqual(
      Array.from({ length: 25 }, (_, i) => `/r/${i}`),
    );
    expect(queue.stats()).toMatchObject({ written: 25, droppedQueueFull: 0, queued: 0 });
  });

  it('drops beyond maxQueuedEvents, counts them, and writes the count as an event', async () => {
    const sink = recorder();
    const lost: Array<[string, number]> = [];
    const queue = new AuditQueue(sink, {
      ...settings,
      maxQueuedEvents: 5,
      onDrop: (cause, n) => void lost.push([cause, n]),
    });
    for (let i = 0; i < 8; i++) queue.push(event(i));
    await queue.flush();
    const written = sink.batches.flat();
    expect(written.filter((e) => e.event === 'authn_token_valid')).toHaveLength(5);
    expect(drops(written)).toEqual([
      expect.objectContaining({ cause: 'queue_full', dropped: 3, since: event(5).time }),
    ]);
    expect(queue.stats().droppedQueueFull).toBe(3);
    expect(lost).toEqual([
      ['queue_full', 1],
      ['queue_full', 1],
      ['queue_full', 1],
    ]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('disk full');
      },
    ],
    ['rejects', () => Promise.reject(new Error('EIO'))],
    ['hangs', () => new Promise<void>(() => undefined)],
  ])(
    'a sink that %s loses its batch, counted, and reports it once it writes again',
    async (_label, failing) => {
      let fail = true;
      const written: AuditEvent[] = [];
      const sink: AuditSink = {
        write(events) {
          if (fail) return failing();
          written.push(...events);
        },
      };
      const queue = new AuditQueue(sink, settings);
      for (let i = 0; i < 3; i++) queue.push(event(i));
      await queue.flush();
      expect(queue.stats()).toMatchObject({ written: 0, droppedWriteFailed: 3 });
      fail = false;
      queue.push(event(3));
      await queue.flush();
      expect(drops(written)).toEqual([
        expect.objectContaining({ cause: 'write_failed', dropped: 3, since: event(0).time }),
      ]);
      expect(written.filter((e) => e.event !== 'audit_events_dropped')).toEqual([event(3)]);
    },
  );

  it('a slow sink never blocks push: events pile up to the cap and the rest are counted', async () => {
    let release: () => void = () => undefined;
    const written: AuditEvent[] = [];
    const sink: AuditSink = {
      write: (events) =>
        new Promise<void>((resolve) => {
          written.push(...events);
          release = resolve;
        }),
    };
    const queue = new AuditQueue(sink, {
      ...settings,
      maxQueuedEvents: 20,
      writeTimeoutMs: 10_000,
    });
    queue.push(event(0));
    await new Promise((r) => setImmediate(r));
    // 50 pushes against a stalled sink: each returns at once; the sink saw only its first batch.
    for (let i = 1; i <= 50; i++) expect(queue.push(event(i))).toBeUndefined();
    expect(written).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ queued: 20, droppedQueueFull: 30 });
    release();
    const closing = queue.close();
    // Each later write also waits for its release.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      release();
    }
    await closing;
    expect(written.filter((e) => e.event === 'authn_token_valid')).toHaveLength(21);
    expect(drops(written)).toEqual([expect.objectContaining({ cause: 'queue_full', dropped: 30 })]);
  });

  it("a sink's batchDelay holds events for a fuller batch; a full batch and flush() do not wait", async () => {
    const sink = Object.assign(recorder(), { batchDelay: 40 });
    const queue = new AuditQueue(sink, settings);
    queue.push(event(0));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    expect(sink.batches).toHaveLength(0);
    for (let i = 1; i < 4; i++) queue.push(event(i));
    await new Promise((r) => setTimeout(r, 60));
    expect(sink.batches.map((b) => b.length)).toEqual([4]);
    for (let i = 0; i < 10; i++) queue.push(event(i));
    await new Promise((r) => setImmediate(r));
    expect(sink.batches.map((b) => b.length)).toEqual([4, 10]);
    queue.push(event(99));
    await queue.flush();
    expect(sink.batches.map((b) => b.length)).toEqual([4, 10, 1]);
  });

  it('events queued during a slow write wait for the delay again; full batches behind it go at once', async () => {
    let finish: () => void = () => undefined;
    const batches: number[] = [];
    const sink: AuditSink = {
      batchDelay: 40,
      write: (events) => {
        batches.push(events.length);
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const queue = new AuditQueue(sink, settings);
    for (let i = 0; i < 10; i++) queue.push(event(i));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([10]);
    // Two partial batches' worth behind the write in flight: 13 events, one full batch of 10.
    for (let i = 0; i < 13; i++) queue.push(event(i));
    finish();
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([10, 10]);
    finish();
    await new Promise((r) => setTimeout(r, 5));
    // The 3 left over are no full batch: they wait for the sink's delay, not the next turn.
    expect(batches).toEqual([10, 10]);
    expect(queue.stats().queued).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toEqual([10, 10, 3]);
    finish();
    await queue.flush();
    expect(queue.stats()).toMatchObject({ written: 23, queued: 0 });
  });

  it('close() during a failing write still makes its own attempt for the events queued behind it', async () => {
    let rejectInFlight: (error: Error) => void = () => undefined;
    let failing = true;
    const written: AuditEvent[] = [];
    const sink: AuditSink = {
      write: (events) =>
        failing
          ? new Promise<void>((_, reject) => {
              rejectInFlight = reject;
            })
          : void written.push(...events),
    };
    const queue = new AuditQueue(sink, { ...settings, writeTimeoutMs: 10_000 });
    queue.push(event(0));
    await new Promise((r) => setImmediate(r));
    // Event 1 arrives while the write of event 0 is in flight; then the sink recovers, the
    // in-flight write fails and close() begins: event 1 and the drop report must be written.
    queue.push(event(1));
    const closing = queue.close();
    failing = false;
    rejectInFlight(new Error('EIO'));
    await closing;
    expect(written.filter((e) => e.event === 'authn_token_valid')).toEqual([event(1)]);
    expect(drops(written)).toEqual([
      expect.objectContaining({ cause: 'write_failed', dropped: 1 }),
    ]);
  });

  it('close() writes everything queued, calls flush and close on the sink, and counts later pushes', async () => {
    const calls: string[] = [];
    const sink: AuditSink = {
      write: (events) => void calls.push(`write:${events.length}`),
      flush: async () => void calls.push('flush'),
      close: async () => void calls.push('close'),
    };
    const queue = new AuditQueue(sink, settings);
    for (let i = 0; i < 12; i++) queue.push(event(i));
    await queue.close();
    expect(calls).toEqual(['write:10', 'write:2', 'flush', 'close']);
    queue.push(event(99));
    expect(queue.stats().droppedQueueFull).toBe(1);
    await queue.close();
    expect(calls).toHaveLength(4);
  });
});
