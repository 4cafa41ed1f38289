/**
 * `pinoAuditSink`: audit events into a pino logger (the Node logging standard), one log line per
 * event at level `info`. Core does not depend on pino: any logger with pino's `info(object,
 * message)` fits.
 */
import type { AuditSink } from './audit-sink';

/** The part of a pino logger the sink uses (`pino()`, `logger.child({ … })`). */
export interface PinoLike {
  info(object: Record<string, unknown>, message: string): void;
  flush?(callback?: (error?: Error) => void): void;
}

/**
 * A sink that logs each event as `{ audit: event }` with the message `tokenward.audit`: nested,
 * so the event's `time` does not collide with pino's own, and log pipelines can route on the key.
 *
 * @param logger A pino logger (or one with the same `info`).
 * @example
 * ```ts
 * import pino from 'pino'
 * const audit = { sink: pinoAuditSink(pino({ name: 'api-audit' })) }
 * ```
 */
export function pinoAuditSink(logger: PinoLike): AuditSink {
  if (typeof logger?.info !== 'function') {
    throw new TypeError(
      'pinoAuditSink: expected a pino logger (an object with info(object, message))',
    );
  }
  return {
    write(events) {
      for (const event of events) logger.info({ audit: event }, 'tokenward.audit');
    },
    flush: () =>
      new Promise<void>((resolve) => {
        // pino's flush exists for asynchronous destinations; a synchronous one has nothing to do.
        if (typeof logger.flush === 'function') logger.flush(() => resolve());
        else resolve();
      }),
  };
}
