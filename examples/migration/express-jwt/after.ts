/**
 * The API of ./before.ts on @tokenward/express: same routes, same key material, plus encrypted
 * (nested) tokens when decryption keys are given. See docs/migration/from-express-jwt.md.
 */
import express, { type Express } from 'express';
import type { DecryptionKeyInput, PublicKeyInput } from '@tokenward/core';
import { authenticate } from '@tokenward/express';

/** What the API is configured with. */
export interface AfterConfig {
  issuer: string;
  audience: string;
  /** The issuer's public signing key: PEM text, a KeyObject, a JWK or a JWK Set. */
  publicKey: PublicKeyInput;
  /** The API's private decryption keys, to accept encrypted (JWE) tokens. */
  decryptionKeys?: DecryptionKeyInput;
}

/**
 * Builds the API: `GET /api/me` answers the token's subject.
 *
 * @param config Issuer, audience, the issuer's public key and optional decryption keys.
 */
export function buildApp(config: AfterConfig): Express {
  const app = express();
  app.use(
    authenticate({
      issuer: config.issuer,
      audience: config.audience,
      keys: config.publicKey,
      algorithms: ['RS256'],
      ...(config.decryptionKeys !== undefined && { decryptionKeys: config.decryptionKeys }),
    }),
  );
  // Failures are answered by authenticate() per RFC 6750: no error handler to write.
  app.get('/api/me', (req, res) => {
    res.json({ subject: req.auth?.subject });
  });
  return app;
}
