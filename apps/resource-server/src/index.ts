/** The sample app's building blocks, for tests and for embedding. */
export { createApp } from './create-app';
export type { CreateAppOptions } from './create-app';
export { remoteDevWarning, startupMessage } from './banner';
export { startupErrorLines } from './startup-errors';
export { AppModule } from './app.module';
export { loadConfig, ConfigError, DEV_ALLOW_REMOTE } from './config/app-config';
export type {
  AppConfig,
  AuditSettings,
  DevConfig,
  IssuerConfig,
  IssuerSettings,
} from './config/app-config';
export { isLoopbackHost } from './config/env-checks';
export {
  APP_CONFIG,
  DEV_ISSUER,
  DEV_TENANTS,
  TELEMETRY,
  VERIFIER_OPTIONS,
} from './config/runtime.module';
export type { Telemetry } from './observability/telemetry';
export { DEV_ISSUER_ID, DEV_AUDIENCE } from './dev/dev-issuer';
export type { DevIssuer } from './dev/dev-issuer';
export { INVALID_DEMO_KINDS } from './dev/token-query';
export type { DevTokenQuery, InvalidDemoKind } from './dev/token-query';
export {
  MAX_TENANTS,
  MIN_TENANTS,
  TENANTS_VARIABLE,
  tenantHost,
  tenantIssuerId,
} from './tenants/tenant-settings';
export type { TenantDevIssuers } from './tenants/tenant-dev-issuers';
export { MessagesService, MAX_MESSAGES } from './messages/messages.service';
export type { Message } from './messages/messages.service';
export { MAX_TEXT_LENGTH } from './messages/messages.controller';
