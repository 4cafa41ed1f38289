import 'reflect-metadata';
import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { responseHeaders } from './http/response-headers';

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** Nest's logger setting; tests pass `false`. Default: Nest's console logger. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the sample app for a configuration, initialised but not listening. Every response
 * carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, none `X-Powered-By`;
 * SIGTERM and SIGINT close the app (Nest's shutdown hooks run).
 *
 * @param config The validated configuration (`loadConfig(process.env)`).
 * @param options Nest settings.
 * @example
 * ```ts
 * const app = await createApp(loadConfig(process.env))
 * await app.listen(0, '127.0.0.1')
 * ```
 */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config), {
    ...(options.logger !== undefined && { logger: options.logger }),
    abortOnError: false,
  });
  // Names the framework to every client for no benefit.
  app.disable('x-powered-by');
  // req.ip, which the admin allowlist and the failure budget read, is the socket's address
  // unless the request came through a proxy on this host (a reverse proxy or a local load
  // balancer): then it is the client's address from that proxy's X-Forwarded-For. Trusting only
  // loopback means a remote client cannot choose its address by sending X-Forwarded-For itself,
  // and Express's default (trust nobody) would give every proxied request the proxy's address.
  app.set('trust proxy', 'loopback');
  // Registered before init(), so it runs ahead of the body parser and every route, errors too.
  app.use(responseHeaders);
  app.enableShutdownHooks();
  await app.init();
  return app;
}
