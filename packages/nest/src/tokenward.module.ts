import { Module } from '@nestjs/common';
import { createVerifier, type Verifier } from '@tokenward/core';
import { AccessTokenGuard } from './guards/access-token.guard';
import type { TokenwardModuleOptions } from './interfaces/tokenward-module-options.interface';
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
    const { verifier } = options;
    if (typeof verifier?.verifyRequest !== 'function') {
      throw new TypeError('verifier: expected a Verifier from createVerifier()');
    }
    return verifier;
  }
  return createVerifier(options);
}

/**
 * Verifies access tokens for a Nest application: provides the {@link Verifier}
 * (`TOKENWARD_VERIFIER`) and {@link AccessTokenGuard}, global when `global: true`.
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
 *       global: true, // every route needs a token unless @Public()
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
 *   global: true,
 * })
 * ```
 */
@Module({
  providers: [
    {
      provide: TOKENWARD_VERIFIER,
      useFactory: verifierFrom,
      inject: [TOKENWARD_MODULE_OPTIONS],
    },
    AccessTokenGuard,
  ],
  exports: [TOKENWARD_VERIFIER, AccessTokenGuard],
})
export class TokenwardModule extends ConfigurableTokenwardModule {}
