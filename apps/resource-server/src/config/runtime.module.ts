/**
 * Turns the validated {@link AppConfig} into what the app runs with: the verifier options and,
 * in dev mode, the embedded dev issuer.
 */
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import type { ReplayStore, TokenwardLogger, VerifierOptions } from '@tokenward/core';
import type { TokenwardModuleOptions } from '@tokenward/nest';
import {
  dpopOptionsFor,
  REPLAY_STORE,
  replayStoreProvider,
} from '../binding/replay-store.provider';
import {
  REVOCATION,
  revocationProvider,
  type RevocationHolder,
} from '../lifecycle/revocation.provider';
import { redisConnectionProvider } from '../shared-state/redis-connection';
import type { AppConfig } from './app-config';
import { createDevIssuer, type DevIssuer } from '../dev/dev-issuer';
import { auditOptionsFor } from '../observability/audit-trail';
import { createTelemetry, type Telemetry } from '../observability/telemetry';
import { RateLimitStoreBinding } from '../traffic/rate-limit-store-binding';
import { TRAFFIC, trafficProvider, type TrafficControl } from '../traffic/traffic.provider';
import { createTenantDevIssuers, type TenantDevIssuers } from '../tenants/tenant-dev-issuers';
import { tenantVerifierFor } from '../tenants/tenant-verifier';

/** Injection token of the {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** Injection token of the dev issuer (`undefined` outside dev mode, and with tenants). */
export const DEV_ISSUER = Symbol('DEV_ISSUER');
/** Injection token of the tenants' dev issuers (`undefined` unless `TOKENWARD_TENANTS` is set). */
export const DEV_TENANTS = Symbol('DEV_TENANTS');
/**
 * Injection token of what is handed to `TokenwardModule.forRootAsync`: the verifier options, or
 * `{ verifier }` (the tenant verifier) with `TOKENWARD_TENANTS`.
 */
export const VERIFIER_OPTIONS = Symbol('VERIFIER_OPTIONS');
/** Injection token of the app's {@link Telemetry} (meter provider and Prometheus exporter). */
export const TELEMETRY = Symbol('TELEMETRY');

// Remote key sources report failed fetches and ignored keys here (never tokens or claims).
const keysLogger = (): TokenwardLogger => {
  const logger = new Logger('tokenward');
  return {
    warn: (message, details) =>
      logger.warn(details ? `${message} ${JSON.stringify(details)}` : message),
    info: (message) => logger.log(message),
  };
};

/**
 * Builds the `createVerifier` options for a configuration: its key source, the revocation list,
 * DPoP, the audit trail, the failure budget, the approved clients and the anomaly detectors
 * when configured, and the app's meter provider.
 */
export function verifierOptionsFor(
  config: AppConfig,
  devIssuer: DevIssuer | undefined,
  telemetry?: Telemetry,
  replayStore?: ReplayStore,
  revocation?: RevocationHolder,
  traffic?: TrafficControl,
): VerifierOptions {
  return {
    ...keySourceFor(config, devIssuer),
    ...sharedOptionsFor(config, telemetry, replayStore, revocation, traffic),
  };
}

/** The options of {@link verifierOptionsFor} besides the key source: the same for every tenant. */
function sharedOptionsFor(
  config: AppConfig,
  telemetry?: Telemetry,
  replayStore?: ReplayStore,
  revocation?: RevocationHolder,
  traffic?: TrafficControl,
): VerifierOptions {
  return {
    ...(revocation !== undefined && { revocation: revocation.list }),
    ...(traffic?.failureBudget !== undefined && { failureBudget: traffic.failureBudget }),
    ...(traffic?.approvedClients !== undefined && { approvedClients: traffic.approvedClients }),
    ...(traffic?.anomalies !== undefined && { anomalies: traffic.anomalies }),
    ...(config.dpop !== undefined && { dpop: dpopOptionsFor(config.dpop, replayStore) }),
    ...(config.audit !== undefined && { audit: auditOptionsFor(config.audit) }),
    ...(telemetry !== undefined && { metrics: { meterProvider: telemetry.meterProvider } }),
  };
}

function keySourceFor(config: AppConfig, devIssuer: DevIssuer | undefined): VerifierOptions {
  if (config.mode === 'dev') return (devIssuer as DevIssuer).verifierOptions;
  const { settings } = config;
  return {
    issuer: settings.issuer,
    audience: settings.audience,
    // An explicit JWKS URI wins; otherwise the issuer's metadata names it (OIDC / RFC 8414).
    ...(settings.jwksUri !== undefined ? { jwksUri: settings.jwksUri } : { discovery: true }),
    ...(settings.decryptionKeys !== undefined && {
      decryptionKeys: settings.decryptionKeys as VerifierOptions['decryptionKeys'],
    }),
    ...(settings.encryption !== undefined && { encryption: settings.encryption }),
    ...(settings.claims !== undefined && { claims: settings.claims }),
    realm: 'messages',
    logger: keysLogger(),
  };
}

@Module({})
export class RuntimeModule {
  /**
   * Provides {@link APP_CONFIG}, {@link DEV_ISSUER}, {@link DEV_TENANTS}, {@link VERIFIER_OPTIONS} and the state they
   * are made of. `rateLimits` is the store binding the app's `@RateLimit` decorators were given;
   * it is bound here, at start-up.
   */
  static forConfig(
    config: AppConfig,
    rateLimits: RateLimitStoreBinding = new RateLimitStoreBinding(),
  ): DynamicModule {
    return {
      module: RuntimeModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: DEV_ISSUER,
          // Keys are generated at start-up and live only in memory.
          useFactory: () =>
            config.mode === 'dev' && config.tenants === undefined ? createDevIssuer() : undefined,
        },
        {
          provide: DEV_TENANTS,
          useFactory: () =>
            config.mode === 'dev' && config.tenants !== undefined
              ? createTenantDevIssuers(config.tenants)
              : undefined,
        },
        { provide: TELEMETRY, useFactory: createTelemetry },
        redisConnectionProvider(config),
        replayStoreProvider,
        revocationProvider(config),
        // Built before the verifier options (they inject it): the decorators' store is bound
        // before the verifier, and so before any request.
        trafficProvider(config, rateLimits),
        {
          provide: VERIFIER_OPTIONS,
          useFactory: (
            devIssuer: DevIssuer | undefined,
            devTenants: TenantDevIssuers | undefined,
            telemetry: Telemetry,
            replayStore: ReplayStore | undefined,
            revocation: RevocationHolder,
            traffic: TrafficControl,
          ): TokenwardModuleOptions =>
            devTenants !== undefined
              ? {
                  verifier: tenantVerifierFor(
                    devTenants,
                    sharedOptionsFor(config, telemetry, replayStore, revocation, traffic),
                  ),
                }
              : verifierOptionsFor(config, devIssuer, telemetry, replayStore, revocation, traffic),
          inject: [DEV_ISSUER, DEV_TENANTS, TELEMETRY, REPLAY_STORE, REVOCATION, TRAFFIC],
        },
      ],
      exports: [
        APP_CONFIG,
        DEV_ISSUER,
        DEV_TENANTS,
        VERIFIER_OPTIONS,
        TELEMETRY,
        REPLAY_STORE,
        REVOCATION,
        TRAFFIC,
      ],
    };
  }
}
