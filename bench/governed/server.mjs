/* global process */
// One server of the governed-request benchmark, run as a child process by http.mjs (IPC):
// `governed` is Express 5 with every governance stage on, or with the stages named in `off`
// turned off one at a time; `express-jwt` verifies a plain RS256 token, no cache, no governance.
//
// The governed stages: a nested token (RS256 inside RSA-OAEP-256 + A256GCM) bound to a DPoP key,
// a fresh proof per request whose jti is claimed in Redis; the revocation list in Redis (each
// instance reads its local copy); every decision to the chained audit file sink, pseudonymised;
// a rate limit by client counted in Redis. Off, a stage goes: `dpop` (a plain bearer nested
// token then), `revocation`, `audit`, `rateLimit`.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { serveMeasured } from '../lib/measured-server.mjs';
import { AUDIENCE, ISSUER } from '../lib/fixtures.mjs';
import { SUBJECTS, scenarioNamed } from '../http/subjects.mjs';

const require = createRequire(import.meta.url);
const dist = (pkg) => require(`../../packages/${pkg}/dist/index.js`);
const fromRedisPkg = createRequire(require.resolve('../../packages/redis/package.json'));
const Redis = fromRedisPkg('ioredis').default ?? fromRedisPkg('ioredis');

async function governed(keys, redisUrl, off) {
  const { authenticate, rateLimit } = dist('express');
  const { createFileAuditSink } = dist('core');
  const redis = dist('redis');
  const client = new Redis(redisUrl);
  const revocation =
    !off.includes('revocation') &&
    redis.createRedisRevocationList({ client, subscriber: new Redis(redisUrl) });
  if (revocation) await revocation.ready();
  const verifier = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: [keys.sig.RS256.jwk] },
    algorithms: ['RS256'],
    decryptionKeys: { keys: [keys.enc['RSA-OAEP-256'].jwk] },
    encryption: 'required',
    keyManagementAlgorithms: ['RSA-OAEP-256'],
    contentEncryptionAlgorithms: ['A256GCM'],
    ...(!off.includes('dpop') && {
      dpop: { required: true, replayStore: redis.createRedisReplayStore({ client }) },
    }),
    ...(revocation && { revocation }),
    ...(!off.includes('audit') && {
      audit: {
        sink: createFileAuditSink({
          directory: trailDirectory(),
          chainKey: randomBytes(32),
          signingKey: generateKeyPairSync('ed25519').privateKey,
        }),
        pseudonymizationKey: randomBytes(32),
      },
    }),
  };
  const app = express();
  app.set('etag', false);
  app.get(
    '/api/me',
    authenticate(verifier),
    ...(off.includes('rateLimit')
      ? []
      : [
          rateLimit({
            key: 'client',
            limits: [{ points: 1_000_000_000, duration: 3600 }],
            store: redis.redisRateLimitStore(client),
          }),
        ]),
    (req, res) => res.json({ sub: req.auth.subject }),
  );
  return app;
}

process.once('message', async ({ subject, keys, redisUrl, off = [] }) => {
  const app =
    subject === 'express-jwt'
      ? await SUBJECTS['express-jwt'].build(keys, scenarioNamed('RS256'))
      : await governed(keys, redisUrl, off);
  serveMeasured(app);
});

/** A temporary folder for the trail, removed when the server process exits. */
function trailDirectory() {
  const directory = mkdtempSync(join(tmpdir(), 'tokenward-bench-governed-'));
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}
