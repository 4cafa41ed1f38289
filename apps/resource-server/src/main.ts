/**
 * Entry point of the sample resource server: `pnpm start` (or `node dist/main.js`). Reads the
 * configuration from the environment, refuses to start on any problem (exit code 1, one line per
 * problem on stderr, each naming its variable), and listens on HOST:PORT (default
 * 127.0.0.1:3000). SIGTERM and SIGINT close it cleanly (Nest's shutdown hooks run).
 */
import 'reflect-metadata';
import { loadConfig } from './config/app-config';
import { remoteDevWarning, startupMessage } from './banner';
import { createApp } from './create-app';
import { StartupLogger } from './startup-logger';
import { startupErrorLines } from './startup-errors';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const warning = remoteDevWarning(config);
  if (warning !== undefined) console.warn(warning);
  const logger = new StartupLogger();
  const app = await createApp(config, { logger });
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    // Nothing may keep the process alive after a failed listen (key refresh timers, the store).
    await app.close().catch(() => undefined);
    throw error;
  }
  logger.started();
  console.log(startupMessage(config, await app.getUrl()));
}

main().catch((error: unknown) => {
  for (const line of startupErrorLines(error)) console.error(line);
  process.exitCode = 1;
});
