import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

/**
 * Logs that the app stopped, and on which signal. Nest calls it after closing the HTTP server
 * (`enableShutdownHooks`), so it also marks where flushing work (an audit trail) belongs.
 */
@Injectable()
export class ShutdownNotice implements OnApplicationShutdown {
  private readonly logger = new Logger('resource-server');

  onApplicationShutdown(signal?: string): void {
    this.logger.log(`stopped${signal === undefined ? '' : ` (${signal})`}`);
  }
}
