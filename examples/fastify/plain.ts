/**
 * Plain Fastify with @tokenward/core: an `onRequest` hook verifies the bearer token and sets
 * `request.auth`, and answers failures per RFC 6750. See docs/fastify.md.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createVerifier,
  TokenwardError,
  type AccessToken,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by the onRequest hook of {@link buildApp}. */
    auth?: AccessToken;
  }
}

/**
 * Builds a Fastify API whose every route needs a valid access token: `GET /api/me` answers the
 * token's subject.
 *
 * @param verifier A core verifier, or the options to create one with (checked here, at start-up).
 */
export function buildApp(verifier: Verifier | VerifierOptions): FastifyInstance {
  const tokens = 'verifyRequest' in verifier ? verifier : createVerifier(verifier);
  const app = Fastify();
  // Declared once so every request object has the same shape (Fastify's advice for speed).
  app.decorateRequest('auth', undefined);
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.auth = await tokens.verifyRequest({
        method: request.method,
        url: request.url,
        headers: request.headers,
        query: request.query,
        // Node's request: its rawHeaders show a repeated Authorization line (400, RFC 6750 §2).
        raw: request.raw,
      });
    } catch (error) {
      // Anything else is a bug, not a token problem: Fastify answers it as a 500.
      if (!(error instanceof TokenwardError)) throw error;
      return reply.code(error.status).headers(error.headers).send(error.toJSON());
    }
  });
  app.get('/api/me', async (request) => ({ subject: request.auth?.subject }));
  return app;
}
