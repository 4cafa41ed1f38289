/**
 * `allowFrom()`: a route's IP allowlist. The address is `req.ip`, which Express computes under
 * the app's `trust proxy` setting; parsing, matching and the refusal are core's.
 */
import type { RequestHandler } from 'express';
import { ipInNetworks, IpNotAllowedError, parseNetworks } from '@tokenward/core';
import { clientAddressOf, presentRejection } from '@tokenward/core/internal';
import './augment';
import { routeTemplate } from './route-template';
import { fail, requestStateOf, UNAUTHENTICATED } from './request-state';

/**
 * Creates middleware that lets a request through only from the listed networks (CIDR blocks or
 * single addresses, IPv4 and IPv6, parsed once here: a bad entry is a `TypeError` at setup).
 * Anything else, a request without a usable `req.ip` included, is refused with 403
 * `ERR_IP_NOT_ALLOWED` (no challenge: the token is not at fault).
 *
 * The address is `req.ip`: set Express's `trust proxy` to the proxies in front of the app
 * (`app.set('trust proxy', 'loopback')`, a hop count or their addresses), or `req.ip` is the
 * proxy's address; with it set too widely (`true`), a client chooses its own address through
 * `X-Forwarded-For`. Mounted after `authenticate()`, the refusal is presented and audited by
 * its verifier (realm, `errorHandling`, `onRejection`); mounted before it, a refused request
 * costs no token work.
 *
 * @param cidrs The allowed networks (`'10.0.0.0/8'`, `'2001:db8::/32'`, `'192.0.2.7'`).
 * @throws TypeError naming `allowFrom` and the bad entry.
 * @example
 * ```ts
 * app.set('trust proxy', 'loopback')
 * app.post('/internal/reindex', authenticate(verifier), allowFrom('10.0.0.0/8'), handler)
 * ```
 */
export function allowFrom(...cidrs: string[]): RequestHandler {
  const networks = parseNetworks(cidrs, 'allowFrom');
  return (req, res, next) => {
    // req.ip's answer, read past its getter where the answer is known (no proxy trusted).
    if (ipInNetworks(networks, clientAddressOf(req))) {
      next();
      return;
    }
    const authenticated = requestStateOf(req, res);
    const state = authenticated ?? UNAUTHENTICATED;
    const refused = new IpNotAllowedError();
    fail(
      state.verifier !== undefined
        ? presentRejection(state.verifier, refused, req, {
            route: routeTemplate(req),
            token: req.auth,
          })
        : refused.withRealm(state.realm),
      state,
      res,
      next,
    );
  };
}
