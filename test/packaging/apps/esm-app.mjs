/* global process */
// A consumer's plain ESM script on node:http with @tokenward/core alone: its own issuer
// (createIssuer, nested sign-then-encrypt) and a verifier answering RFC 6750 errors.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createIssuer, createVerifier, TokenwardError } from '@tokenward/core';

const require = createRequire(import.meta.url);
const { report } = require('./report.cjs');

const issuerUrl = 'https://issuer.tokenward.test';
const audience = 'https://api.tokenward.test';
const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const encryption = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const issuer = await createIssuer({
  issuer: issuerUrl,
  audience,
  signingKey: signing.privateKey.export({ format: 'jwk' }),
  encryptionKey: encryption.publicKey.export({ format: 'jwk' }),
});
const verifier = createVerifier({
  issuer: issuerUrl,
  audience,
  keys: signing.publicKey.export({ format: 'jwk' }),
  decryptionKeys: encryption.privateKey.export({ format: 'jwk' }),
  encryption: 'required',
});

const server = createServer((req, res) => {
  verifier.verifyRequest({ method: req.method, url: req.url, headers: req.headers }).then(
    (auth) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ subject: auth.subject, encrypted: auth.encryption !== undefined }));
    },
    (error) => {
      const known = error instanceof TokenwardError;
      res.writeHead(known ? error.status : 500, {
        'content-type': 'application/json',
        ...(known ? error.headers : {}),
      });
      res.end(JSON.stringify(known ? error.toJSON() : { error: 'server_error' }));
    },
  );
});
server.listen(0, '127.0.0.1', async () => {
  const token = await issuer.issue({ sub: 'alice', scope: 'messages:read' });
  report(server.address().port, token, `node ${process.version} (ESM)`);
});
