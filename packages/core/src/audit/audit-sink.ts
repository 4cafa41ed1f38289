/** Where audit events go, and the `audit` option of a verifier. */
import type { KeyObject } from 'node:crypto';
import type { RequestLike } from '../http/request';
import type { AuditEvent } from './audit-event';

/**
 * A destination for audit events. The verifier's audit queue calls `write` with batches, one
 * batch at a time, never on a request's path: a slow, failing or hanging sink costs requests
 * nothing (its events are dropped and counted instead). A write abandoned after `writeTimeout`
 * may still be running when the next one starts: a sink that must keep strict order across such
 * a stall serialises its writes itself.
 */
export interface AuditSink {
  /**
   * Writes a batch, in order. A rejection (or a throw) counts the batch as lost
   * (`audit_events_dropped`, cause `write_failed`); the queue goes on with the next batch.
   */
  write(events: readonly AuditEvent[]): void | Promise<void>;
  /** Makes everything written so far durable (flushes buffers). Called by `verifier.close()`. */
  flush?(): Promise<void>;
  /** Flushes and releases the sink (closes files). Called once, by `verifier.close()`. */
  close?(): Promise<void>;
  /**
   * Milliseconds the queue may hold events to hand this sink fuller batches (a file sink pays a
   * system call per write, whatever its size). Default 0: every turn of the event loop. A full
   * batch (`batchSize`) is written at once either way.
   */
  readonly batchDelay?: number;
}

/**
 * The key of a sink's method that takes a batch as JSON text instead of objects (the file sink
 * has it): the verifier's queue then hands it `serializeEvent`'s text of each event, one per line
 * (no final newline), made from the token templates' facts JSON. A sink that wraps another and
 * changes events calls the other's `write`, never this.
 */
export const WRITE_JSON_LINES: unique symbol = Symbol('tokenward.audit.writeJsonLines');

/** A sink that also takes batches as JSON text (see {@link WRITE_JSON_LINES}). */
export interface JsonLinesSink extends AuditSink {
  /** Writes `count` events, given as `jsons` (one JSON object per line, no final newline). */
  [WRITE_JSON_LINES](jsons: string, count: number): Promise<void>;
}

/** Whether `sink` takes batches as JSON text. */
export function takesJsonLines(sink: AuditSink): sink is JsonLinesSink {
  return typeof (sink as Partial<JsonLinesSink>)[WRITE_JSON_LINES] === 'function';
}

/** A sink, or a function that receives one event at a time (`(event) => void`). */
export type AuditSinkInput = AuditSink | ((event: AuditEvent) => void | Promise<void>);

/** The `audit` option of a verifier. */
export interface AuditOptions {
  /** Where events go: a sink (file, pino) or a function. */
  sink: AuditSinkInput;
  /**
   * Key of the HMAC-SHA-256 that pseudonymises subject, client and token id (at least 32
   * bytes). Without it those three fields are omitted from every event, never hashed bare: a bare
   * hash of a user id is reversible by guessing.
   */
  pseudonymizationKey?: string | Uint8Array | KeyObject;
  /** Most events held while the sink is busy; beyond it events are dropped and counted. Default 10,000. */
  maxQueuedEvents?: number;
  /** Most events per `write` call. Default 500. */
  batchSize?: number;
  /** Seconds a `write` may take before its batch counts as failed. Default 5. */
  writeTimeout?: number;
  /**
   * The request id of an event: default, the framework's `req.id` (Fastify, pino-http) when it is
   * a string or number, else an `X-Request-Id` header of at most 128 visible ASCII characters.
   * `false`: none.
   */
  requestId?: false | ((request: RequestLike) => string | undefined);
}
