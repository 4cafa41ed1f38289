/**
 * The two real applications every corpus case is sent to: an Express 5 app with
 * `@tokenward/express` and a Nest app with `@tokenward/nest`'s `AccessTokenGuard`, each listening
 * on 127.0.0.1, port 0.
 *
 * Both expose the failure's stable `code` in a test-only `x-test-error-code` response header, the
 * way an operator would log it: Express runs in `errorHandling: 'next'` mode with an error
 * handler that copies the code before `tokenwardErrorHandler()` answers; Nest has an exception
 * filter that does the same for `TokenwardHttpException`. Nothing in the adapters sends the code
 * to clients.
 *
 * Routes, on both apps:
 * - `GET /api/me` — the default verifier (token in the Authorization header only);
 * - `GET /api/admin` — the same, plus the scope `admin:write` (403 `insufficient_scope`);
 * - `GET /q/me` — a verifier that also accepts `?access_token=` (RFC 6750 §2.3), so tokens with
 *   bytes an HTTP header cannot carry (NUL, non-Latin-1) still reach tokenward.
 *
 * The servers are created with `maxHeaderSize` 4 MiB so oversized tokens reach tokenward
 * instead of being refused by Node's 16 KiB default first (that default is a defence too, but
 * not ours to prove).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Catch,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Optional,
  UseGuards,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import {
  createVerifier,
  type AccessToken,
  type Verifier,
  type VerifierOptions,
  type VerifyContext,
} from '@tokenward/core';
import { authenticate, requireScopes, tokenwardErrorHandler } from '@tokenward/express';
import {
  AccessTokenGuard,
  Auth,
  Scopes,
  TokenwardHttpException,
  TokenwardModule,
} from '@tokenward/nest';

/** The test-only header carrying the error code. */
export const CODE_HEADER = 'x-test-error-code';

/** A verifier whose clock is frozen at `now`: the adapters call it without a context. */
export function frozenVerifier(options: VerifierOptions, now: Date): Verifier {
  const inner = createVerifier(options);
  const at = (context?: VerifyContext): VerifyContext => ({ ...context, currentDate: now });
  return {
    realm: inner.realm,
    health: () => inner.health(),
    verify: (token, context) => inner.verify(token, at(context)),
    verifyRequest: (request, context) => inner.verifyRequest(request, at(context)),
    close: () => inner.close(),
  };
}

/** A running app. */
export interface RunningApp {
  readonly name: 'express' | 'nest';
  readonly url: string;
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer({ maxHeaderSize: 4 * 1024 * 1024 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const closeServer = (server: Server) =>
  new Promise<void>((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

const describeAuth = (auth: AccessToken | undefined) => ({
  subject: auth?.subject,
  scopes: auth === undefined ? [] : [...auth.scopes],
  encrypted: auth?.encryption !== undefined,
});

/** Starts the Express app over the two verifiers. */
export async function startExpressApp(
  verifier: Verifier,
  queryVerifier: Verifier,
): Promise<RunningApp> {
  const app = express();
  const echo: RequestHandler = (req, res) => {
    res.json(describeAuth(req.auth));
  };
  const exposeCode: ErrorRequestHandler = (error: { code?: unknown }, _req, res, next) => {
    if (typeof error?.code === 'string') res.set(CODE_HEADER, error.code);
    next(error);
  };
  app.use('/api', authenticate(verifier, { errorHandling: 'next' }));
  app.get('/api/me', echo);
  app.get('/api/admin', requireScopes('admin:write'), echo);
  app.get('/q/me', authenticate(queryVerifier, { errorHandling: 'next' }), echo);
  app.use(exposeCode);
  app.use(tokenwardErrorHandler());
  const server = await listen(app);
  return { name: 'express', url: urlOf(server), close: () => closeServer(server) };
}

const QUERY_VERIFIER = Symbol('QUERY_VERIFIER');

/** The module's guard over a second verifier: how an app protects routes with other settings. */
@Injectable()
class QueryTokenGuard extends AccessTokenGuard {
  constructor(
    @Inject(QUERY_VERIFIER) verifier: Verifier,
    reflector: Reflector,
    @Optional() adapterHost?: HttpAdapterHost,
  ) {
    super(verifier, reflector, adapterHost);
  }
}

@Controller('api')
@UseGuards(AccessTokenGuard)
class ApiController {
  @Get('me')
  me(@Auth() auth: AccessToken) {
    return describeAuth(auth);
  }

  @Get('admin')
  @Scopes('admin:write')
  admin(@Auth() auth: AccessToken) {
    return describeAuth(auth);
  }
}

@Controller('q')
@UseGuards(QueryTokenGuard)
class QueryController {
  @Get('me')
  me(@Auth() auth: AccessToken) {
    return describeAuth(auth);
  }
}

/** Test-only: copies the code into {@link CODE_HEADER}, then answers as Nest would. */
@Catch(TokenwardHttpException)
class ExposeCodeFilter implements ExceptionFilter<TokenwardHttpException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: TokenwardHttpException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    // WWW-Authenticate was set by the guard itself; only the code is added here.
    httpAdapter.setHeader(response, CODE_HEADER, exception.code);
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}

/** Starts the Nest app over the two verifiers. */
export async function startNestApp(
  verifier: Verifier,
  queryVerifier: Verifier,
): Promise<RunningApp> {
  @Module({
    imports: [TokenwardModule.forRoot({ verifier, guard: 'manual' })],
    controllers: [ApiController, QueryController],
    providers: [
      { provide: QUERY_VERIFIER, useValue: queryVerifier },
      QueryTokenGuard,
      { provide: APP_FILTER, useClass: ExposeCodeFilter },
    ],
  })
  class CorpusModule {}

  const moduleRef = await Test.createTestingModule({ imports: [CorpusModule] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const server = await listen(app.getHttpAdapter().getInstance());
  return {
    name: 'nest',
    url: urlOf(server),
    close: async () => {
      await closeServer(server);
      await app.close();
    },
  };
}
