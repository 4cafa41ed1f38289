/**
 * A tenant verifier (createTenantVerifier) in the Nest module (`{ verifier }`) on Express and on
 * Fastify: `@Auth('tenant')` names the tenant the Host resolved to, `@Scopes` holds per tenant,
 * another tenant's token is 401 and an unknown host 400 ERR_TENANT_UNKNOWN.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createTenantVerifier, tenantFromHost, type TenantOptions } from '@tokenward/core';
import { Auth, Scopes, TokenwardModule } from '@tokenward/nest';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import request from 'supertest';

@Controller('api')
class TenantController {
  @Scopes('read')
  @Get('me')
  me(@Auth('tenant') tenant: string | undefined, @Auth('subject') subject: string | undefined) {
    return { tenant, subject };
  }
}

describe.each([
  ['Express', false],
  ['Fastify', true],
])('tenants on Nest with %s', (_platform, fastify) => {
  let acme: TestIssuer;
  let globex: TestIssuer;
  let app: INestApplication;
  beforeAll(async () => {
    acme = await createTestIssuer({ issuer: 'https://acme.example/' });
    globex = await createTestIssuer({
      issuer: 'https://globex.example/',
      keyManagementAlgorithm: false,
    });
    const optionsOf = (issuer: TestIssuer): TenantOptions => {
      const { audit: _a, metrics: _m, ...options } = issuer.verifierOptions();
      return options;
    };
    const verifier = createTenantVerifier({
      resolve: tenantFromHost({ 'acme.api': 'acme', 'globex.api': 'globex' }),
      tenants: { acme: optionsOf(acme), globex: optionsOf(globex) },
      metrics: false,
    });
    @Module({ imports: [TokenwardModule.forRoot({ verifier })], controllers: [TenantController] })
    class AppModule {}
    app = fastify
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    if (fastify) await (app.getHttpAdapter().getInstance() as { ready(): Promise<void> }).ready();
  });
  afterAll(() => app.close());

  it('names the tenant on @Auth, holds requirements per tenant, refuses across tenants', async () => {
    const server = app.getHttpServer();
    const acmeToken = await acme.issueNested({ sub: 'alice', scope: 'read' });
    const get = (host: string, token: string) =>
      request(server).get('/api/me').set('Host', host).set('Authorization', `Bearer ${token}`);
    await get('acme.api', acmeToken).expect(200, { tenant: 'acme', subject: 'alice' });
    await get('acme.api', await acme.issueNested({ scope: 'write' })).expect(403);
    await get('globex.api', acmeToken).expect(401);
    const unknown = await get('initech.api', acmeToken).expect(400);
    expect(unknown.headers['www-authenticate']).toContain('error="invalid_request"');
    await get('globex.api', await globex.issueSigned({ sub: 'bob', scope: 'read' })).expect(200, {
      tenant: 'globex',
      subject: 'bob',
    });
  });
});
