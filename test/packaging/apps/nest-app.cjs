/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS consumer, written as its users write it */
'use strict';
// A consumer's Nest app on Express or Fastify (argv[2]), built only from the packed tarballs.
// Plain JavaScript, so decorators are applied the way TypeScript's emit applies them.
require('reflect-metadata');
const { Controller, Get, Module, UseGuards } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { AccessTokenGuard, Auth, Scopes, TokenwardModule } = require('@tokenward/nest');
const { createTestIssuer } = require('@tokenward/testing');
const { report } = require('./report.cjs');

const platform = process.argv[2];

function decorateMethod(decorators, target, key) {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, Reflect.decorate(decorators, target, key, descriptor));
}

async function main() {
  const testIssuer = await createTestIssuer();

  class ApiController {
    me(auth) {
      return { subject: auth.subject, encrypted: auth.encryption !== undefined };
    }
  }
  Auth()(ApiController.prototype, 'me', 0);
  decorateMethod([Get('me'), Scopes('messages:read')], ApiController.prototype, 'me');
  Reflect.decorate([Controller('api'), UseGuards(AccessTokenGuard)], ApiController);

  class AppModule {}
  Reflect.decorate(
    [
      Module({
        imports: [TokenwardModule.forRoot(testIssuer.verifierOptions())],
        controllers: [ApiController],
      }),
    ],
    AppModule,
  );

  let app;
  let framework;
  if (platform === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    framework = `fastify ${require('fastify/package.json').version}`;
  } else {
    app = await NestFactory.create(AppModule, { logger: false });
    framework = `express ${require('express/package.json').version}`;
  }
  await app.listen(0, '127.0.0.1');
  const token = await testIssuer.issueNested({ sub: 'alice', scope: 'messages:read' });
  report(
    app.getHttpServer().address().port,
    token,
    `nest ${require('@nestjs/core/package.json').version} on ${framework}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
