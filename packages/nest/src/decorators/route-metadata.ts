/**
 * Reads what tokenward decorators declared on a route (handler plus controller), in one place,
 * for the guard (per request, cached) and the start-up check (once per route). Internal.
 */
import 'reflect-metadata';
import { METHOD_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Policy } from '@tokenward/core';
import { TOKENWARD_POLICIES_METADATA } from '../tokenward.constants';
import { OptionalAuth, Public } from './public.decorator';

/** A controller class or a handler function: where decorators put their metadata. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type MetadataTarget = Function | object;

/** What the tokenward decorators declared on one route. */
export interface RouteDeclarations {
  /** Controller requirements, then handler requirements. */
  readonly policies: readonly Policy[];
  /** Names of the decorators of the policies (`@Roles`, …), for start-up messages. */
  readonly requirementNames: readonly string[];
  /** `@Public()` on the handler or the controller. */
  readonly public: boolean;
  /** `@OptionalAuth()` on the handler or the controller. */
  readonly optional: boolean;
}

function policiesOf(target: MetadataTarget): readonly Policy[] {
  return (Reflect.getMetadata(TOKENWARD_POLICIES_METADATA, target) ?? []) as readonly Policy[];
}

function flag(key: string, handler: MetadataTarget, controller: MetadataTarget): boolean {
  return (
    Reflect.getMetadata(key, handler) === true || Reflect.getMetadata(key, controller) === true
  );
}

/** The declarations of the route `handler` of `controller`. */
export function routeDeclarations(
  handler: MetadataTarget,
  controller: MetadataTarget,
): RouteDeclarations {
  const policies = [...policiesOf(controller), ...policiesOf(handler)];
  return {
    policies,
    requirementNames: [...new Set(policies.map((p) => POLICY_NAMES.get(p) ?? '@UsePolicies'))],
    public: flag(Public.KEY, handler, controller),
    optional: flag(OptionalAuth.KEY, handler, controller),
  };
}

/** The decorator each policy came from, filled by the requirement decorators. */
export const POLICY_NAMES = new WeakMap<Policy, string>();

/** One route handler of the application: its controller class, its method and the method's name. */
export interface RouteHandler {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly controller: Function;
  readonly handler: MetadataTarget;
  readonly name: string;
}

/**
 * Every route handler of every controller the application registered (a method with an HTTP
 * method mapping; a helper method's metadata is inert), for checks and documents built once at
 * start-up.
 */
export function* routeHandlers(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
): Generator<RouteHandler> {
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as MetadataTarget | null | undefined;
    if (typeof controller !== 'function') continue;
    const prototype = (controller as { prototype: object }).prototype;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      yield { controller, handler, name };
    }
  }
}
