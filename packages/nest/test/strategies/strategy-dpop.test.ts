/**
 * DPoP through the passport strategy (`AuthGuard('tokenward')`): the origin the platform derived
 * reaches the proof check, the nonce challenge carries its DPoP-Nonce, and a fresh nonce is set
 * on the response when the client's is from the previous step.
 */
import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { TokenwardModule, TokenwardStrategy } from '@tokenward/nest';
import { createDPoPKey, dpopHeaders, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { nonceIssuedAgo, startApp, testIssuer } from '../helpers';

const SECRET = 'a-nonce-secret-for-the-strategy-test-0123';

@Controller()
class ProfileController {
  @UseGuards(AuthGuard('tokenward'))
  @Get('profile')
  profile(@Req() req: { user?: { binding?: unknown } }) {
    return { binding: req.user?.binding };
  }
}

describe('TokenwardStrategy with DPoP', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await testIssuer();
    ({ app, url } = await startApp({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({
          ...issuer.verifierOptions({ dpop: { nonce: { secret: SECRET } } }),
          guard: 'manual',
        }),
      ],
      controllers: [ProfileController],
      providers: [TokenwardStrategy],
    }));
    url = url.replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  it('asks for a nonce, accepts the proof with it, and refreshes a stale one on success', async () => {
    const key = await createDPoPKey();
    const token = await issuer.issueNested({ cnf: { jkt: key.jkt } });
    const target = `${url}/profile`;
    const first = await request(url)
      .get('/profile')
      .set(await dpopHeaders(key, token, { method: 'GET', url: target }))
      .expect(401);
    expect(first.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    const nonce = first.headers['dpop-nonce'] as string;
    const ok = await request(url)
      .get('/profile')
      .set(await dpopHeaders(key, token, { method: 'GET', url: target, nonce }))
      .expect(200);
    expect(ok.body).toEqual({ binding: { scheme: 'dpop', jkt: key.jkt } });
    expect(ok.headers['dpop-nonce']).toBeUndefined();

    // An instance with the same secret, one step (300 s) behind, issued it.
    const old = await nonceIssuedAgo(issuer, SECRET, 300_000);
    const refreshed = await request(url)
      .get('/profile')
      .set(await dpopHeaders(key, token, { method: 'GET', url: target, nonce: old }))
      .expect(200);
    expect(refreshed.headers['dpop-nonce']).toBe(nonce);
  });
});
