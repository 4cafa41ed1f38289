import { Controller, Get } from '@nestjs/common';
import type { AccessToken } from '@tokenward/core';
import { Auth } from '@tokenward/nest';

/** `GET /api/me`: any valid token; what the API learned from it. */
@Controller('api/me')
export class MeController {
  @Get()
  me(@Auth() auth: AccessToken) {
    return {
      subject: auth.subject ?? null,
      client: auth.clientId ?? null,
      issuer: auth.issuer,
      audience: auth.audience,
      scopes: [...auth.scopes],
      roles: [...auth.roles],
      encrypted: auth.encryption !== undefined,
      // The outer JWE algorithms, for a nested token: shows what protected the claims in transit.
      encryption:
        auth.encryption === undefined
          ? null
          : { alg: auth.encryption.alg, enc: auth.encryption.enc },
      expiresAt: auth.expiresAt.toISOString(),
      // The tenant whose verifier accepted the token (multi-tenant mode only).
      ...(auth.tenant !== undefined && { tenant: auth.tenant }),
    };
  }
}
