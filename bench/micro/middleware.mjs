/* global process */
// Micro benchmark (mitata) of the per-request adapter work on a cache hit: core `verifyRequest`,
// the Express `authenticate` middleware on a request built on Express's own request prototype
// (so getters like `req.query` behave as in a server), and the Nest guard's `canActivate`.
//
//   node bench/micro/middleware.mjs
import { createRequire } from 'node:module';
import { bench, group, run, summary } from 'mitata';
import { AUDIENCE, ISSUER, generateKeys, mintTokens } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { createVerifier } = require('../../packages/core/dist/index.js');
const { verifyRequestFromCache } = require('../../packages/core/dist/internal.js');
const { authenticate } = require('../../packages/express/dist/index.js');
const { AccessTokenGuard } = require('../../packages/nest/dist/index.js');
const express = require('express');
const { Reflector } = require('@nestjs/core');

const keys = generateKeys();
const [token] = await mintTokens(keys, 'RS256', 1);
const verifier = createVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['RS256'],
  keys: { keys: [keys.sig.RS256.jwk] },
});
await verifier.verify(token);
// Stored at its second verification (cache admission 'repeat', the default).
await verifier.verify(token);

const app = express();
function makeRequest() {
  const req = Object.create(app.request);
  req.app = app;
  req.method = 'GET';
  req.url = '/api/me';
  req.headers = {
    host: '127.0.0.1:3000',
    authorization: `Bearer ${token}`,
    connection: 'keep-alive',
  };
  req.rawHeaders = [
    'Host',
    '127.0.0.1:3000',
    'Authorization',
    `Bearer ${token}`,
    'Connection',
    'keep-alive',
  ];
  return req;
}
const middleware = authenticate(verifier);
const res = {};
const guard = new AccessTokenGuard(verifier, new Reflector());
class Controller {
  me() {}
}
const context = (req) => ({
  getHandler: () => Controller.prototype.me,
  getClass: () => Controller,
  getType: () => 'http',
  switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
});

group('cache hit, per request', () => {
  summary(() => {
    bench('core verify', () => verifier.verify(token));
    bench('core verifyRequest', () => verifier.verifyRequest(makeRequest()));
    bench('core verifyRequestFromCache', () => verifyRequestFromCache(verifier, makeRequest()));
    bench('express authenticate', () => {
      const req = makeRequest();
      return new Promise((resolve, reject) =>
        middleware(req, res, (err) => (err ? reject(err) : resolve(req.auth))),
      );
    });
    bench('nest AccessTokenGuard', () => guard.canActivate(context(makeRequest())));
    bench('request construction only', () => makeRequest());
  });
});

await run({ format: process.argv.includes('--json') ? 'json' : 'mitata' });
