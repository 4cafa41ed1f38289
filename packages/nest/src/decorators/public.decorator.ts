import { Reflector } from '@nestjs/core';

/**
 * Marks a handler or a whole controller as public: {@link AccessTokenGuard} lets requests through
 * without a token. Public and restricted do not mix: when any requirement (`@Scopes`, `@Roles`,
 * …) applies to the same route — on the handler or on its controller, written before or after
 * `@Public()` — the application refuses to start, naming the route. (Should the start-up check
 * be bypassed, the guard still lets the requirements win.) Move a public handler to a controller
 * without requirements instead.
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
 * bad token is answered 401. Requirements (`@Scopes`, …) imply a token and take precedence. Like
 * the requirements, it needs an {@link AccessTokenGuard} on the route, or the application refuses
 * to start.
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
