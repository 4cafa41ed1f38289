/* global process */
// One DPoP benchmark server, run as a child process by http.mjs (IPC, bench/lib/measured-server.mjs, as
// bench/http/server.mjs): builds the subject's Express 5 app answering GET /api/me with the
// token's subject, listens on 127.0.0.1 port 0, reports the port, and measures its own CPU
// (process.cpuUsage: every thread) and first-to-last response time between `start` and `stop`.
//
// Subjects:
// - baseline: no auth.
// - tokenward-bearer: `authenticate(verifier)`, no `dpop` (unbound bearer tokens).
// - tokenward-dpop: `authenticate(verifier)` with `dpop: { required: true }`; the origin is what
//   Express derives (req.protocol, req.hostname, the Host header's port); default memory
//   replay store.
// - express-oauth2-jwt-bearer: `auth({ jwksUri, issuer, audience, tokenSigningAlg: 'ES256',
//   dpop: { enabled: true, required: true } })`, JWKS from a server on 127.0.0.1 in this process.
import { serveMeasured } from '../lib/measured-server.mjs';
import http from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import { AUDIENCE, ISSUER } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const dist = (pkg) => require(`../../packages/${pkg}/dist/index.js`);

const app = (middleware, subjectOf) => {
  const a = express();
  a.set('etag', false);
  a.get('/api/me', ...middleware, (req, res) => res.json({ sub: subjectOf(req) }));
  return a;
};

async function startJwks(jwk) {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}/jwks.json`;
}

const tokenOptions = (keys) => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: { keys: [keys.sig.ES256.jwk] },
  algorithms: ['ES256'],
});

const SUBJECTS = {
  baseline: () => app([], () => 'anonymous'),
  'tokenward-bearer': (keys) => {
    const { authenticate } = dist('express');
    const { createVerifier } = dist('core');
    return app([authenticate(createVerifier(tokenOptions(keys)))], (req) => req.auth.subject);
  },
  'tokenward-dpop': (keys) => {
    const { authenticate } = dist('express');
    const { createVerifier } = dist('core');
    const verifier = createVerifier({ ...tokenOptions(keys), dpop: { required: true } });
    return app([authenticate(verifier)], (req) => req.auth.subject);
  },
  'express-oauth2-jwt-bearer': async (keys) => {
    const { auth } = require('express-oauth2-jwt-bearer');
    return app(
      [
        auth({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwksUri: await startJwks(keys.sig.ES256.jwk),
          tokenSigningAlg: 'ES256',
          dpop: { enabled: true, required: true },
        }),
      ],
      (req) => req.auth.payload.sub,
    );
  },
};

process.once('message', async ({ subject, keys }) => {
  serveMeasured(await SUBJECTS[subject](keys));
});
