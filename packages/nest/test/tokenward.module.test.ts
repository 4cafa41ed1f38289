import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createVerifier, type Verifier } from '@tokenward/core';
import {
  AccessTokenGuard,
  Public,
  Scopes,
  TOKENWARD_VERIFIER,
  TokenwardModule,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import request from 'supertest';
import { BARE_CHALLENGE, startApp, testIssuer } from './helpers';

@Controller()
class RoutesController {
  @Get('private')
  private() {
    return { ok: true };
  }

  @Public()
  @Get('public')
  public() {
    return { ok: true };
  }
}

@Injectable()
class Settings {
  constructor(readonly options: ReturnType<TestIssuer['verifierOptions']>) {}
}

describe('TokenwardModule', () => {
  let issuer: TestIssuer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await testIssuer();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  const start = async (...args: Parameters<typeof startApp>) => {
    const started = await startApp(...args);
    apps.push(started.app);
    return started;
  };

  it('forRoot provides a verifier built from the options, and the guard', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TokenwardModule.forRoot({ ...issuer.verifierOptions(), realm: 'messages' })],
    }).compile();
    const verifier = moduleRef.get<Verifier>(TOKENWARD_VERIFIER);
    expect(verifier.realm).toBe('messages');
    const token = await verifier.verify(await issuer.issueNested({ sub: 'alice' }));
    expect(token.subject).toBe('alice');
    expect(moduleRef.get(AccessTokenGuard)).toBeInstanceOf(AccessTokenGuard);
    await moduleRef.close();
  });

  it("names the verifier's realm in every challenge, 403s from requirements included", async () => {
    @UseGuards(AccessTokenGuard)
    @Controller()
    class RealmController {
      @Scopes('write')
      @Get('write')
      write() {
        return { ok: true };
      }
    }
    const { url } = await start({
      imports: [TokenwardModule.forRoot({ ...issuer.verifierOptions(), realm: 'messages' })],
      controllers: [RealmController],
    });
    const token = await issuer.issueSigned({ scope: 'read' });
    const res = await request(url)
      .get('/write')
      .set('Authorization', `Bearer ${token}`)
      .expect(403);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="messages", error="insufficient_scope"/,
    );
    const missing = await request(url).get('/write').expect(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="messages"');
  });

  it('forRoot accepts a ready verifier', async () => {
    const verifier = createVerifier(issuer.verifierOptions());
    const moduleRef = await Test.createTestingModule({
      imports: [TokenwardModule.forRoot({ verifier })],
    }).compile();
    expect(moduleRef.get(TOKENWARD_VERIFIER)).toBe(verifier);
    await moduleRef.close();
  });

  it('forRootAsync builds the options with imports, inject and useFactory', async () => {
    @Module({
      providers: [{ provide: Settings, useFactory: () => new Settings(issuer.verifierOptions()) }],
      exports: [Settings],
    })
    class SettingsModule {}

    const factory = jest.fn((settings: Settings) => settings.options);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenwardModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: factory,
        }),
      ],
    }).compile();
    expect(factory).toHaveBeenCalledTimes(1);
    expect(factory.mock.calls[0]?.[0]).toBeInstanceOf(Settings);
    const verifier = moduleRef.get<Verifier>(TOKENWARD_VERIFIER);
    await expect(verifier.verify(await issuer.issueSigned({ sub: 'bob' }))).resolves.toMatchObject({
      subject: 'bob',
    });
    await moduleRef.close();
  });

  it('forRootAsync accepts an async factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TokenwardModule.forRootAsync({ useFactory: async () => issuer.verifierOptions() })],
    }).compile();
    expect(typeof moduleRef.get<Verifier>(TOKENWARD_VERIFIER).verify).toBe('function');
    await moduleRef.close();
  });

  it('fails at start-up with a TypeError naming a bad option', async () => {
    const build = Test.createTestingModule({
      imports: [
        TokenwardModule.forRoot({ ...issuer.verifierOptions(), encryption: 'sometimes' as never }),
      ],
    }).compile();
    await expect(build).rejects.toThrow(TypeError);
    await expect(build).rejects.toThrow(/^encryption: /);
  });

  it('fails at start-up on something that is not a verifier', async () => {
    await expect(
      Test.createTestingModule({
        imports: [TokenwardModule.forRoot({ verifier: {} as Verifier })],
      }).compile(),
    ).rejects.toThrow(/verifier: expected a Verifier/);
    await expect(
      Test.createTestingModule({
        imports: [TokenwardModule.forRootAsync({ useFactory: () => null as never })],
      }).compile(),
    ).rejects.toThrow(/expected verifier options/);
  });

  it('guards every route by default, leaving @Public ones open', async () => {
    const { url } = await start({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions())],
      controllers: [RoutesController],
    });
    const res = await request(url).get('/private').expect(401);
    expect(res.headers['www-authenticate']).toBe(BARE_CHALLENGE);
    expect(res.body).toEqual({});
    await request(url).get('/public').expect(200);
    const token = await issuer.issueNested();
    await request(url).get('/private').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('forRootAsync guards every route by default too', async () => {
    const { url } = await start({
      imports: [TokenwardModule.forRootAsync({ useFactory: () => issuer.verifierOptions() })],
      controllers: [RoutesController],
    });
    const res = await request(url).get('/private').expect(401);
    expect(res.headers['www-authenticate']).toBe(BARE_CHALLENGE);
  });

  it("guard: 'manual' leaves routes without requirements to the application", async () => {
    const { url } = await start({
      imports: [TokenwardModule.forRoot({ ...issuer.verifierOptions(), guard: 'manual' })],
      controllers: [RoutesController],
    });
    await request(url).get('/private').expect(200);
  });

  it("rejects the old 'global' option, saying what to use", () => {
    const legacy = { ...issuer.verifierOptions(), global: true } as never;
    expect(() => TokenwardModule.forRoot(legacy)).toThrow(TypeError);
    expect(() => TokenwardModule.forRoot(legacy)).toThrow(/'global' option .*use guard: 'global'/);
    expect(() =>
      TokenwardModule.forRootAsync({
        useFactory: () => issuer.verifierOptions(),
        global: false,
      } as never),
    ).toThrow(/'global' option .*guard: 'manual'/);
  });

  it('rejects a guard mode that does not exist, and a non-boolean isGlobal', () => {
    expect(() =>
      TokenwardModule.forRoot({ ...issuer.verifierOptions(), guard: 'none' as never }),
    ).toThrow(/^TokenwardModule: guard: expected 'global' or 'manual'$/);
    expect(() =>
      TokenwardModule.forRootAsync({
        useFactory: () => issuer.verifierOptions(),
        isGlobal: 'yes' as never,
      }),
    ).toThrow(/isGlobal: expected a boolean/);
  });

  it('rejects unknown forRootAsync keys and options beside a ready verifier', async () => {
    expect(() =>
      TokenwardModule.forRootAsync({
        useFactory: () => issuer.verifierOptions(),
        issuer: 'https://elsewhere.example/',
      } as never),
    ).toThrow(/forRootAsync: issuer: unknown option/);
    const verifier = createVerifier(issuer.verifierOptions());
    await expect(
      Test.createTestingModule({
        imports: [TokenwardModule.forRoot({ verifier, audience: 'x' } as never)],
      }).compile(),
    ).rejects.toThrow(/audience: unknown option beside \{ verifier \}/);
    // An unknown verifier option in forRoot is refused by createVerifier.
    await expect(
      Test.createTestingModule({
        imports: [
          TokenwardModule.forRoot({ ...issuer.verifierOptions(), guards: 'manual' } as never),
        ],
      }).compile(),
    ).rejects.toThrow(/guards: unknown option/);
  });

  it('is visible to other modules by default, and not with isGlobal: false', async () => {
    @Injectable()
    class NeedsVerifier {
      constructor(@Inject(TOKENWARD_VERIFIER) readonly verifier: Verifier) {}
    }
    @Module({ providers: [NeedsVerifier] })
    class FeatureModule {}

    const visible = await Test.createTestingModule({
      imports: [TokenwardModule.forRoot(issuer.verifierOptions()), FeatureModule],
    }).compile();
    expect(typeof visible.get(NeedsVerifier).verifier.verify).toBe('function');
    await visible.close();

    await expect(
      Test.createTestingModule({
        imports: [
          TokenwardModule.forRoot({ ...issuer.verifierOptions(), isGlobal: false }),
          FeatureModule,
        ],
      }).compile(),
    ).rejects.toThrow(/NeedsVerifier/);
  });
});
