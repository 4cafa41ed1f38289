/**
 * Audit events through TokenwardStrategy: a refusal by validate() is a route-step decision about
 * a verified token (authz_fail, the token described); an extraction failure is an authentication
 * decision (authn_request_invalid).
 */
import { Controller, Get, Inject, Injectable, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import type { AuditDecisionEvent, Verifier } from '@tokenward/core';
import { TOKENWARD_VERIFIER, TokenwardModule, TokenwardStrategy } from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { startApp, testIssuer } from '../helpers';

@Controller()
class ProfileController {
  @UseGuards(AuthGuard('tokenward'))
  @Get('profile')
  profile() {
    return { ok: true };
  }
}

@Injectable()
class RefusingStrategy extends TokenwardStrategy {
  constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
    super(verifier, {
      jwtFromRequest: (req: { headers: Record<string, string> }) => req.headers['x-token'],
    });
  }
  override validate() {
    return null;
  }
}

describe('TokenwardStrategy audit events', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer();
  });

  it('records validate() refusals at the route step and extraction failures at authentication', async () => {
    const events: AuditDecisionEvent[] = [];
    const { app, url } = await startApp({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({
          ...issuer.verifierOptions({
            audit: { sink: (e) => void events.push(e as AuditDecisionEvent) },
          }),
          guard: 'manual',
        }),
      ],
      controllers: [ProfileController],
      providers: [RefusingStrategy],
    });
    try {
      const token = await issuer.issueSigned({ scope: 'read' });
      await request(url).get('/profile').set('x-token', token).expect(401);
      // The custom extractor's token beside a different standard one: two methods (RFC 6750 §2).
      await request(url)
        .get('/profile')
        .set('x-token', token)
        .set('Authorization', 'Bearer other')
        .expect(400);
    } finally {
      await app.close();
    }
    expect(events.map((e) => [e.event, e.stage, e.reason])).toEqual([
      ['authn_token_valid', 'authentication', 'ok'],
      ['authz_fail', 'authorization', 'ERR_TOKEN_REJECTED'],
      ['authn_request_invalid', 'authentication', 'ERR_REQUEST_MULTIPLE_TOKENS'],
    ]);
    expect(events[1]).toMatchObject({ scopes: ['read'], issuer: issuer.issuer });
  });
});
