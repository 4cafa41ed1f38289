/**
 * The client address of a request as its web framework determined it (`RequestLike.ip`), read
 * without the framework's getter where its answer is known beforehand. Every stage that reads a
 * request's address reads it here (the audit events, the failure budget, `clientNetworks` and
 * `requireNetwork`, the rate limits' `ip` key, the anomaly detectors), so a request costs none of
 * them a run of proxy-addr.
 */
import type { RequestLike } from './request';

/** The members of an Express request the shortcut reads. */
interface ExpressLike extends RequestLike {
  /** Express: the application, whose settings hold `trust proxy`. */
  readonly app?: { readonly settings?: Readonly<Record<string, unknown>> };
}

/**
 * `request.ip`. Express 4 and 5 compute theirs on every read, running proxy-addr over the
 * socket's peer address and the `X-Forwarded-For` list under the app's `trust proxy` setting
 * (about 2 µs a request, measured as a share of a cache hit's throughput). With that setting off
 * (Express's default `false`, or `0` hops: no proxy is trusted) Express's answer is the socket's
 * peer address, which is then read directly, unless the application set an `ip` of the request's
 * own. Any other setting, and any other framework (Fastify, a bare `node:http` request), is
 * answered by `request.ip` itself.
 *
 * @example `frameworkClientAddress(req) // '127.0.0.1', as req.ip would say`
 */
export function frameworkClientAddress(request: RequestLike): string | undefined {
  const settings = (request as ExpressLike).app?.settings;
  if (settings === undefined || settings['trust proxy']) return request.ip;
  // Express's `ip` is a getter of the request prototype: an `ip` of the request's own was set
  // by the application (its own proxy-header parsing, say) and is its answer.
  if (Object.hasOwn(request, 'ip')) return request.ip;
  return request.socket?.remoteAddress;
}

/**
 * {@link frameworkClientAddress} of a value that may be a request; `undefined` for anything
 * else. The address is whatever the framework put there: callers parse it (`addressKey`,
 * `ipInNetworks`) and treat anything that does not parse as no address.
 *
 * @example `addressKey(clientAddressOf(request))`
 */
export function clientAddressOf(request: unknown): unknown {
  return typeof request === 'object' && request !== null
    ? frameworkClientAddress(request as RequestLike)
    : undefined;
}
