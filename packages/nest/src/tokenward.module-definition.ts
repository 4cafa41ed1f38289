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

const GUARD_MODES: ReadonlySet<unknown> = new Set(['global', 'manual']);

// What forRootAsync takes besides the extras; anything else there is a mistake (a verifier option
// belongs in the object useFactory returns).
const ASYNC_KEYS: ReadonlySet<string> = new Set([
  'imports',
  'inject',
  'useFactory',
  'useClass',
  'useExisting',
  'provideInjectionTokensFrom',
  'guard',
  'isGlobal',
]);

/**
 * Checks the extras when `forRoot`/`forRootAsync` is called, so a misspelt switch stops the
 * application before it serves a request instead of silently leaving routes unguarded.
 */
function checkExtras(extras: Record<string, unknown>, isAsync: boolean): void {
  if ('global' in extras) {
    // `global` reads like DynamicModule.global (module visibility), not like "guard every route".
    throw new TypeError(
      "TokenwardModule: the 'global' option is not supported; use guard: 'global' (the default) " +
        "or guard: 'manual' to apply AccessTokenGuard yourself, and isGlobal for module visibility",
    );
  }
  if (!GUARD_MODES.has(extras.guard)) {
    throw new TypeError("TokenwardModule: guard: expected 'global' or 'manual'");
  }
  if (typeof extras.isGlobal !== 'boolean') {
    throw new TypeError('TokenwardModule: isGlobal: expected a boolean');
  }
  if (isAsync) {
    const unknown = Object.keys(extras).filter((key) => !ASYNC_KEYS.has(key));
    if (unknown.length > 0) {
      throw new TypeError(
        `TokenwardModule.forRootAsync: ${unknown.join(', ')}: unknown option (verifier options belong in what useFactory returns)`,
      );
    }
  }
}

const host = new ConfigurableModuleBuilder<TokenwardModuleOptions>({
  moduleName: 'Tokenward',
})
  .setClassMethodName('forRoot')
  .setExtras<TokenwardModuleExtras>({ guard: 'global', isGlobal: true }, (definition, extras) => {
    // forRootAsync's definition has `imports`; forRoot's does not. forRoot's other keys are
    // verifier options, checked by createVerifier when the module is instantiated.
    checkExtras(extras as Record<string, unknown>, definition.imports !== undefined);
    const providers: Provider[] = [...(definition.providers ?? [])];
    // A guard registered through APP_GUARD in any module applies to every route of the app.
    if (extras.guard === 'global')
      providers.push({ provide: APP_GUARD, useClass: AccessTokenGuard });
    return { ...definition, global: extras.isGlobal, providers };
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
