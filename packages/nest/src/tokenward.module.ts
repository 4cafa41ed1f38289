import {
  Inject,
  Module,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { createVerifier, type Verifier } from '@tokenward/core';
import { AccessTokenGuard } from './guards/access-token.guard';
import type { TokenwardModuleOptions } from './interfaces/tokenward-module-options.interface';
import { TokenwardRouteCheck } from './startup/route-check';
import { linkResponse } from './strategies/response-link';
import { TokenwardStrategy } from './strategies/tokenward.strategy';
import { TOKENWARD_VERIFIER } from './tokenward.constants';
import {
  ConfigurableTokenwardModule,
  TOKENWARD_MODULE_OPTIONS,
} from './tokenward.module-definition';

function verifierFrom(options: TokenwardModuleOptions): Verifier {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('TokenwardModule: expected verifier options or { verifier }');
  }
  if ('verifier' in options) {
    const { verifier, ...rest } = options;
    if (typeof verifier?.verifyRequest !== 'function') {
      throw new TypeError('verifier: expected a Verifier from createVerifier()');
    }
    const extra = Object.keys(rest);
    if (extra.length > 0) {
      // Options beside a ready verifier would be silently ignored: it was configured already.
      throw new TypeError(`${extra.join(', ')}: unknown option beside { verifier }`);
    }
    return verifier;
  }
  return createVerifier(options);
}

/**
 * Verifies access tokens for a Nest application: provides the {@link Verifier}
 * (`TOKENWARD_VERIFIER`) and {@link AccessTokenGuard}, registered as a global guard unless
 * `guard: 'manual'`.
 *
 * Fails closed at start-up: the application refuses to start when a route carries requirements
 * (`@Scopes`, `@Roles`, …, `@OptionalAuth`) that no `AccessTokenGuard` covers, is both
 * `@Public()` and restricted, or reads `@Auth()` where nothing authenticates the request.
 *
 * On shutdown the verifier is closed: its queued audit events are written first.
 *
 * When the application registers a {@link TokenwardStrategy}, the module applies a small
 * middleware to every route that lets the strategy set `WWW-Authenticate` on its 401s on Fastify
 * too (a passport strategy is handed the request only).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     TokenwardModule.forRoot({
 *       issuer: 'https://auth.example.com/',
 *       audience: 'https://api.example.com',
 *       keys: issuerJwks,
 *       decryptionKeys: apiPrivateJwks,
 *       // guard: 'global' is the default: every route needs a token unless @Public()
 *     }),
 *   ],
 * })
 * export class AppModule {}
 *
 * // or, from configuration:
 * TokenwardModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ issuer: config.get('ISSUER'), ... }),
 * })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: TOKENWARD_VERIFIER,
      useFactory: verifierFrom,
      inject: [TOKENWARD_MODULE_OPTIONS],
    },
    AccessTokenGuard,
    TokenwardRouteCheck,
  ],
  exports: [TOKENWARD_VERIFIER, AccessTokenGuard],
})
export class TokenwardModule
  extends ConfigurableTokenwardModule
  implements NestModule, OnApplicationShutdown
{
  /**
   * @param discovery Finds the application's providers (is a strategy registered?).
   * @param verifier The module's verifier, closed on shutdown.
   */
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
  ) {
    super();
  }

  /**
   * Writes the verifier's queued audit events and closes its audit sink when the application
   * shuts down (`app.close()`, or a signal with `app.enableShutdownHooks()`): a graceful
   * shutdown loses no decision. A verifier passed as `{ verifier }` is closed too: the
   * application is done with it.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.verifier.close?.();
  }

  /**
   * Applies the strategy's response link to every route, when a {@link TokenwardStrategy} (or a
   * subclass) is registered; apps using only {@link AccessTokenGuard} pay nothing per request.
   *
   * @param consumer Nest's middleware consumer.
   */
  configure(consumer: MiddlewareConsumer): void {
    const hasStrategy = this.discovery
      .getProviders()
      .some((wrapper) => wrapper.instance instanceof TokenwardStrategy);
    // '*' is Nest's every-route path on both platforms (converted to '{*path}').
    if (hasStrategy) consumer.apply(linkResponse).forRoutes('*');
  }
}
