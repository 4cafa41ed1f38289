import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger, minus error reports until the app listens: a start-up failure is
 * reported once by `main` as one line naming the variable (see `startupErrorLines`), not as
 * Nest's stack trace. Once {@link StartupLogger.started} is called, errors are logged as usual.
 */
export class StartupLogger extends ConsoleLogger {
  private starting = true;

  /** From here on, errors (a failing request, a failing shutdown hook) are logged. */
  started(): void {
    this.starting = false;
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (!this.starting) super.error(message, ...rest);
  }
}
