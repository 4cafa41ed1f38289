import { Module, type DynamicModule } from '@nestjs/common';
import { TokenwardModule } from '@tokenward/nest';
import { clientsController } from './admin/clients.controller';
import { revocationsController } from './admin/revocations.controller';
import type { AppConfig } from './config/app-config';
import { RuntimeModule, VERIFIER_OPTIONS } from './config/runtime.module';
import { trafficPlan } from './config/traffic-settings';
import { DevConsoleController } from './dev/console/dev-console.controller';
import { DevTokenController } from './dev/dev-token.controller';
import { EncryptionKeysController } from './keys/encryption-keys.controller';
import { HealthController } from './health/health.controller';
import { ShutdownNotice } from './lifecycle/shutdown-notice';
import { messagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { MetricsController } from './observability/metrics.controller';
import { GreetingController } from './profile/greeting.controller';
import { MeController } from './profile/me.controller';
import { RateLimitStoreBinding } from './traffic/rate-limit-store-binding';

/** The sample app's root module. */
@Module({})
export class AppModule {
  /**
   * The app for a configuration: the guard is global (every route needs a token unless
   * `@Public()`), and `/dev/token` exists in dev mode only, `/admin/clients` with
   * `TOKENWARD_APPROVED_CLIENTS` only. The rate-limited and allowlisted controllers are made
   * here, from the configuration's quotas and networks; their rate-limit store is bound at
   * start-up (`RateLimitStoreBinding`), on Redis or in memory.
   */
  static forConfig(config: AppConfig): DynamicModule {
    const plan = trafficPlan(config.traffic);
    const rateLimits = new RateLimitStoreBinding();
    const runtime = RuntimeModule.forConfig(config, rateLimits);
    return {
      module: AppModule,
      imports: [
        runtime,
        TokenwardModule.forRootAsync({
          imports: [runtime],
          inject: [VERIFIER_OPTIONS],
          useFactory: (options) => options,
          guard: 'global',
        }),
      ],
      controllers: [
        HealthController,
        MeController,
        GreetingController,
        messagesController(plan, rateLimits.store),
        MetricsController,
        EncryptionKeysController,
        revocationsController(plan.adminAllowFrom),
        ...(plan.approvedClients !== undefined ? [clientsController(plan.adminAllowFrom)] : []),
        ...(config.mode === 'dev' ? [DevTokenController, DevConsoleController] : []),
      ],
      providers: [MessagesService, ShutdownNotice],
    };
  }
}
