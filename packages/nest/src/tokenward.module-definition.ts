/**
 * `forRoot` / `forRootAsync` for {@link TokenwardModule}, built with `ConfigurableModuleBuilder`
 * (as nestjs/nest's `integration.module-definition.ts` does) rather than by hand.
 */
import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessTokenGuard } from './guards/access-token.guard';
import type {
  TokenwardModuleExtras,
  TokenwardModuleOptions,
} from './interfaces/tokenward-module-options.interface';

export const {
  ConfigurableModuleClass: ConfigurableTokenwardModule,
  MODULE_OPTIONS_TOKEN: TOKENWARD_MODULE_OPTIONS,
  OPTIONS_TYPE: TOKENWARD_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TOKENWARD_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TokenwardModuleOptions>({ moduleName: 'Tokenward' })
  .setClassMethodName('forRoot')
  .setExtras<TokenwardModuleExtras>({ global: false, isGlobal: true }, (definition, extras) => {
    const providers: Provider[] = [...(definition.providers ?? [])];
    // A guard registered through APP_GUARD in any module applies to every route of the app.
    if (extras.global === true) providers.push({ provide: APP_GUARD, useClass: AccessTokenGuard });
    return { ...definition, global: extras.isGlobal !== false, providers };
  })
  .build();
