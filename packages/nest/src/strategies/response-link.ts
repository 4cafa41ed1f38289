/**
 * How {@link TokenwardStrategy} reaches the response, to set `WWW-Authenticate` on every 401 it
 * causes (RFC 9110 §11.6.1) without the application's help. Passport hands a strategy the request
 * only, and Nest's base exception filter sends status and body, not the exception's headers.
 *
 * On Express the request links to its response (`req.res`). On Fastify it does not: a
 * `FastifyRequest` knows its Node request (`raw`) but no reply. Nest middleware on Fastify runs
 * with the Node request and response (`@fastify/middie`), so {@link linkResponse}, applied by
 * `TokenwardModule` to every route, stores the Node response on the Node request under a
 * module-private symbol. A header set there with `setHeader` is kept when Fastify answers: Node's
 * `writeHead` merges the headers set before it with those it is given.
 *
 * Internal to @tokenward/nest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of a response the strategy uses. */
interface HeaderTarget {
  readonly headersSent?: boolean;
  setHeader?: (name: string, value: string) => unknown;
}

// A symbol no other code can name: nothing can plant a response here, nor read it.
const RESPONSE = Symbol('tokenward.response');

type Linked = { [RESPONSE]?: HeaderTarget };

/**
 * Nest functional middleware: links `res` to `req` for {@link responseOf}. Harmless on Express,
 * where the strategy reads `req.res`; needed on Fastify.
 *
 * @param req The request the middleware receives (the Node request on Fastify).
 * @param res Its response (the Node response on Fastify).
 * @param next Continues with the next middleware.
 */
export function linkResponse(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  (req as IncomingMessage & Linked)[RESPONSE] = res;
  next();
}

/**
 * The response of the request a strategy was handed: linked by {@link linkResponse} (on the
 * request, or on its Node request `raw` on Fastify), else Express's `req.res`; `undefined` when
 * neither is there.
 *
 * @param request The request passport handed the strategy.
 */
export function responseOf(request: object): HeaderTarget | undefined {
  const linked = (request as Linked)[RESPONSE];
  if (linked !== undefined) return linked;
  const raw = (request as { raw?: unknown }).raw;
  if (typeof raw === 'object' && raw !== null) {
    const rawLinked = (raw as Linked)[RESPONSE];
    if (rawLinked !== undefined) return rawLinked;
  }
  const res = (request as { res?: unknown }).res;
  return typeof res === 'object' && res !== null ? (res as HeaderTarget) : undefined;
}

/**
 * Sets `headers` on the request's response, unless it cannot be reached or was sent already.
 *
 * @param request The request passport handed the strategy.
 * @param headers The headers of the failure (`WWW-Authenticate`).
 */
export function setResponseHeaders(request: object, headers: Record<string, string>): void {
  const response = responseOf(request);
  if (typeof response?.setHeader !== 'function' || response.headersSent === true) return;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}
