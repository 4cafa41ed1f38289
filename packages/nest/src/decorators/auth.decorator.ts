import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AccessToken } from '@tokenward/core';
import { TOKENWARD_REQUEST_PROPERTY } from '../tokenward.constants';

/**
 * Injects the verified {@link AccessToken} of the request (set by {@link AccessTokenGuard} or
 * `TokenwardStrategy`), or one of its properties. `undefined` on a `@Public()` route, or an
 * `@OptionalAuth()` one called without a token.
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@Auth() auth: AccessToken, @Auth('subject') subject: string) { ... }
 * ```
 */
export const Auth = createParamDecorator(
  (property: keyof AccessToken | undefined, context: ExecutionContext): unknown => {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const auth = request[TOKENWARD_REQUEST_PROPERTY] as AccessToken | undefined;
    return property === undefined ? auth : auth?.[property];
  },
);
