/** The sample app's building blocks, for tests and for embedding. */
export { createApp, startupMessage } from './create-app';
export type { CreateAppOptions } from './create-app';
export { AppModule } from './app.module';
export { loadConfig, ConfigError } from './config/app-config';
export type { AppConfig, DevConfig, IssuerConfig, IssuerSettings } from './config/app-config';
export { APP_CONFIG, DEV_ISSUER, VERIFIER_OPTIONS } from './config/runtime.module';
export { DEV_ISSUER_ID, DEV_AUDIENCE } from './dev/dev-issuer';
export type { DevIssuer } from './dev/dev-issuer';
export { MessagesService } from './messages/messages.service';
export type { Message } from './messages/messages.service';
