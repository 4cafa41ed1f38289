/**
 * The start-up check of {@link TokenwardModule}: a route whose tokenward declarations cannot be
 * honoured makes the application refuse to start, instead of serving it unprotected. Decorators
 * only write metadata; without an {@link AccessTokenGuard} on the route nothing reads it, and an
 * anonymous request to an `@Roles('admin')` handler would be answered 200. Likewise `@Auth()` on
 * a route nothing authenticates would always be `undefined`, a silent hole in the handler.
 */
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { APP_GUARD, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { AUTH_PARAM_METADATA } from '../decorators/auth.decorator';
import {
  routeDeclarations,
  routeHandlers,
  type MetadataTarget,
} from '../decorators/route-metadata';
import { AccessTokenGuard } from '../guards/access-token.guard';
import { TokenwardStrategy } from '../strategies/tokenward.strategy';

/** Whether a `@UseGuards` entry (a class or an instance) is `AccessTokenGuard` or a subclass. */
function isAccessTokenGuard(guard: unknown): boolean {
  if (guard instanceof AccessTokenGuard) return true;
  return (
    typeof guard === 'function' &&
    (guard === AccessTokenGuard || guard.prototype instanceof AccessTokenGuard)
  );
}

/**
 * Whether a guard (a class or an instance) is `AuthGuard(…)` of @nestjs/passport or a subclass.
 * Recognised by its methods: the package is an optional peer, and its guard classes are mixins
 * with no name to compare.
 */
function isPassportGuard(guard: unknown): boolean {
  const prototype: unknown =
    typeof guard === 'function'
      ? (guard as { prototype?: unknown }).prototype
      : typeof guard === 'object' && guard !== null
        ? Object.getPrototypeOf(guard)
        : undefined;
  if (typeof prototype !== 'object' || prototype === null) return false;
  const methods = prototype as Record<string, unknown>;
  return ['canActivate', 'handleRequest', 'getAuthenticateOptions', 'getRequest'].every(
    (method) => typeof methods[method] === 'function',
  );
}

function guardedBy(target: MetadataTarget, match: (guard: unknown) => boolean): boolean {
  const guards = Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined;
  return Array.isArray(guards) && guards.some(match);
}

/** What authenticates requests application-wide, found once at start-up. */
interface GlobalCover {
  /** An `AccessTokenGuard` is registered through `APP_GUARD`. */
  readonly accessTokenGuard: boolean;
  /** A `TokenwardStrategy` is registered, so a passport `AuthGuard` can set `request.auth`. */
  readonly strategy: boolean;
  /** A passport `AuthGuard` is registered through `APP_GUARD`. */
  readonly passportGuard: boolean;
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
    const cover: GlobalCover = {
      accessTokenGuard: this.hasGlobalGuard(isAccessTokenGuard),
      strategy: this.discovery
        .getProviders()
        .some((wrapper) => wrapper.instance instanceof TokenwardStrategy),
      passportGuard: this.hasGlobalGuard(isPassportGuard),
    };
    for (const { controller, handler, name } of routeHandlers(this.discovery, this.scanner)) {
      const readsAuth = Reflect.getMetadata(AUTH_PARAM_METADATA, controller, name) === true;
      this.checkRoute(controller, handler, `${controller.name}.${name}`, cover, readsAuth);
    }
  }

  private checkRoute(
    controller: MetadataTarget,
    handler: MetadataTarget,
    route: string,
    cover: GlobalCover,
    readsAuth: boolean,
  ): void {
    const declared = routeDeclarations(handler, controller);
    const requirements = declared.requirementNames.join(', ');
    if (declared.public && declared.policies.length > 0) {
      throw new Error(
        `TokenwardModule: ${route} is both @Public() and restricted by ${requirements}; ` +
          'a route cannot be both: remove @Public() or move the handler to a controller without requirements',
      );
    }
    const coveredBy = (match: (guard: unknown) => boolean): boolean =>
      guardedBy(handler, match) || guardedBy(controller, match);
    const guarded = cover.accessTokenGuard || coveredBy(isAccessTokenGuard);
    if (readsAuth && !guarded) {
      // The strategy sets request.auth too; the check cannot see which strategy a passport
      // AuthGuard runs, so any AuthGuard counts once a TokenwardStrategy is registered.
      const byPassport = cover.strategy && (cover.passportGuard || coveredBy(isPassportGuard));
      if (!byPassport) {
        throw new Error(
          `TokenwardModule: ${route} reads @Auth() but nothing authenticates its requests, so it ` +
            "would always be undefined; use guard: 'global' (the default), " +
            "@UseGuards(AccessTokenGuard) on the route or its controller, or AuthGuard('tokenward') " +
            'with TokenwardStrategy registered',
        );
      }
    }
    const needsGuard = declared.policies.length > 0 || declared.optional;
    if (!needsGuard || guarded) return;
    const carries = declared.policies.length > 0 ? requirements : '@OptionalAuth()';
    // AuthGuard('tokenward') does not count: the passport strategy verifies the token but does
    // not know the route, so it cannot enforce the route's requirements.
    throw new Error(
      `TokenwardModule: ${route} carries ${carries} but no AccessTokenGuard covers it, so nothing ` +
        "would enforce it; use guard: 'global' (the default), or @UseGuards(AccessTokenGuard) on " +
        "the route or its controller (after AuthGuard('tokenward') when you use the passport strategy)",
    );
  }

  /** Whether a guard `match` accepts is registered through `APP_GUARD` anywhere. */
  private hasGlobalGuard(match: (guard: unknown) => boolean): boolean {
    return this.discovery.getProviders().some((wrapper) => {
      const token: unknown = wrapper.token;
      if (typeof token !== 'string' || !token.startsWith(APP_GUARD)) return false;
      return match(wrapper.instance) || match(wrapper.metatype);
    });
  }
}
