/**
 * What `authenticate()` decided for a request, read by the policy middlewares after it, and how a
 * tokenward error becomes an RFC 6750 answer (or goes to `next(err)`). No token logic.
 */
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import {
  DEFAULT_REALM,
  PROBLEM_CONTENT_TYPE,
  TokenwardError,
  type Verifier,
} from '@tokenward/core';

/** What to do with a failure: answer it per RFC 6750, or hand it to Express error handlers. */
export type ErrorHandling = 'respond' | 'next';

export interface RequestState {
  readonly realm: string;
  readonly errorHandling: ErrorHandling;
  /** The verifier, whose realm, error descriptions and onRejection hook policy failures use. */
  readonly verifier?: Verifier;
}

// What authenticate() decided for a request, for the policy middlewares that follow it, under a
// symbol key: nothing can collide with it, and JSON, Object.keys and for-in skip it.
const STATE = Symbol('tokenward.state');
type WithState = { [STATE]?: RequestState };

/**
 * Records what authenticate() decided, in `res.locals` (which Express creates for every request)
 * rather than on `req`. Express's request objects are fast-mode objects whose shape every later
 * middleware and Node's HTTP code sees: one more property there is one more hidden class at each
 * of those sites, measured at 2–3 % of a cached request's throughput (the `control-map-state-*`
 * subjects of bench/http/subjects.mjs). `res.locals` is a dictionary (`Object.create(null)`),
 * where one more key changes no shape. Outside Express (no `res.locals`), the request carries it.
 */
export function setRequestState(req: Request, res: Response, state: RequestState): void {
  const locals = res.locals as unknown;
  if (typeof locals !== 'object' || locals === null) {
    (req as WithState)[STATE] = state;
    return;
  }
  // Not enumerable: `res.render` spreads `res.locals` into the template engine's options, where
  // the state (its verifier included) has no business.
  Object.defineProperty(locals, STATE, { value: state, writable: true, configurable: true });
}

/**
 * What authenticate() recorded for this request, or `undefined` when none ran before (or the
 * application replaced `res.locals` since: the policies then fail closed, as without one).
 */
export function requestStateOf(req: Request, res: Response): RequestState | undefined {
  const locals = res.locals as unknown;
  const stored =
    typeof locals === 'object' && locals !== null ? (locals as WithState)[STATE] : undefined;
  return stored ?? (req as WithState)[STATE];
}

// A policy with no authenticate() before it answers like a request without a token (fail closed).
export const UNAUTHENTICATED: RequestState = { realm: DEFAULT_REALM, errorHandling: 'respond' };

/**
 * Answers a tokenward error per RFC 6750: its status, its `WWW-Authenticate` challenge and its
 * JSON body (`{ error, error_description }`, or `{}` when the request carried no token, §3.1);
 * for a verifier with `errorFormat: 'problem'`, the same status and headers with an RFC 9457
 * `application/problem+json` body.
 */
export function respond(res: Response, error: TokenwardError): void {
  res.status(error.status).set(error.headers);
  // res.json keeps a Content-Type already set (adding `charset=utf-8`, as for application/json).
  if (error.errorFormat === 'problem') res.type(PROBLEM_CONTENT_TYPE).json(error.toProblem());
  else res.json(error.toJSON());
}

export function fail(error: unknown, state: RequestState, res: Response, next: NextFunction): void {
  // Anything that is not a TokenwardError is a bug (a throwing claim predicate, a custom
  // verifier): Express's error handling deals with it, never an RFC 6750 answer.
  if (!(error instanceof TokenwardError) || state.errorHandling === 'next' || res.headersSent) {
    next(error);
    return;
  }
  respond(res, error);
}

/**
 * An Express error handler for `errorHandling: 'next'` apps that answers tokenward errors per
 * RFC 6750 and passes every other error on. Mount it after your routes, after any logging.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => { log(err.code); next(err) })
 * app.use(tokenwardErrorHandler())
 * ```
 */
export function tokenwardErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (error instanceof TokenwardError && !res.headersSent) respond(res, error);
    else next(error);
  };
}
