/**
 * An Express API protected by express-oauth2-jwt-bearer: the starting point of
 * docs/migration/from-express-oauth2-jwt-bearer.md. JavaScript, because the library's types
 * declare `req.auth` globally with its own shape, which cannot share a program with tokenward's.
 */
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

/**
 * Builds the API: `GET /api/me` answers the token's subject.
 *
 * @param {{ issuerBaseURL: string, audience: string }} config The issuer (its metadata is
 *   discovered) and the API's audience.
 */
export function buildApp({ issuerBaseURL, audience }) {
  const app = express();
  app.use(auth({ issuerBaseURL, audience, tokenSigningAlg: 'RS256' }));
  app.get('/api/me', (req, res) => {
    res.json({ subject: req.auth?.payload.sub });
  });
  return app;
}
