/**
 * The one place where a core {@link TokenwardError} becomes a Nest `HttpException`, so Nest's
 * exception filters see RFC 6750 failures like any other HTTP error (throttler converts its own
 * failures the same way in `throttler.exception.ts`).
 */
import { HttpException } from '@nestjs/common';
import { PROBLEM_CONTENT_TYPE, TokenwardError } from '@tokenward/core';

/**
 * A tokenward refusal as a Nest `HttpException`: status 400, 401 or 403 (RFC 6750), 429 (a rate
 * limit or the failure budget) or 503 (a key source, store or list that cannot answer); JSON
 * body `{ error, error_description }` (empty when the request carried no token, RFC 6750 §3.1;
 * `{ error_description }` alone for the refusals that do not blame the token), and the error's
 * headers (`WWW-Authenticate`, `Retry-After`, `RateLimit`, …) in
 * {@link TokenwardHttpException.getHeaders}. The core error, with its stable `code`, is the
 * `cause`. An error presented by a verifier with `errorFormat: 'problem'` has the RFC 9457 body
 * (`TokenwardError.toProblem()`) instead, and `Content-Type: application/problem+json` among the
 * headers.
 *
 * Nest's default exception filter sends the status and body but not the headers; the guard and
 * the strategy therefore set them on the response themselves (on Express and Fastify) before
 * throwing. Custom filters can read them from `getHeaders()`, or use
 * {@link TokenwardExceptionFilter}.
 */
export class TokenwardHttpException extends HttpException {
  /** The core error this exception carries (set by `HttpException` from the options). */
  declare readonly cause: TokenwardError;

  constructor(error: TokenwardError) {
    const body = error.errorFormat === 'problem' ? error.toProblem() : error.toJSON();
    super(body, error.status, { cause: error, errorCode: error.code });
    // The body has no `message`, so HttpException would derive one from the class name.
    this.message = error.message;
  }

  /** The stable core code (`ERR_TOKEN_EXPIRED`, …). */
  get code(): TokenwardError['code'] {
    return this.cause.code;
  }

  /**
   * Headers to send with the response: `WWW-Authenticate` (RFC 6750 §3), `Retry-After`, …, and
   * the `Content-Type` of a problem details body.
   */
  getHeaders(): Record<string, string> {
    return responseHeaders(this.cause);
  }
}

/**
 * The headers to set on the response of `error`: its own, plus `Content-Type:
 * application/problem+json` when it answers in the problem format (Nest's platform adapters
 * serialise the body as JSON and keep a `+json` Content-Type set before them).
 *
 * @param error The failure to answer.
 */
export function responseHeaders(error: TokenwardError): Record<string, string> {
  return error.errorFormat === 'problem'
    ? { ...error.headers, 'Content-Type': PROBLEM_CONTENT_TYPE }
    : error.headers;
}

/**
 * Converts a failure raised while authenticating: a {@link TokenwardError} becomes a
 * {@link TokenwardHttpException}; anything else is returned unchanged (a bug, not a client error).
 */
export function toHttpException(error: unknown): unknown {
  if (error instanceof TokenwardHttpException) return error;
  if (error instanceof TokenwardError) return new TokenwardHttpException(error);
  return error;
}
