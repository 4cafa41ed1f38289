/** Graceful shutdown for Express apps: stop taking requests, finish them, then flush the audit trail. */
import type { Server } from 'node:http';
import type { Verifier } from '@tokenward/core';

/** Options of {@link closeGracefully}. */
export interface CloseGracefullyOptions {
  /**
   * Seconds to wait for requests in flight before closing their connections anyway. Default 10.
   */
  timeout?: number;
}

/**
 * Stops `server` from accepting connections, waits for the requests in flight (idle keep-alive
 * connections are closed at once), then closes each verifier: its queued audit events are written
 * and its sink closed, so a graceful shutdown loses no decision. Resolves when done; never
 * rejects (a failing sink's losses are counted on its trail's next start, and in the metrics).
 *
 * @param server The HTTP server `app.listen()` returned.
 * @param verifiers The verifiers whose audit trails to flush.
 * @example
 * ```ts
 * const server = app.listen(3000)
 * process.once('SIGTERM', () => {
 *   closeGracefully(server, verifier).then(() => process.exit(0))
 * })
 * ```
 */
export async function closeGracefully(
  server: Server,
  verifiers: Verifier | readonly Verifier[],
  options: CloseGracefullyOptions = {},
): Promise<void> {
  const timeout = options.timeout ?? 10;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new TypeError('closeGracefully: timeout must be a number of seconds');
  }
  const list: readonly Verifier[] = Array.isArray(verifiers) ? verifiers : [verifiers as Verifier];
  await new Promise<void>((resolve) => {
    // Closing an already closed server reports ERR_SERVER_NOT_RUNNING: nothing to wait for.
    server.close(() => resolve());
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeout * 1000);
    timer.unref();
  });
  await Promise.all(list.map((verifier) => verifier.close?.()));
}
