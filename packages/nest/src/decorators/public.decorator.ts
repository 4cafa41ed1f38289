import { Reflector } from '@nestjs/core';

/**
 * Marks a handler or a whole controller as public: {@link AccessTokenGuard} lets requests through
 * without a token and without checking the controller's requirements. A handler that declares
 * requirements of its own (`@Scopes`, `@Roles`, …) is never public: its requirements win.
 *
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return { status: 'ok' } }
 * ```
 */
export const Public = Reflector.createDecorator<void, true>({
  key: 'tokenward:public',
  transform: () => true,
});

/**
 * Makes the token optional on a handler or controller without requirements: a request without a
 * token passes (and `@Auth()` is `undefined`); a request with a token still has it verified, so a
 * bad token is answered 401. Requirements (`@Scopes`, …) imply a token and take precedence.
 *
 * @example
 * ```ts
 * @OptionalAuth()
 * @Get('greeting')
 * greet(@Auth() auth?: AccessToken) { return `hello ${auth?.subject ?? 'stranger'}` }
 * ```
 */
export const OptionalAuth = Reflector.createDecorator<void, true>({
  key: 'tokenward:optional',
  transform: () => true,
});
