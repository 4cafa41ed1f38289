/**
 * The API of ./before.mjs on @tokenward/express: the issuer's metadata is discovered the same
 * way, and encrypted (nested) tokens are accepted when decryption keys are given. See
 * docs/migration/from-express-oauth2-jwt-bearer.md.
 */
import express, { type Express } from 'express';
import type { DecryptionKeyInput } from '@tokenward/core';
import { authenticate } from '@tokenward/express';

/** What the API is configured with. */
export interface AfterConfig {
  /** The issuer identifier, exactly as tokens carry it in `iss`. */
  issuerBaseURL: string;
  audience: string;
  /** The API's private decryption keys, to accept encrypted (JWE) tokens. */
  decryptionKeys?: DecryptionKeyInput;
}

/**
 * Builds the API: `GET /api/me` answers the token's subject.
 *
 * @param config The issuer (its metadata is discovered), the audience, optional decryption keys.
 */
export function buildApp(config: AfterConfig): Express {
  const app = express();
  app.use(
    authenticate({
      issuer: config.issuerBaseURL,
      discovery: true,
      audience: config.audience,
      algorithms: ['RS256'],
      ...(config.decryptionKeys !== undefined && { decryptionKeys: config.decryptionKeys }),
    }),
  );
  app.get('/api/me', (req, res) => {
    res.json({ subject: req.auth?.subject });
  });
  return app;
}
