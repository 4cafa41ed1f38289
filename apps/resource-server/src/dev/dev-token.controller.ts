import { BadRequestException, Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { Public } from '@tokenward/nest';
import type { Response } from 'express';
import { DEV_ISSUER } from '../config/runtime.module';
import type { DevIssuer } from './dev-issuer';

const NAME = /^[\x21-\x7e]{1,64}$/;

function list(text: string | undefined, separator: RegExp, what: string): string[] {
  const items = (text ?? '').split(separator).filter((item) => item !== '');
  if (items.length > 20 || !items.every((item) => NAME.test(item))) {
    throw new BadRequestException(`${what}: up to 20 printable names without spaces`);
  }
  return items;
}

/**
 * `GET /dev/token`: mints a token from the embedded dev issuer. Registered in dev mode only.
 *
 * Query: `scope` (space-separated), `roles` (comma-separated), `sub`, `encrypted` (default
 * true: a nested token, signed then encrypted to this API; `false` for a signed-only one),
 * `format=raw` for the bare token instead of a JSON token response (RFC 6749 §5.1 shape).
 */
@Public()
@Controller('dev')
export class DevTokenController {
  constructor(@Inject(DEV_ISSUER) private readonly dev: DevIssuer) {}

  @Get('token')
  async token(
    @Res({ passthrough: true }) res: Response,
    @Query('scope') scope?: string,
    @Query('roles') roles?: string,
    @Query('sub') sub?: string,
    @Query('encrypted') encrypted?: string,
    @Query('format') format?: string,
  ) {
    if (encrypted !== undefined && encrypted !== 'true' && encrypted !== 'false') {
      throw new BadRequestException('encrypted: expected true or false');
    }
    if (sub !== undefined && !NAME.test(sub)) {
      throw new BadRequestException('sub: a printable name without spaces');
    }
    const scopes = list(scope, /\s+/, 'scope');
    const roleList = list(roles, /,/, 'roles');
    const nested = encrypted !== 'false';
    const claims = {
      ...(sub !== undefined && { sub }),
      ...(scopes.length > 0 && { scope: scopes.join(' ') }),
      ...(roleList.length > 0 && { roles: roleList }),
    };
    const accessToken = nested
      ? await this.dev.issuer.issueNested(claims)
      : await this.dev.issuer.issueSigned(claims);
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'raw') {
      res.type('text/plain');
      return accessToken;
    }
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: scopes.join(' '),
      roles: roleList,
      encrypted: nested,
    };
  }
}
