import { createPublicKey } from 'node:crypto';
import {
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Injectable,
  Req,
  UseGuards,
  type INestApplication,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import {
  createVerifier,
  InsufficientScopeError,
  type AccessToken,
  type Verifier,
} from '@tokenward/core';
import {
  Auth,
  TOKENWARD_VERIFIER,
  TokenwardModule,
  TokenwardStrategy,
  type TokenwardStrategyOptions,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import request from 'supertest';
import { startApp, testIssuer } from '../helpers';

interface UserRequest {
  user?: unknown;
}

@Controller()
class ProfileController {
  @UseGuards(AuthGuard('tokenward'))
  @Get('profile')
  profile(@Req() req: UserRequest, @Auth('subject') subject: string | undefined) {
    return { user: req.user, subject };
  }
}

// The controller of an app written for passport-jwt: it only knows AuthGuard('jwt') and req.user.
@Controller()
class LegacyController {
  @UseGuards(AuthGuard('jwt'))
  @Get('legacy')
  legacy(@Req() req: UserRequest) {
    return req.user;
  }
}

describe('TokenwardStrategy', () => {
  let issuer: TestIssuer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await testIssuer();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const strategyWith = (options: TokenwardStrategyOptions) => {
    @Injectable()
    class ConfiguredStrategy extends TokenwardStrategy {
      constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
        super(verifier, options);
      }
    }
    return ConfiguredStrategy;
  };

  const start = async (
    strategy: Provider,
    controllers: ModuleMetadata['controllers'] = [ProfileController, LegacyController],
  ) => {
    const started = await startApp({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({
          ...issuer.verifierOptions(),
          realm: 'profiles',
          guard: 'manual',
        }),
      ],
      controllers,
      providers: [strategy],
    });
    apps.push(started.app);
    return started.url;
  };

  describe("AuthGuard('tokenward') with the default extraction", () => {
    it('puts the AccessToken on req.user and on req.auth', async () => {
      const url = await start(TokenwardStrategy);
      const token = await issuer.issueNested({ sub: 'alice', scope: 'read' });
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body.subject).toBe('alice');
      expect(res.body.user).toMatchObject({ subject: 'alice', issuer: issuer.issuer });
    });

    it('answers 401 with the verifier realm and no error code without a token', async () => {
      const url = await start(TokenwardStrategy);
      const res = await request(url).get('/profile').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="profiles"');
      expect(res.body).toEqual({});
    });

    it('answers 401 invalid_token with body and challenge for a bad token', async () => {
      const url = await start(TokenwardStrategy);
      const token = await issuer.issueInvalid('expired', {}, { nested: true });
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      expect(res.body).toEqual({
        error: 'invalid_token',
        error_description: expect.stringContaining('expired'),
      });
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="profiles", error="invalid_token", error_description=/,
      );
    });

    it('answers 400 invalid_request for a token in two places', async () => {
      const url = await start(TokenwardStrategy);
      const token = await issuer.issueSigned();
      const res = await request(url)
        .get(`/profile?access_token=${token}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    });
  });

  describe('passport-jwt extractors (jwtFromRequest)', () => {
    it('reads the token where the extractor says', async () => {
      const url = await start(
        strategyWith({ jwtFromRequest: ExtractJwt.fromUrlQueryParameter('token') }),
      );
      const token = await issuer.issueSigned({ sub: 'bob' });
      const res = await request(url).get(`/profile?token=${token}`).expect(200);
      expect(res.body.subject).toBe('bob');
      // The header is not where this extractor looks.
      await request(url).get('/profile').set('Authorization', `Bearer ${token}`).expect(401);
    });

    it('answers 401 with a bare challenge when the extractor finds nothing', async () => {
      const url = await start(
        strategyWith({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() }),
      );
      const res = await request(url).get('/profile').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="profiles"');
      const token = await issuer.issueSigned({ sub: 'carol' });
      await request(url).get('/profile').set('Authorization', `bearer ${token}`).expect(200);
    });

    it('answers 400 for two Authorization lines, whatever the extractor reads', async () => {
      for (const jwtFromRequest of [
        ExtractJwt.fromAuthHeaderAsBearerToken(),
        ExtractJwt.fromUrlQueryParameter('token'),
      ]) {
        const url = await start(strategyWith({ jwtFromRequest }));
        const token = await issuer.issueSigned();
        // superagent hands the array to Node's setHeader, which writes one line per value.
        const res = await request(url)
          .get(`/profile?token=${token}`)
          .set('Authorization', [`Bearer ${token}`, 'Bearer other'] as unknown as string)
          .expect(400);
        expect(res.body.error).toBe('invalid_request');
        expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
        // One line passes, as before.
        await request(url)
          .get(`/profile?token=${token}`)
          .set('Authorization', `Bearer ${token}`)
          .expect(200);
      }
    });

    it('answers 400 to a query token beside a different (forged) header token', async () => {
      const url = await start(
        strategyWith({ jwtFromRequest: ExtractJwt.fromUrlQueryParameter('token') }),
      );
      const token = await issuer.issueSigned({ sub: 'bob' });
      const res = await request(url)
        .get(`/profile?token=${token}`)
        .set('Authorization', 'Bearer forged.header.token')
        .expect(400);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: 'the request carries an access token in more than one place',
      });
      expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
      // A standard access_token parameter beside the custom one is a second method too.
      await request(url).get(`/profile?token=${token}&access_token=other`).expect(400);
      // A non-bearer Authorization header is not a token: the query token alone counts.
      await request(url)
        .get(`/profile?token=${token}`)
        .set('Authorization', 'Basic dXNlcjpwYXNz')
        .expect(200);
    });

    it('answers 400 to a malformed Authorization header the extractor would accept', async () => {
      const url = await start(
        strategyWith({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() }),
      );
      const token = await issuer.issueSigned();
      for (const header of [`Bearer ${token} garbage`, `Bearer\t${token}`]) {
        const res = await request(url).get('/profile').set('Authorization', header).expect(400);
        expect(res.body.error).toBe('invalid_request');
        expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
      }
      // The same token, well formed, passes: the extractor and the check agree.
      await request(url).get('/profile').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('rejects an extractor that is not a function', () => {
      expect(
        () =>
          new TokenwardStrategy(createVerifier(issuer.verifierOptions()), {
            jwtFromRequest: 'header' as never,
          }),
      ).toThrow(/jwtFromRequest/);
    });
  });

  describe('validate()', () => {
    it('maps the token to req.user, receiving the request with passReqToCallback', async () => {
      @Injectable()
      class MappingStrategy extends TokenwardStrategy {
        constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
          super(verifier, { passReqToCallback: true });
        }
        override validate(req: { method: string }, token: AccessToken) {
          return { id: token.subject, method: req.method, scopes: [...token.scopes] };
        }
      }
      const url = await start(MappingStrategy);
      const token = await issuer.issueSigned({ sub: 'dave', scope: 'a b' });
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body.user).toEqual({ id: 'dave', method: 'GET', scopes: ['a', 'b'] });
    });

    it('answers 401 invalid_token with a challenge when validate returns nothing', async () => {
      @Injectable()
      class RefusingStrategy extends TokenwardStrategy {
        constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
          super(verifier);
        }
        override validate() {
          return null;
        }
      }
      const url = await start(RefusingStrategy);
      const token = await issuer.issueSigned();
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      expect(res.body).toEqual({
        error: 'invalid_token',
        error_description: 'the access token is not accepted',
      });
      // RFC 9110 §11.6.1: a 401 carries WWW-Authenticate.
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="profiles", error="invalid_token", error_description="the access token is not accepted"',
      );
    });

    it('answers per RFC 6750 when validate throws a core error', async () => {
      @Injectable()
      class ScopeStrategy extends TokenwardStrategy {
        constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
          super(verifier);
        }
        override validate(token: AccessToken) {
          if (!token.scopes.has('profile')) {
            throw new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs profile', ['profile']);
          }
          return token;
        }
      }
      const url = await start(ScopeStrategy);
      const token = await issuer.issueSigned({ scope: 'other' });
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
      expect(res.body).toEqual({ error: 'insufficient_scope', error_description: 'needs profile' });
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="profiles", error="insufficient_scope", error_description="needs profile", scope="profile"',
      );
    });

    it('lets a Nest HttpException thrown by validate through unchanged', async () => {
      @Injectable()
      class BannedStrategy extends TokenwardStrategy {
        constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
          super(verifier);
        }
        override validate(): never {
          throw new ForbiddenException('banned');
        }
      }
      const url = await start(BannedStrategy);
      const token = await issuer.issueSigned();
      const res = await request(url)
        .get('/profile')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
      expect(res.body.message).toBe('banned');
      expect(res.headers['www-authenticate']).toBeUndefined();
    });
  });

  describe('switching a passport-jwt app', () => {
    // The passport-jwt strategy the app started with (jsonwebtoken under the hood).
    @Injectable()
    class PassportJwtStrategy extends PassportStrategy(JwtStrategy, 'jwt') {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKey: createPublicKey({
            key: issuer.jwks.keys[0] as never,
            format: 'jwk',
          }).export({ type: 'spki', format: 'pem' }) as string,
          algorithms: ['ES256'],
          issuer: issuer.issuer,
          audience: issuer.audience,
        });
      }
      validate(payload: { sub: string }) {
        return { userId: payload.sub };
      }
    }

    // The replacement: same name, same extractor, same req.user shape.
    @Injectable()
    class TokenwardJwtStrategy extends TokenwardStrategy {
      constructor(@Inject(TOKENWARD_VERIFIER) verifier: Verifier) {
        super(verifier, { name: 'jwt', jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() });
      }
      override validate(token: AccessToken) {
        return { userId: token.subject };
      }
    }

    it('passport-jwt reads signed tokens but cannot read nested ones', async () => {
      // Without a TokenwardStrategy, ProfileController's @Auth() could never be set: the app
      // would refuse to start, so only the legacy controller is mounted.
      const url = await start(PassportJwtStrategy, [LegacyController]);
      const signed = await issuer.issueSigned({ sub: 'erin' });
      await request(url)
        .get('/legacy')
        .set('Authorization', `Bearer ${signed}`)
        .expect(200, { userId: 'erin' });
      const nested = await issuer.issueNested({ sub: 'erin' });
      await request(url).get('/legacy').set('Authorization', `Bearer ${nested}`).expect(401);
    });

    it('after switching the strategy, the same controller accepts both', async () => {
      const url = await start(TokenwardJwtStrategy);
      for (const token of [
        await issuer.issueSigned({ sub: 'erin' }),
        await issuer.issueNested({ sub: 'erin' }),
      ]) {
        await request(url)
          .get('/legacy')
          .set('Authorization', `Bearer ${token}`)
          .expect(200, { userId: 'erin' });
      }
      const res = await request(url).get('/legacy').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="profiles"');
    });
  });

  describe('construction', () => {
    it('needs a verifier', () => {
      expect(() => new TokenwardStrategy(undefined as never)).toThrow(/expected a Verifier/);
    });

    it('explains that passport is needed when it is missing', () => {
      jest.isolateModules(() => {
        jest.doMock('passport', () => {
          throw new Error("Cannot find module 'passport'");
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const isolated = require('../../src/strategies/tokenward.strategy') as {
          TokenwardStrategy: typeof TokenwardStrategy;
        };
        expect(
          () => new isolated.TokenwardStrategy(createVerifier(issuer.verifierOptions())),
        ).toThrow(/needs the "passport" package/);
      });
      jest.dontMock('passport');
    });
  });
});
