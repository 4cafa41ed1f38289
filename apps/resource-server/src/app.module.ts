import { Module, type DynamicModule } from '@nestjs/common';
import { RevocationsController } from './admin/revocations.controller';
import { TokenwardModule } from '@tokenward/nest';
import type { AppConfig } from './config/app-config';
import { RuntimeModule, VERIFIER_OPTIONS } from './config/runtime.module';
import { DevTokenController } from './dev/dev-token.controller';
import { HealthController } from './health/health.controller';
import { ShutdownNotice } from './lifecycle/shutdown-notice';
import { MessagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { MetricsController } from './observability/metrics.controller';
import { GreetingController } from './profile/greeting.controller';
import { MeController } from './profile/me.controller';

/** The sample app's root module. */
@Module({})
export class AppModule {
  /**
   * The app for a configuration: the guard is global (every route needs a token unless
   * `@Public()`), and `/dev/token` exists in dev mode only.
   */
  static forConfig(config: AppConfig): DynamicModule {
    const runtime = RuntimeModule.forConfig(config);
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
        MessagesController,
        MetricsController,
        RevocationsController,
        ...(config.mode === 'dev' ? [DevTokenController] : []),
      ],
      providers: [MessagesService, ShutdownNotice],
    };
  }
}
