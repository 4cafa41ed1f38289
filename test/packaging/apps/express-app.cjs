/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS consumer, written as its users write it */
'use strict';
// A consumer's Express app (4 or 5: whichever the temporary app installed), built only from the
// packed tarballs: authenticate() on /api, a scope-guarded route, a token from the testing kit.
const express = require('express');
const { authenticate, requireScopes } = require('@tokenward/express');
const { createTestIssuer } = require('@tokenward/testing');
const { report } = require('./report.cjs');

async function main() {
  const testIssuer = await createTestIssuer();
  const app = express();
  app.use('/api', authenticate(testIssuer.verifierOptions()));
  app.get('/api/me', requireScopes('messages:read'), (req, res) => {
    res.json({ subject: req.auth.subject, encrypted: req.auth.encryption !== undefined });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    void testIssuer
      .issueNested({ sub: 'alice', scope: 'messages:read' })
      .then((token) =>
        report(server.address().port, token, require('express/package.json').version),
      );
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
