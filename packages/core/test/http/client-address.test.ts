/**
 * `frameworkClientAddress`: an Express request whose app trusts no proxy is answered with the
 * socket's peer address, without the `req.ip` getter (unless the application set an `ip` of the
 * request's own); any other setting, and any request outside an Express app (Fastify,
 * node:http), by `request.ip` itself. Real Express apps check the whole
 * path in the adapters' audit tests.
 */
import { frameworkClientAddress } from '../../src/http/client-address';
import type { RequestLike } from '../../src/http/request';

/** A request whose `ip` getter, on its prototype as Express's is, counts its reads. */
function requestWith(settings: Record<string, unknown> | undefined) {
  const reads = { ip: 0 };
  const prototype = {
    get ip() {
      reads.ip += 1;
      return '203.0.113.9';
    },
  };
  const request = Object.assign(Object.create(prototype) as object, {
    method: 'GET',
    url: '/',
    headers: {},
    socket: { remoteAddress: '127.0.0.1' },
    ...(settings && { app: { settings } }),
  });
  return { request: request as RequestLike, reads };
}

describe('frameworkClientAddress', () => {
  it.each([[{ 'trust proxy': false }], [{ 'trust proxy': 0 }], [{}]])(
    'an Express app trusting no proxy (%p): the socket address, req.ip never read',
    (settings) => {
      const { request, reads } = requestWith(settings);
      expect(frameworkClientAddress(request)).toBe('127.0.0.1');
      expect(reads.ip).toBe(0);
    },
  );

  it('an Express app trusting no proxy, whose middleware set req.ip itself: that address', () => {
    const { request, reads } = requestWith({ 'trust proxy': false });
    Object.defineProperty(request, 'ip', { value: '198.51.100.4', enumerable: true });
    expect(frameworkClientAddress(request)).toBe('198.51.100.4');
    expect(reads.ip).toBe(0);
  });

  it.each([
    ['an app trusting loopback proxies', { 'trust proxy': 'loopback' }],
    ['an app trusting every proxy', { 'trust proxy': true }],
    ['an app trusting one hop', { 'trust proxy': 1 }],
    ['a request outside an Express app', undefined],
  ])('%s: request.ip', (_, settings) => {
    const { request, reads } = requestWith(settings);
    expect(frameworkClientAddress(request)).toBe('203.0.113.9');
    expect(reads.ip).toBe(1);
  });
});
