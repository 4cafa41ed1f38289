/**
 * The start-up check of {@link TokenwardModule}: a route whose tokenward declarations cannot be
 * honoured makes the application refuse to start, instead of serving it unprotected. Decorators
 * only write metadata; without an {@link AccessTokenGuard} on the route nothing reads it, and an
 * anonymous request to an `@Roles('admin')` handler would be answered 200.
 */
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { APP_GUARD, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { routeDeclarations, type MetadataTarget } from '../decorators/route-metadata';
import { AccessTokenGuard } from '../guards/access-token.guard';

/** Whether a `@UseGuards` entry (a class or an instance) is `AccessTokenGuard` or a subclass. */
function isAccessTokenGuard(guard: unknown): boolean {
  if (guard instanceof AccessTokenGuard) return true;
  return (
    typeof guard === 'function' &&
    (guard === AccessTokenGuard || guard.prototype instanceof AccessTokenGuard)
  );
}

function guardedBy(target: MetadataTarget): boolean {
  const guards = Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined;
  return Array.isArray(guards) && guards.some(isAccessTokenGuard);
}

/**
 * Runs once the application's modules are initialised (global guards registered), before it
 * listens. Internal provider of {@link TokenwardModule}.
 */
@Injectable()
export class TokenwardRouteCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** @throws Error naming the first controller method whose declarations cannot be honoured. */
  onApplicationBootstrap(): void {
    const globallyGuarded = this.hasGlobalGuard();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as MetadataTarget | null | undefined;
      if (typeof controller !== 'function') continue;
      const prototype = (controller as { prototype: object }).prototype;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name];
        // Only route handlers can be called; a helper method's metadata is inert.
        if (typeof handler !== 'function') continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        this.checkRoute(controller, handler, `${controller.name}.${name}`, globallyGuarded);
      }
    }
  }

  private checkRoute(
    controller: MetadataTarget,
    handler: MetadataTarget,
    route: string,
    globallyGuarded: boolean,
  ): void {
    const declared = routeDeclarations(handler, controller);
    const requirements = declared.requirementNames.join(', ');
    if (declared.public && declared.policies.length > 0) {
      throw new Error(
        `TokenwardModule: ${route} is both @Public() and restricted by ${requirements}; ` +
          'a route cannot be both: remove @Public() or move the handler to a controller without requirements',
      );
    }
    const needsGuard = declared.policies.length > 0 || declared.optional;
    if (!needsGuard || globallyGuarded || guardedBy(handler) || guardedBy(controller)) return;
    const carries = declared.policies.length > 0 ? requirements : '@OptionalAuth()';
    // AuthGuard('tokenward') does not count: the passport strategy verifies the token but does
    // not know the route, so it cannot enforce the route's requirements.
    throw new Error(
      `TokenwardModule: ${route} carries ${carries} but no AccessTokenGuard covers it, so nothing ` +
        "would enforce it; use guard: 'global' (the default), or @UseGuards(AccessTokenGuard) on " +
        "the route or its controller (after AuthGuard('tokenward') when you use the passport strategy)",
    );
  }

  /** Whether an `AccessTokenGuard` (or subclass) is registered through `APP_GUARD` anywhere. */
  private hasGlobalGuard(): boolean {
    return this.discovery.getProviders().some((wrapper) => {
      const token: unknown = wrapper.token;
      if (typeof token !== 'string' || !token.startsWith(APP_GUARD)) return false;
      return isAccessTokenGuard(wrapper.instance) || isAccessTokenGuard(wrapper.metatype);
    });
  }
}
