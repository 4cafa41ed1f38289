/**
 * Entry point of the sample resource server: `pnpm start` (or `node dist/main.js`). Reads the
 * configuration from the environment, refuses to start on any problem (exit code 1, one line per
 * problem), and listens on HOST:PORT (default 127.0.0.1:3000).
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createApp, startupMessage } from './create-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  console.log(startupMessage(config, await app.getUrl()));
}

main().catch((error: unknown) => {
  // Option mistakes in the verifier configuration surface here as a TypeError naming the option.
  console.error(`Failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
