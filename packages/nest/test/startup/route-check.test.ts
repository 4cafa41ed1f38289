/**
 * The module's start-up check: routes whose tokenward declarations nothing would enforce, or that
 * are both public and restricted, make the application refuse to start (app.init() rejects).
 */
import {
  Controller,
  Get,
  Injectable,
  Post,
  UseGuards,
  type ModuleMetadata,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import type { AccessToken } from '@tokenward/core';
import {
  AccessTokenGuard,
  AnyRole,
  Auth,
  AnyScope,
  OptionalAuth,
  Public,
  RequireClaim,
  Roles,
  Scopes,
  TokenwardModule,
  TokenwardStrategy,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { startApp, testIssuer } from '../helpers';

@Injectable()
class CustomGuard extends AccessTokenGuard {}

describe('TokenwardModule start-up check', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await testIssuer();
  });

  /** Starts an app with the guard in manual mode; resolves to the app's URL, or rejects. */
  const boot = async (controllers: Type[], extra: Pick<ModuleMetadata, 'providers'> = {}) => {
    const { app, url } = await startApp({
      imports: [
        PassportModule,
        TokenwardModule.forRoot({ ...issuer.verifierOptions(), guard: 'manual' }),
      ],
      controllers,
      ...extra,
    });
    return { app, url };
  };

  describe('requirements without an AccessTokenGuard', () => {
    const decorators = {
      '@Scopes': Scopes('write'),
      '@AnyScope': AnyScope('write'),
      '@Roles': Roles('admin'),
      '@AnyRole': AnyRole('admin'),
      '@RequireClaim': RequireClaim('tenant', 'acme'),
      '@OptionalAuth()': OptionalAuth(),
    };

    it.each(Object.entries(decorators))(
      'refuses to start on %s of a handler',
      async (name, dec) => {
        @Controller('messages')
        class MessagesController {
          @Post()
          @dec
          create() {
            return { ok: true };
          }
        }
        await expect(boot([MessagesController])).rejects.toThrow(
          `TokenwardModule: MessagesController.create carries ${name} but no AccessTokenGuard covers it`,
        );
      },
    );

    it('refuses to start on a class-level requirement, naming each handler', async () => {
      @Roles('admin')
      @Controller('admin')
      class AdminController {
        @Get('stats')
        stats() {
          return { ok: true };
        }
      }
      await expect(boot([AdminController])).rejects.toThrow(
        /AdminController\.stats carries @Roles but no AccessTokenGuard covers it/,
      );
    });

    it("does not count AuthGuard('tokenward'): the strategy does not enforce requirements", async () => {
      @UseGuards(AuthGuard('tokenward'))
      @Controller('profile')
      class ProfileController {
        @Scopes('profile')
        @Get()
        profile() {
          return { ok: true };
        }
      }
      await expect(boot([ProfileController], { providers: [TokenwardStrategy] })).rejects.toThrow(
        /ProfileController\.profile carries @Scopes .*AuthGuard\('tokenward'\)/,
      );
    });

    it('starts when AccessTokenGuard (or a subclass) covers the route, and enforces it', async () => {
      @Controller('a')
      class HandlerGuarded {
        @UseGuards(AuthGuard('tokenward'), AccessTokenGuard)
        @Scopes('write')
        @Get()
        index() {
          return { ok: true };
        }
      }
      @UseGuards(CustomGuard)
      @Roles('admin')
      @Controller('b')
      class ClassGuarded {
        @Get()
        index() {
          return { ok: true };
        }
      }
      const { app, url } = await boot([HandlerGuarded, ClassGuarded], {
        providers: [TokenwardStrategy],
      });
      try {
        await request(url).get('/a').expect(401);
        await request(url).get('/b').expect(401);
        const writer = await issuer.issueSigned({ scope: 'write' });
        await request(url).get('/a').set('Authorization', `Bearer ${writer}`).expect(200);
        await request(url).get('/b').set('Authorization', `Bearer ${writer}`).expect(403);
      } finally {
        await app.close();
      }
    });

    it('starts with an AccessTokenGuard registered through APP_GUARD by the application', async () => {
      @Roles('admin')
      @Controller('admin')
      class AdminController {
        @Get()
        index() {
          return { ok: true };
        }
      }
      const { app, url } = await boot([AdminController], {
        providers: [{ provide: APP_GUARD, useClass: CustomGuard }],
      });
      try {
        const res = await request(url).get('/admin').expect(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      } finally {
        await app.close();
      }
    });

    it("starts with the default guard: 'global', and answers an anonymous request 401", async () => {
      @Controller('messages')
      class MessagesController {
        @Roles('admin')
        @Post()
        create() {
          return { ok: true };
        }
      }
      const { app, url } = await startApp({
        imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
        controllers: [MessagesController],
      });
      try {
        await request(url).post('/messages').expect(401);
      } finally {
        await app.close();
      }
    });
  });

  describe('@Public() beside a requirement', () => {
    // Each variant guarded globally: the contradiction alone is the reason to refuse.
    const bootGlobal = (controller: Type) =>
      startApp({
        imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
        controllers: [controller],
      });
    const refusal = (route: string) =>
      new RegExp(`${route.replace('.', '\\.')} is both @Public\\(\\) and restricted by @Roles`);

    it('refuses class-level @Public() above class-level @Roles()', async () => {
      @Public()
      @Roles('admin')
      @Controller('x')
      class PublicFirst {
        @Get()
        index() {
          return { ok: true };
        }
      }
      await expect(bootGlobal(PublicFirst)).rejects.toThrow(refusal('PublicFirst.index'));
    });

    it('refuses class-level @Roles() above class-level @Public()', async () => {
      @Roles('admin')
      @Public()
      @Controller('x')
      class RolesFirst {
        @Get()
        index() {
          return { ok: true };
        }
      }
      await expect(bootGlobal(RolesFirst)).rejects.toThrow(refusal('RolesFirst.index'));
    });

    it('refuses @Public() on a handler of a controller with @Roles()', async () => {
      @Roles('admin')
      @Controller('x')
      class RolesController {
        @Public()
        @Get('status')
        status() {
          return { ok: true };
        }
      }
      await expect(bootGlobal(RolesController)).rejects.toThrow(refusal('RolesController.status'));
    });

    it('refuses @Roles() on a handler of a @Public() controller, and both on one handler', async () => {
      @Public()
      @Controller('x')
      class PublicController {
        @Roles('admin')
        @Get('admin')
        admin() {
          return { ok: true };
        }
      }
      await expect(bootGlobal(PublicController)).rejects.toThrow(refusal('PublicController.admin'));
      @Controller('y')
      class BothOnHandler {
        @Roles('admin')
        @Public()
        @Get()
        index() {
          return { ok: true };
        }
      }
      await expect(bootGlobal(BothOnHandler)).rejects.toThrow(refusal('BothOnHandler.index'));
    });

    it('starts with @Public() alone, also without any guard', async () => {
      @Public()
      @Controller('health')
      class HealthController {
        @Get()
        health() {
          return { ok: true };
        }
      }
      const { app, url } = await boot([HealthController]);
      try {
        await request(url).get('/health').expect(200);
      } finally {
        await app.close();
      }
    });
  });

  describe('@Auth() where nothing authenticates the request', () => {
    it('refuses to start on a handler reading @Auth() with no guard, naming it', async () => {
      @Controller('me')
      class MeController {
        @Get()
        me(@Auth('subject') subject: string | undefined) {
          return { subject };
        }
      }
      await expect(boot([MeController])).rejects.toThrow(
        'TokenwardModule: MeController.me reads @Auth() but nothing authenticates its requests',
      );
    });

    it("refuses AuthGuard('tokenward') when no TokenwardStrategy is registered", async () => {
      @Controller('me')
      class MeController {
        @UseGuards(AuthGuard('tokenward'))
        @Get()
        me(@Auth() auth: AccessToken | undefined) {
          return { subject: auth?.subject };
        }
      }
      await expect(boot([MeController])).rejects.toThrow(/MeController\.me reads @Auth\(\)/);
    });

    it('starts when an AccessTokenGuard or a passport AuthGuard with TokenwardStrategy covers it', async () => {
      @UseGuards(AccessTokenGuard)
      @Controller('a')
      class GuardController {
        @Get()
        me(@Auth('subject') subject: string) {
          return { subject };
        }
      }
      @Controller('b')
      class PassportController {
        @UseGuards(AuthGuard('tokenward'))
        @Get()
        me(@Auth('subject') subject: string) {
          return { subject };
        }
      }
      const { app, url } = await boot([GuardController, PassportController], {
        providers: [TokenwardStrategy],
      });
      try {
        const token = await issuer.issueSigned({ sub: 'ada' });
        for (const path of ['/a', '/b']) {
          await request(url).get(path).expect(401);
          await request(url)
            .get(path)
            .set('Authorization', `Bearer ${token}`)
            .expect(200, { subject: 'ada' });
        }
      } finally {
        await app.close();
      }
    });

    it("starts with the default guard: 'global'", async () => {
      @Controller('me')
      class MeController {
        @Get()
        me(@Auth('subject') subject: string) {
          return { subject };
        }
      }
      const { app, url } = await startApp({
        imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
        controllers: [MeController],
      });
      try {
        await request(url).get('/me').expect(401);
      } finally {
        await app.close();
      }
    });
  });
});
