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

const host = new ConfigurableModuleBuilder<TokenwardModuleOptions>({
  moduleName: 'Tokenward',
})
  .setClassMethodName('forRoot')
  .setExtras<TokenwardModuleExtras>({ global: false, isGlobal: true }, (definition, extras) => {
    const providers: Provider[] = [...(definition.providers ?? [])];
    // A guard registered through APP_GUARD in any module applies to every route of the app.
    if (extras.global === true) providers.push({ provide: APP_GUARD, useClass: AccessTokenGuard });
    return { ...definition, global: extras.isGlobal !== false, providers };
  })
  .build();

/** The class `TokenwardModule` extends; it supplies `forRoot` and `forRootAsync`. */
export const ConfigurableTokenwardModule = host.ConfigurableModuleClass;
/** Injection token of the options given to `forRoot` (or returned by `useFactory`), extras removed. */
export const TOKENWARD_MODULE_OPTIONS = host.MODULE_OPTIONS_TOKEN;

/** What `TokenwardModule.forRoot` takes: the module options plus {@link TokenwardModuleExtras}. */
export type TokenwardModuleForRootOptions = typeof host.OPTIONS_TYPE;
/** What `TokenwardModule.forRootAsync` takes: `imports`, `inject`, `useFactory`, … plus extras. */
export type TokenwardModuleForRootAsyncOptions = typeof host.ASYNC_OPTIONS_TYPE;
