import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TokenwardHttpException } from '../tokenward.exception';

/**
 * Answers a {@link TokenwardHttpException} per RFC 6750: status, `WWW-Authenticate` and the JSON
 * body. Not needed with {@link AccessTokenGuard} (which sets the header itself) nor with
 * `TokenwardStrategy` on Express; register it when another platform or a custom filter chain would
 * otherwise drop the header.
 *
 * @example
 * ```ts
 * providers: [{ provide: APP_FILTER, useClass: TokenwardExceptionFilter }]
 * ```
 */
@Catch(TokenwardHttpException)
export class TokenwardExceptionFilter implements ExceptionFilter<TokenwardHttpException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: TokenwardHttpException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(exception.getHeaders())) {
      httpAdapter.setHeader(response, name, value);
    }
    httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}
