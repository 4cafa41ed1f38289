/**
 * The API of ./before.mjs on @tokenward/express, without passport: `authenticate()` replaces the
 * strategy and `passport.authenticate('jwt')`, and `req.auth` replaces `req.user`. See
 * docs/migration/from-passport-jwt.md.
 */
import express, { type Express } from 'express';
import type { DecryptionKeyInput } from '@tokenward/core';
import { authenticate } from '@tokenward/express';

/** What the API is configured with. */
export interface AfterConfig {
  issuer: string;
  audience: string;
  /** The issuer's public signing key (PEM). */
  publicKey: string;
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
  const requireToken = authenticate({
    issuer: config.issuer,
    audience: config.audience,
    keys: config.publicKey,
    algorithms: ['RS256'],
    ...(config.decryptionKeys !== undefined && { decryptionKeys: config.decryptionKeys }),
  });
  app.get('/api/me', requireToken, (req, res) => {
    res.json({ subject: req.auth?.subject });
  });
  return app;
}
