/**
 * An Express API protected by express-jwt (jsonwebtoken underneath): the starting point of
 * docs/migration/from-express-jwt.md.
 */
import express, { type Express, type NextFunction, type Response } from 'express';
import { expressjwt, UnauthorizedError, type Request as JwtRequest } from 'express-jwt';
import type { KeyObject } from 'node:crypto';

/** What the API is configured with. */
export interface BeforeConfig {
  issuer: string;
  audience: string;
  /** The issuer's public signing key, PEM text or a KeyObject. */
  publicKey: string | KeyObject;
}

/**
 * Builds the API: `GET /api/me` answers the token's subject.
 *
 * @param config Issuer, audience and the issuer's public key.
 */
export function buildApp(config: BeforeConfig): Express {
  const app = express();
  app.use(
    expressjwt({
      secret: config.publicKey,
      algorithms: ['RS256'],
      issuer: config.issuer,
      audience: config.audience,
    }),
  );
  app.get('/api/me', (req: JwtRequest, res) => {
    res.json({ subject: req.auth?.sub });
  });
  // express-jwt passes every failure to next(err); the app writes the response itself.
  app.use((err: unknown, _req: JwtRequest, res: Response, next: NextFunction) => {
    if (err instanceof UnauthorizedError) res.status(err.status).json({ error: err.code });
    else next(err);
  });
  return app;
}
