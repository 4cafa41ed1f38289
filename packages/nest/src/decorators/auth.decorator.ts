import 'reflect-metadata';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AccessToken } from '@tokenward/core';
import { TOKENWARD_REQUEST_PROPERTY } from '../tokenward.constants';

/**
 * Metadata key marking a handler that reads `@Auth()`, for the start-up check: without anything
 * authenticating the request, the parameter would always be `undefined`. Internal.
 */
export const AUTH_PARAM_METADATA = 'tokenward:auth-param';

/**
 * Injects the verified {@link AccessToken} of the request (set by {@link AccessTokenGuard} or
 * `TokenwardStrategy`), or one of its properties. `undefined` on a `@Public()` route, or an
 * `@OptionalAuth()` one called without a token. A handler reading it on a route that neither an
 * `AccessTokenGuard` nor a passport `AuthGuard` covers makes the application refuse to start.
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
  [
    // Stored per method on the class, as Nest stores the parameter metadata itself.
    (target: object, key: string | symbol | undefined) => {
      if (key !== undefined)
        Reflect.defineMetadata(AUTH_PARAM_METADATA, true, target.constructor, key);
    },
  ],
);
