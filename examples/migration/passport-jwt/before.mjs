/**
 * An Express API protected by passport with passport-jwt: the starting point of
 * docs/migration/from-passport-jwt.md.
 */
import express from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';

/**
 * Builds the API: `GET /api/me` answers the token's subject.
 *
 * @param {{ issuer: string, audience: string, publicKey: string }} config Issuer, audience and
 *   the issuer's public signing key (PEM).
 */
export function buildApp({ issuer, audience, publicKey }) {
  // An instance of its own rather than passport's singleton, so two apps never share strategies.
  const authenticator = new passport.Passport();
  authenticator.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: publicKey,
        issuer,
        audience,
        algorithms: ['RS256'],
      },
      (payload, done) => done(null, payload),
    ),
  );
  const app = express();
  app.use(authenticator.initialize());
  app.get('/api/me', authenticator.authenticate('jwt', { session: false }), (req, res) => {
    res.json({ subject: req.user.sub });
  });
  return app;
}
