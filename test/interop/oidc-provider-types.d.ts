/**
 * The slice of `oidc-provider` 9 the interop test uses. The package ships no type declarations
 * and `@types/oidc-provider` is not installed; these few lines keep the test type-checked without
 * another dependency. Shapes follow oidc-provider's `lib/provider.js` and `lib/helpers/errors.js`.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** A node:http request listener, as returned by `Provider#callback()`. */
  type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

  /** An OAuth 2.0 / OpenID Connect authorization server. */
  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    /** The issuer identifier passed to the constructor. */
    readonly issuer: string;
    /** The request listener to mount on a node:http server. */
    callback(): RequestListener;
  }

  /** OAuth error classes, thrown from configuration helpers to answer with that error. */
  export const errors: {
    /** RFC 8707 §2: `invalid_target`, the requested resource is unknown or not allowed. */
    InvalidTarget: new (description?: string) => Error;
  };
}
