/**
 * The counter key of a request: the verified identity a rate limit is keyed by, namespaced,
 * bounded and hash-tagged for Redis Cluster. Never the token itself.
 */
import { hash } from 'node:crypto';
import { clientAddressOf } from '../http/client-address';
import type { RequestLike } from '../http/request';
import { addressKey } from './ip-address';
import type { AccessToken } from '../verifier/access-token';

/**
 * What a rate limit counts requests by:
 * - `'client'`: the token's client (`client_id`/`azp`), per issuer;
 * - `'subject'`: the token's subject (`sub`), per issuer;
 * - `'jkt'`: the thumbprint of the DPoP key the token is bound to;
 * - `'ip'`: the client address as the framework reports it (its trust-proxy setting applies);
 * - `'tenant'`: the tenant whose verifier accepted the token (`createTenantVerifier`), so a
 *   whole tenant shares one quota;
 * - a function of the verified token and the request (a tenant claim, say): a string, or
 *   `undefined` when the request has none.
 */
export type RateLimitKey =
  | 'client'
  | 'subject'
  | 'jkt'
  | 'ip'
  | 'tenant'
  | ((token: AccessToken, request: RequestLike | undefined) => string | undefined);

/** Identifiers kept as they are: short, and nothing that could be taken for a hash tag. */
const PLAIN = /^[A-Za-z0-9._~@:+=/-]{1,64}$/;

// The one-shot `hash`: a rate-limit key is made on every request.
const sha256 = (value: string): string => hash('sha256', value, 'base64url');

// The few issuers a verifier trusts, each hashed once (with its tenant: two tenants trusting
// one identity provider never share a subject's or a client's counters).
const issuerTags = new Map<string, string>();
function issuerTag(token: AccessToken): string {
  const scope = token.tenant === undefined ? token.issuer : `${token.tenant}\n${token.issuer}`;
  let tag = issuerTags.get(scope);
  if (tag === undefined) {
    tag = sha256(scope).slice(0, 8);
    if (issuerTags.size < 1024) issuerTags.set(scope, tag);
  }
  return tag;
}

/**
 * An identifier as it goes into a key: itself when short and plain; otherwise (and always when
 * it is the token) `#` and its SHA-256, so a key is bounded and no `{`, `}` or the raw token can
 * get into it. `#` is not a plain character, so a hashed id never equals a plain one.
 */
function bounded(value: string, token: AccessToken): string {
  return PLAIN.test(value) && value !== token.token ? value : `#${sha256(value)}`;
}

/**
 * The hash-tagged key (`{client:<issuer tag>:<id>}`) of a request, or `undefined` when it has
 * no such identity (no `client_id`, an unbound token for `'jkt'`, no address).
 */
export function identityKey(
  key: RateLimitKey,
  token: AccessToken,
  request: RequestLike | undefined,
): string | undefined {
  let id: string | undefined;
  switch (key) {
    case 'client':
      id = nonEmpty(token.clientId);
      return id && `{client:${issuerTag(token)}:${bounded(id, token)}}`;
    case 'subject':
      id = nonEmpty(token.subject);
      return id && `{sub:${issuerTag(token)}:${bounded(id, token)}}`;
    case 'jkt':
      id = nonEmpty(token.binding.jkt);
      return id && `{jkt:${bounded(id, token)}}`;
    case 'ip':
      return ipKey(token, request);
    case 'tenant':
      // A tenant id is plain by construction (tenants/tenant-id.ts).
      return token.tenant && `{tenant:${token.tenant}}`;
    default:
      id = nonEmpty(key(token, request));
      return id && `{fn:${bounded(id, token)}}`;
  }
}

/**
 * The key of the request's address, or `undefined` without one (or with one that does not
 * parse): IPv4-mapped IPv6 counts as its IPv4 address, and an IPv6 address by its /64, so one
 * subscriber cannot spread its requests over the addresses of its own network.
 */
export function ipKey(token: AccessToken, request: RequestLike | undefined): string | undefined {
  const ip = addressKey(clientAddressOf(request));
  return ip && `{ip:${bounded(ip, token)}}`;
}

/**
 * The hash-tagged key of a token, for the anomaly detectors: its issuer and `jti`
 * (`{jti:<issuer tag>:<jti>}`), or, without a `jti`, the SHA-256 of the token itself
 * (`{tok:#<hash>}`). Never the token.
 */
export function tokenKey(token: AccessToken): string {
  const jti = nonEmpty(token.claims.jti);
  return jti === undefined
    ? `{tok:#${sha256(token.token)}}`
    : `{jti:${issuerTag(token)}:${bounded(jti, token)}}`;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
