/**
 * `req.auth` on Express's `Request` type, set by `authenticate()`: declaration merging is how
 * Express types request extensions (@types/express-serve-static-core).
 */
import type { AccessToken } from '@tokenward/core';

declare global {
  // Declaration merging is how Express types request extensions (@types/express-serve-static-core).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The verified access token, set by `authenticate()`. Absent when authentication is
       * optional (`credentialsRequired: false`) and the request carried no token.
       */
      auth?: AccessToken;
    }
  }
}

export {};
