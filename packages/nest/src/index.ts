/**
 * @tokenward/nest — NestJS module, guard, decorators and passport strategy over @tokenward/core.
 */
export { TokenwardModule } from './tokenward.module';
export { TOKENWARD_MODULE_OPTIONS } from './tokenward.module-definition';
export type {
  TokenwardModuleForRootOptions,
  TokenwardModuleForRootAsyncOptions,
} from './tokenward.module-definition';
export type {
  TokenwardModuleOptions,
  TokenwardModuleExtras,
  TokenwardGuardMode,
  TokenwardVerifierInstanceOptions,
} from './interfaces/tokenward-module-options.interface';
export {
  TOKENWARD_VERIFIER,
  TOKENWARD_POLICIES_METADATA,
  TOKENWARD_REQUEST_PROPERTY,
  TOKENWARD_STRATEGY_NAME,
} from './tokenward.constants';
export { AccessTokenGuard } from './guards/access-token.guard';
export { Public, OptionalAuth } from './decorators/public.decorator';
export {
  Scopes,
  AnyScope,
  Roles,
  AnyRole,
  RequireClaim,
  RequireBinding,
  RateLimit,
  AllowFrom,
  RiskBelow,
  UsePolicies,
  StepUp,
} from './decorators/requirements.decorator';
export type { RequirementDecorator } from './decorators/requirements.decorator';
export { Auth } from './decorators/auth.decorator';
export { TokenwardHttpException, toHttpException } from './tokenward.exception';
export { TokenwardExceptionFilter } from './filters/tokenward-exception.filter';
export { TokenwardStrategy } from './strategies/tokenward.strategy';
export type {
  TokenwardStrategyOptions,
  TokenExtractor,
  PassportActions,
  PassportRequest,
} from './strategies/tokenward.strategy';
export { TokenwardResourceMetadataModule } from './resource-metadata.module';
export type { TokenwardResourceMetadataOptions } from './resource-metadata.module';
