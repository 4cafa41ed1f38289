import { Controller, Get } from '@nestjs/common';
import type { AccessToken } from '@tokenward/core';
import { Auth, OptionalAuth } from '@tokenward/nest';

/**
 * `GET /api/greeting`: optional authentication. Without a token it greets a stranger; a token,
 * when sent, must be valid (a bad one is answered 401, never silently ignored).
 */
@Controller('api/greeting')
export class GreetingController {
  @OptionalAuth()
  @Get()
  greet(@Auth() auth: AccessToken | undefined) {
    return {
      greeting: `Hello, ${auth?.subject ?? 'stranger'}!`,
      authenticated: auth !== undefined,
    };
  }
}
