import { BadRequestException, Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { Public } from '@tokenward/nest';
import type { Request, Response } from 'express';
import { DEV_ISSUER, DEV_TENANTS } from '../config/runtime.module';
import type { TenantDevIssuers } from '../tenants/tenant-dev-issuers';
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
 *
 * With `TOKENWARD_TENANTS` it mints for the tenant the request's `Host` names (`acme.localhost`),
 * with that tenant's dev issuer, as the verifier resolves it; any other host is a 400.
 */
@Public()
@Controller('dev')
export class DevTokenController {
  constructor(
    @Inject(DEV_ISSUER) private readonly dev: DevIssuer | undefined,
    @Inject(DEV_TENANTS) private readonly tenants: TenantDevIssuers | undefined,
  ) {}

  @Get('token')
  async token(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const dev = this.issuerFor(req);
    const query = parseDevTokenQuery(req.originalUrl);
    const accessToken = await this.mint(dev, query);
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

  /** The dev issuer of the request: the only one, or the tenant's its `Host` names. */
  private issuerFor(req: Request): DevIssuer {
    if (this.tenants === undefined) return this.dev as DevIssuer;
    const tenant = this.tenants.resolve(req);
    const issuer = tenant === undefined ? undefined : this.tenants.issuers.get(tenant);
    if (issuer === undefined) {
      // Never a fall-back to some tenant: the token would be one the request's host refuses.
      throw new BadRequestException(
        `Host: names no tenant; call one of ${[...this.tenants.hosts.values()].join(', ')} (curl -H 'Host: ${[...this.tenants.hosts.values()][0]}')`,
      );
    }
    return issuer;
  }

  private mint(dev: DevIssuer, query: DevTokenQuery): Promise<string> {
    const claims = {
      ...(query.sub !== undefined && { sub: query.sub }),
      ...(query.scopes.length > 0 && { scope: query.scopes.join(' ') }),
      ...(query.roles.length > 0 && { roles: query.roles }),
      ...(query.dpopJkt !== undefined && { cnf: { jkt: query.dpopJkt } }),
    };
    const { issuer } = dev;
    if (query.invalid !== undefined) {
      return issuer.issueInvalid(query.invalid, claims, { nested: query.encrypted });
    }
    return query.encrypted ? issuer.issueNested(claims) : issuer.issueSigned(claims);
  }
}
