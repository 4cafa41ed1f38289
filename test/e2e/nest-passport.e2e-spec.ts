/**
 * The passport path end to end: a Nest app written for passport-jwt (`AuthGuard('jwt')`,
 * `req.user`) switched to TokenwardStrategy, verifying tokens from an issuer that serves its JWKS
 * on 127.0.0.1 (remote keys), nested and signed.
 */
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { InsufficientScopeError, type AccessToken, type Verifier } from '@tokenward/core';
import { Auth, TOKENWARD_VERIFIER, TokenwardModule, TokenwardStrategy } from '@tokenward/nest';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { ExtractJwt } from '../../packages/nest/test/helpers';
import request from 'supertest';

interface User {
  userId: string | undefined;
  isAdmin: boolean;
}

// The app's strategy: what used to extend PassportStrategy(passport-jwt's Strategy).
@Injectable()
class JwtStrategy extends TokenwardStrategy {
  constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
    super(verifier, { name: 'jwt', jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() });
  }

  override validate(token: AccessToken): User {
    if (token.roles.has('banned')) {
      throw new InsufficientScopeError('ERR_ROLE_MISSING', 'this account is suspended');
    }
    return { userId: token.subject, isAdmin: token.roles.has('admin') };
  }
}

@Controller('profile')
@UseGuards(AuthGuard('jwt'))
class ProfileController {
  @Get()
  profile(@Req() req: { user: User }, @Auth('encryption') encryption: unknown) {
    return { ...req.user, encrypted: encryption !== undefined };
  }
}

describe('passport path (TokenwardStrategy as the app strategy, remote JWKS)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      signingAlgorithm: 'ES256',
      keyManagementAlgorithm: 'ECDH-ES+A256KW',
    });
    await issuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        PassportModule.register({ defaultStrategy: 'jwt' }),
        TokenwardModule.forRootAsync({
          useFactory: () =>
            issuer.verifierOptions({ jwksUri: issuer.jwksUri as string, realm: 'profiles' }),
          // The strategy alone answers every request here (no global AccessTokenGuard first).
          guard: 'manual',
        }),
      ],
      controllers: [ProfileController],
      providers: [JwtStrategy],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('verifies a nested token with keys fetched from the JWKS endpoint', async () => {
    const token = await issuer.issueNested({ sub: 'alice', roles: ['admin'] });
    await request(url)
      .get('/profile')
      .set(bearer(token))
      .expect(200, { userId: 'alice', isAdmin: true, encrypted: true });
    expect(issuer.requests.jwks).toBeGreaterThanOrEqual(1);
  });

  it('verifies a signed token', async () => {
    const token = await issuer.issueSigned({ sub: 'bob' });
    await request(url)
      .get('/profile')
      .set(bearer(token))
      .expect(200, { userId: 'bob', isAdmin: false, encrypted: false });
  });

  it('answers 401 with a bare challenge without a token', async () => {
    const res = await request(url).get('/profile').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="profiles"');
    expect(res.body).toEqual({});
  });

  it.each(['expired', 'wrong-audience', 'unknown-key', 'id-token'] as const)(
    'answers 401 invalid_token to a %s token',
    async (kind) => {
      const token = await issuer.issueInvalid(kind, {}, { nested: true });
      const res = await request(url).get('/profile').set(bearer(token)).expect(401);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="profiles", error="invalid_token", error_description="/,
      );
    },
  );

  it('answers 403 insufficient_scope when validate() refuses the token', async () => {
    const token = await issuer.issueNested({ sub: 'mallory', roles: ['banned'] });
    const res = await request(url).get('/profile').set(bearer(token)).expect(403);
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'this account is suspended',
    });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="profiles", error="insufficient_scope", error_description="this account is suspended"',
    );
  });
});
