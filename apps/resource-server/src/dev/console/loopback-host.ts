/**
 * The console's host rule: like `/dev/token`, it is for this machine only. Dev mode already
 * listens on loopback only (unless `TOKENWARD_DEV_ALLOW_REMOTE=1`); the console also reads the
 * request's `Host`, so that a page on another site whose name was re-pointed at 127.0.0.1 (DNS
 * rebinding) cannot load it or post tokens to it.
 */
import { ForbiddenException } from '@nestjs/common';
import type { Request } from 'express';
import { isLoopbackHost } from '../../config/env-checks';

/**
 * The host name of a `Host` header value (port and IPv6 brackets removed), or undefined when
 * the value is not a host.
 */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || /[/?#@\s\\]/.test(header)) return undefined;
  try {
    const { hostname } = new URL(`http://${header}`);
    return hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/**
 * Whether a `Host` header names this machine: a loopback address, `localhost`, or a name under
 * `.localhost` (RFC 6761 §6.3; the tenants' hosts are `<id>.localhost`).
 *
 * @example `isLoopbackHostHeader('127.0.0.1:3000') // true`
 */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  const name = hostName(header)?.toLowerCase();
  if (name === undefined) return false;
  return isLoopbackHost(name) || /^[a-z0-9-]+(\.[a-z0-9-]+)*\.localhost$/.test(name);
}

/**
 * Refuses (403) a console request whose `Host` does not name this machine, unless the operator
 * allowed remote dev mode (`TOKENWARD_DEV_ALLOW_REMOTE=1`), when `/dev/token` is remote too.
 *
 * @throws ForbiddenException for any other `Host`.
 */
export function assertLoopbackRequest(req: Request, allowRemote: boolean): void {
  if (allowRemote || isLoopbackHostHeader(req.headers.host)) return;
  throw new ForbiddenException(
    'the dev console answers on a loopback host only (127.0.0.1, ::1, localhost); set TOKENWARD_DEV_ALLOW_REMOTE=1 to allow others',
  );
}
