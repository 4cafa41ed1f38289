import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { Public } from '@tokenward/nest';
import type { Request, Response } from 'express';
import { DEV_ISSUER } from '../config/runtime.module';
import type { DevIssuer } from './dev-issuer';
import { parseDevTokenQuery, type DevTokenQuery } from './token-query';

/** Lifetime of a dev token, in seconds (the dev issuer's `expiresIn`). */
const EXPIRES_IN = 3600;

/**
 * `GET /dev/token`: mints a token from the embedded dev issuer. Registered in dev mode only.
 *
 * Query (each parameter at most once; any other parameter is a 400): `scope` (space-separated),
 * `roles` (comma-separated), `sub`, `encrypted` (default true: a nested token, signed then
 * encrypted to this API; `false` for a signed-only one), `format=raw` for the bare token instead
 * of a JSON token response (RFC 6749 §5.1 shape), and `invalid=expired|not-yet-valid|wrong-audience`
 * for a token the API refuses with 401 `invalid_token`, and `dpop_jkt=<thumbprint>` for a token
 * bound to that DPoP key (`cnf.jkt`, announced as `token_type: DPoP`).
 */
@Public()
@Controller('dev')
export class DevTokenController {
  constructor(@Inject(DEV_ISSUER) private readonly dev: DevIssuer) {}

  @Get('token')
  async token(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const query = parseDevTokenQuery(req.originalUrl);
    const accessToken = await this.mint(query);
    if (query.format === 'raw') {
      res.type('text/plain');
      return accessToken;
    }
    return {
      access_token: accessToken,
      // RFC 9449 §5: a DPoP-bound token is announced as token_type DPoP.
      token_type: query.dpopJkt === undefined ? 'Bearer' : 'DPoP',
      // A refused token has no useful lifetime to announce.
      ...(query.invalid === undefined ? { expires_in: EXPIRES_IN } : { invalid: query.invalid }),
      scope: query.scopes.join(' '),
      roles: query.roles,
      encrypted: query.encrypted,
    };
  }

  private mint(query: DevTokenQuery): Promise<string> {
    const claims = {
      ...(query.sub !== undefined && { sub: query.sub }),
      ...(query.scopes.length > 0 && { scope: query.scopes.join(' ') }),
      ...(query.roles.length > 0 && { roles: query.roles }),
      ...(query.dpopJkt !== undefined && { cnf: { jkt: query.dpopJkt } }),
    };
    const { issuer } = this.dev;
    if (query.invalid !== undefined) {
      return issuer.issueInvalid(query.invalid, claims, { nested: query.encrypted });
    }
    return query.encrypted ? issuer.issueNested(claims) : issuer.issueSigned(claims);
  }
}
