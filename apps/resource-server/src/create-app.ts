import 'reflect-metadata';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** Nest's logger setting; tests pass `false`. Default: Nest's console logger. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the sample app for a configuration, initialised but not listening.
 *
 * @example
 * ```ts
 * const app = await createApp(loadConfig(process.env))
 * await app.listen(0, '127.0.0.1')
 * ```
 */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forConfig(config), {
    ...(options.logger !== undefined && { logger: options.logger }),
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** The start-up banner: the mode and, in dev mode, how to get a token and call each route. */
export function startupMessage(config: AppConfig, url: string): string {
  const lines = [`tokenward sample resource server listening on ${url}`];
  if (config.mode === 'issuer') {
    const keys = config.settings.jwksUri ?? `discovered from ${config.settings.issuer}`;
    lines.push(
      `issuer ${config.settings.issuer}, audience ${config.settings.audience}, keys ${keys}`,
    );
    return lines.join('\n');
  }
  lines.push(
    '',
    'DEV MODE: an embedded dev issuer signs and encrypts tokens with keys generated at start-up.',
    'Never use it in production (it refuses to start with NODE_ENV=production).',
    '',
    'Get tokens (nested: signed, then encrypted to this API; add &encrypted=false for signed only):',
    `  READER=$(curl -s '${url}/dev/token?scope=messages:read&format=raw')`,
    `  WRITER=$(curl -s '${url}/dev/token?scope=messages:read%20messages:write&format=raw')`,
    `  ADMIN=$(curl -s '${url}/dev/token?scope=messages:read&roles=admin&format=raw')`,
    '',
    'Call the routes:',
    `  curl -i ${url}/health`,
    `  curl -i -H "Authorization: Bearer $READER" ${url}/api/me`,
    `  curl -i ${url}/api/greeting   (token optional)`,
    `  curl -i -H "Authorization: Bearer $READER" ${url}/api/messages`,
    `  curl -i -H "Authorization: Bearer $WRITER" -H 'Content-Type: application/json' -d '{"text":"hello"}' ${url}/api/messages`,
    `  curl -i -X DELETE -H "Authorization: Bearer $ADMIN" ${url}/api/messages/<id>`,
    '',
    `Without a token: curl -i ${url}/api/me  → 401; a reader posting → 403.`,
  );
  return lines.join('\n');
}
