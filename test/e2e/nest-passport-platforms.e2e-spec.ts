/**
 * TokenwardStrategy with a custom passport-jwt extractor, on Nest's Express and Fastify
 * platforms: whatever the extractor reads, the request is held to the RFC 6750 checks
 * (one method, `Bearer <b64token>`), and every 401 carries `WWW-Authenticate` (RFC 9110
 * §11.6.1), a refusal by `validate()` included. Neither app registers an exception filter: the
 * strategy sets the challenge on the response itself, on Fastify through the middleware
 * TokenwardModule applies.
 */
import {
  Catch,
  Controller,
  Get,
  HttpException,
  Inject,
  Injectable,
  Module,
  Req,
  UseGuards,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AccessToken, Verifier } from '@tokenward/core';
import { TOKENWARD_VERIFIER, TokenwardModule, TokenwardStrategy } from '@tokenward/nest';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { ExtractJwt } from '../../packages/nest/test/helpers';

// Reads ?token= (a custom location) or, failing that, the Authorization header.
@Injectable()
class QueryOrHeaderStrategy extends TokenwardStrategy {
  constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
    super(verifier, {
      jwtFromRequest: ExtractJwt.fromExtractors([
        ExtractJwt.fromUrlQueryParameter('token'),
        ExtractJwt.fromAuthHeaderAsBearerToken(),
      ]),
    });
  }

  override validate(token: AccessToken): unknown {
    // A refusal the application makes: a falsy result.
    return token.subject === 'blocked' ? false : { id: token.subject };
  }
}

@Controller('profile')
class ProfileController {
  @UseGuards(AuthGuard('tokenward'))
  @Get()
  profile(@Req() req: { user: unknown }) {
    return req.user;
  }
}

// An application's own filter, answering every HttpException in its own shape.
@Catch(HttpException)
class AppErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: HttpException, host: ArgumentsHost): void {
    const response: unknown = host.switchToHttp().getResponse();
    const status = exception.getStatus();
    this.adapterHost.httpAdapter.reply(response, { app: 'filter', status }, status);
  }
}

const start = async (platform: 'express' | 'fastify', providers: Provider[], realm: string) => {
  const issuer = await createTestIssuer({
    signingAlgorithm: 'ES256',
    keyManagementAlgorithm: 'ECDH-ES+A256KW',
  });
  @Module({
    imports: [
      PassportModule,
      TokenwardModule.forRoot({ ...issuer.verifierOptions(), realm, guard: 'manual' }),
    ],
    controllers: [ProfileController],
    providers: [QueryOrHeaderStrategy, ...providers],
  })
  class AppModule {}
  const app: INestApplication =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { issuer, app, url: await app.getUrl() };
};

describe.each(['express', 'fastify'] as const)('TokenwardStrategy on %s', (platform) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ issuer, app, url } = await start(platform, [], 'profiles'));
  });
  afterAll(() => app.close());

  const challenge = /^Bearer realm="profiles", error="invalid_request", error_description="/;

  it('accepts a token from the extractor, in the custom place or the header', async () => {
    const token = await issuer.issueNested({ sub: 'alice' });
    await request(url).get(`/profile?token=${token}`).expect(200, { id: 'alice' });
    await request(url)
      .get('/profile')
      .set('Authorization', `Bearer ${token}`)
      .expect(200, { id: 'alice' });
    // The same token in both places the extractor reads is one token, not two.
    await request(url)
      .get(`/profile?token=${token}`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
  });

  it('answers 400 to a valid query token beside a forged header token', async () => {
    const token = await issuer.issueSigned({ sub: 'alice' });
    const forged = await issuer.issueInvalid('tampered-signature');
    const res = await request(url)
      .get(`/profile?token=${token}`)
      .set('Authorization', `Bearer ${forged}`)
      .expect(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description: 'the request carries an access token in more than one place',
    });
    expect(res.headers['www-authenticate']).toMatch(challenge);
  });

  it.each([
    ['trailing garbage', (t: string) => `Bearer ${t} garbage`],
    ['a tab after the scheme', (t: string) => `Bearer\t${t}`],
  ])('answers 400 to an Authorization header with %s', async (_name, header) => {
    const token = await issuer.issueSigned();
    const res = await request(url).get('/profile').set('Authorization', header(token)).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.headers['www-authenticate']).toMatch(challenge);
  });

  it('answers 401 with a bare challenge without a token', async () => {
    const res = await request(url).get('/profile').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="profiles"');
  });

  it('answers 401 invalid_token with a challenge to an expired token', async () => {
    const token = await issuer.issueInvalid('expired', {}, { nested: true });
    const res = await request(url).get(`/profile?token=${token}`).expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="profiles", error="invalid_token", error_description="/,
    );
  });

  it('answers 401 with a challenge when validate() returns a falsy value', async () => {
    const token = await issuer.issueSigned({ sub: 'blocked' });
    const res = await request(url).get(`/profile?token=${token}`).expect(401);
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is not accepted',
    });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="profiles", error="invalid_token", error_description="the access token is not accepted"',
    );
  });
});

describe.each(['express', 'fastify'] as const)(
  "TokenwardStrategy on %s beside the application's own exception filter",
  (platform) => {
    let issuer: TestIssuer;
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ issuer, app, url } = await start(
        platform,
        [{ provide: APP_FILTER, useClass: AppErrorFilter }],
        'filtered',
      ));
    });
    afterAll(() => app.close());

    it("answers with the application's body, the challenge still set", async () => {
      const missing = await request(url).get('/profile').expect(401);
      expect(missing.body).toEqual({ app: 'filter', status: 401 });
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="filtered"');
      const token = await issuer.issueSigned({ sub: 'blocked' });
      const refused = await request(url).get(`/profile?token=${token}`).expect(401);
      expect(refused.body).toEqual({ app: 'filter', status: 401 });
      expect(refused.headers['www-authenticate']).toMatch(
        /^Bearer realm="filtered", error="invalid_token", error_description="/,
      );
    });

    it('lets a valid token through', async () => {
      const token = await issuer.issueSigned({ sub: 'alice' });
      await request(url).get(`/profile?token=${token}`).expect(200, { id: 'alice' });
    });
  },
);
