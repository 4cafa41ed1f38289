import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TokenwardHttpException } from '../tokenward.exception';

/**
 * Answers a {@link TokenwardHttpException} per RFC 6750: status, `WWW-Authenticate` (RFC 9110
 * §11.6.1) and the JSON body (RFC 9457 `application/problem+json` under `errorFormat:
 * 'problem'`), on any platform (Express, Fastify); Nest's own base filter sends
 * status and body but drops the header. {@link AccessTokenGuard} and `TokenwardStrategy` set the
 * header on the response themselves, so they need no filter; register this one when you throw
 * `TokenwardHttpException` yourself. It is not registered by `TokenwardModule`: a global filter
 * from a library would take precedence over the application's own filters.
 *
 * @example
 * ```ts
 * providers: [{ provide: APP_FILTER, useClass: TokenwardExceptionFilter }]
 * ```
 */
@Catch(TokenwardHttpException)
export class TokenwardExceptionFilter implements ExceptionFilter<TokenwardHttpException> {
  /** @param adapterHost The platform adapter, which writes the reply. */
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * Sends the exception's status, headers and body.
   *
   * @param exception The failure to answer.
   * @param host The request's arguments (the response is read from them).
   */
  catch(exception: TokenwardHttpException, host: ArgumentsHost): void {
    // Other transports (GraphQL, RPC) have no HTTP response here; their own handling applies.
    if (host.getType() !== 'http') throw exception;
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    if (httpAdapter.isHeadersSent(response)) {
      httpAdapter.end(response);
      return;
    }
    for (const [name, value] of Object.entries(exception.getHeaders())) {
      httpAdapter.setHeader(response, name, value);
    }
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
