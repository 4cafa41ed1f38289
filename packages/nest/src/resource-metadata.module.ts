/**
 * Serves the module verifier's OAuth 2.0 Protected Resource Metadata (RFC 9728 §3) on Express
 * and Fastify alike, through Nest's HTTP adapter: the route's path comes from the verifier's
 * `resource` option, which a decorator could not know, and it must stay outside the global
 * guard and any global prefix (the well-known URL is fixed by the RFC).
 */
import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { protectedResourceMetadataResponse, scopesOf, type Verifier } from '@tokenward/core';
import { routeDeclarations, routeHandlers } from './decorators/route-metadata';
import { TOKENWARD_VERIFIER } from './tokenward.constants';

/** Options of {@link TokenwardResourceMetadataModule.forRoot}. */
export interface TokenwardResourceMetadataOptions {
  /**
   * `scopes_supported`: the scopes the application's routes require. Default: collected from
   * the routes at start-up (every scope `@Scopes`, `@AnyScope` and the `requireScopes` /
   * `requireAnyScope` policies inside `@UsePolicies`, `allOf` and `anyOf` name on a controller
   * or a handler), sorted; the member is left out when no route names one. A list here replaces
   * the collected one.
   */
  scopes?: readonly string[];
  /** `resource_name`: a human-readable name of the API. */
  resourceName?: string;
  /** `resource_documentation`: an https URL of the API's developer documentation. */
  resourceDocumentation?: string;
  /** Seconds clients and caches may keep the document (`Cache-Control: max-age`). Default 3600. */
  maxAge?: number;
}

const RESOURCE_METADATA_OPTIONS = Symbol.for('tokenward:resource-metadata-options');

/** The request and response handles of Nest's HTTP adapter, on either platform. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AdapterHandler = (request: unknown, response: unknown, next?: Function) => void;

/**
 * Serves the protected resource metadata document of the `TokenwardModule` verifier (which needs
 * the `resource` option) at `/.well-known/oauth-protected-resource` plus the resource's path,
 * for `GET` and `HEAD`, as `application/json`. The route is registered on the HTTP adapter when
 * the module initialises, so no guard, interceptor or global prefix applies to it. A request to
 * that path with a query, or in another spelling (case, trailing slash) the platform's router
 * would match, is answered 404. The verifier comes from a global `TokenwardModule` (the
 * default `isGlobal: true`).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     TokenwardModule.forRoot({ ...options, resource: 'https://api.example.com' }),
 *     TokenwardResourceMetadataModule.forRoot(), // scopes_supported: from the routes
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class TokenwardResourceMetadataModule implements OnModuleInit {
  /**
   * The module, with the document's scopes, name, documentation URL and cache lifetime.
   *
   * @param options Validated when the module initialises; a `TypeError` names the option.
   */
  static forRoot(options: TokenwardResourceMetadataOptions = {}): DynamicModule {
    return {
      module: TokenwardResourceMetadataModule,
      imports: [DiscoveryModule],
      providers: [{ provide: RESOURCE_METADATA_OPTIONS, useValue: options }],
    };
  }

  /**
   * @param adapterHost Nest's HTTP adapter, which the route is registered on.
   * @param verifier The `TokenwardModule` verifier.
   * @param options What `forRoot` was given.
   */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
    @Inject(RESOURCE_METADATA_OPTIONS) private readonly options: TokenwardResourceMetadataOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** Every scope the application's route handlers (and their controllers) require, sorted. */
  private routeScopes(): string[] {
    const found = new Set<string>();
    for (const { controller, handler } of routeHandlers(this.discovery, this.scanner)) {
      for (const policy of routeDeclarations(handler, controller).policies) {
        for (const scope of scopesOf(policy)) found.add(scope);
      }
    }
    return [...found].sort();
  }

  /**
   * Builds the document (a `TypeError` when the verifier has no `resource` or an option is
   * invalid, so the application does not start) and registers its route.
   */
  onModuleInit(): void {
    const { options, verifier } = this;
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('TokenwardResourceMetadataModule: expected an options object');
    }
    const scopes = options.scopes ?? this.routeScopes();
    const { path, body, headers } = protectedResourceMetadataResponse(verifier, {
      ...(scopes.length > 0 && { scopesSupported: scopes }),
      ...(options.resourceName !== undefined && { resourceName: options.resourceName }),
      ...(options.resourceDocumentation !== undefined && {
        resourceDocumentation: options.resourceDocumentation,
      }),
      ...(options.maxAge !== undefined && { maxAge: options.maxAge }),
    });
    const adapter = this.adapterHost.httpAdapter;
    const handler: AdapterHandler = (request, response, next) => {
      // The raw request target: both routers would also match other spellings of the path,
      // and neither looks at the query.
      if (adapter.getRequestUrl(request) !== path) {
        if (typeof next === 'function') return void (next as () => void)();
        adapter.setHeader(response, 'Content-Type', 'application/json');
        return void adapter.reply(response, '{"statusCode":404,"message":"Not Found"}', 404);
      }
      for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
      adapter.reply(response, body, 200);
    };
    adapter.get(path, handler);
  }
}
