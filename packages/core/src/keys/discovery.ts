/**
 * Finding an issuer's endpoints from its metadata: its JWK Set (`discovery: true`) and its
 * introspection endpoint (option `introspection` without `endpoint`). OpenID Connect Discovery
 * 1.0 first, then RFC 8414 authorization server metadata.
 */
import {
  fetchJSON,
  FetchJSONError,
  insecureURLReason,
  isLoopbackURL,
  type FetchJSONOptions,
} from '../lib/fetch-json';
import type { JWKSLocator } from './remote-jwks';
import { log, type RemoteKeysSettings } from './remote-options';

/**
 * How long discovered metadata is trusted before the next JWK Set fetch reads it again, in
 * milliseconds (24 hours). A failed re-read keeps the previous `jwks_uri`.
 */
export const DISCOVERY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * The metadata URLs of an issuer, in the order they are tried:
 *
 * 1. OpenID Connect Discovery 1.0 §4: the issuer, any terminating `/` removed, followed by
 *    `/.well-known/openid-configuration`;
 * 2. RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted between the host and the
 *    path of the issuer (terminating `/` removed), so `https://as.example/tenant1` gives
 *    `https://as.example/.well-known/oauth-authorization-server/tenant1`.
 */
export function discoveryURLs(issuer: URL): [URL, URL] {
  const path = issuer.pathname.replace(/\/$/, '');
  return [
    new URL(`${issuer.origin}${path}/.well-known/openid-configuration`),
    new URL(`${issuer.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

/**
 * Parses an issuer identifier for discovery, or throws a `TypeError` naming `option`: an https URL
 * (http only on a loopback host) without query or fragment (RFC 8414 §2, OIDC Discovery §3).
 */
export function parseDiscoveryIssuer(issuer: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`${option}: discovery needs the issuer to be a URL`);
  }
  const insecure = insecureURLReason(url);
  if (insecure !== undefined) throw new TypeError(`${option}: for discovery, ${insecure}`);
  if (url.search !== '') throw new TypeError(`${option}: an issuer URL has no query component`);
  return url;
}

/** The metadata members naming an endpoint that tokenward fetches from. */
export type MetadataEndpoint = 'jwks_uri' | 'introspection_endpoint';

/** Reads `jwks_uri` from a metadata document after checking its `issuer`. */
export function jwksURIFrom(
  metadata: Record<string, unknown>,
  issuer: string,
  issuerURL: URL,
): URL {
  return endpointFrom(metadata, issuer, issuerURL, 'jwks_uri');
}

/** Reads the endpoint `member` names from a metadata document after checking its `issuer`. */
export function endpointFrom(
  metadata: Record<string, unknown>,
  issuer: string,
  issuerURL: URL,
  member: MetadataEndpoint,
): URL {
  // RFC 8414 §3.3 and OIDC Discovery §4.3: the issuer in the document must be identical to the
  // one we asked about, or the document must not be used (it may be another tenant's).
  if (metadata.issuer !== issuer) {
    throw new Error(`the metadata names another issuer than ${issuer} (issuer mismatch)`);
  }
  const value = metadata[member];
  if (typeof value !== 'string') throw new Error(`the metadata of ${issuer} has no ${member}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`the ${member} of ${issuer} is not a URL`);
  }
  const insecure = insecureURLReason(url);
  if (insecure !== undefined) throw new Error(`the ${member} of ${issuer} is refused: ${insecure}`);
  // Metadata must not steer our fetches to plain http on this machine unless the issuer itself
  // lives there (a development setup).
  if (url.protocol === 'http:' && !(issuerURL.protocol === 'http:' && isLoopbackURL(issuerURL))) {
    throw new Error(
      `the ${member} of ${issuer} is refused: an https issuer needs an https ${member}`,
    );
  }
  return url;
}

/**
 * Fetches the metadata of `issuer` and returns its checked endpoint `member`, within `limits`:
 * one deadline (`signal`) for both metadata URLs, so a slow 404 leaves less time to the second.
 */
async function discoverEndpoint(
  issuer: string,
  issuerURL: URL,
  limits: FetchJSONOptions,
  member: MetadataEndpoint,
): Promise<URL> {
  const [openid, oauth] = discoveryURLs(issuerURL);
  let metadata: Record<string, unknown>;
  try {
    metadata = await fetchJSON(openid, limits);
  } catch (error) {
    // Only a plain HTTP error status (404 from a pure OAuth server) moves on to RFC 8414; a
    // timeout, redirect or garbage is an answer we do not second-guess.
    if (!(error instanceof FetchJSONError && error.reason === 'status')) throw error;
    metadata = await fetchJSON(oauth, limits);
  }
  return endpointFrom(metadata, issuer, issuerURL, member);
}

// The logger detail naming the endpoint kept after a failed re-read.
const KEPT_DETAIL: Readonly<Record<MetadataEndpoint, string>> = {
  jwks_uri: 'keptJwksUri',
  introspection_endpoint: 'keptIntrospectionEndpoint',
};

/**
 * A locator that finds an endpoint through discovery (the JWK Set's `jwks_uri`, or `member`),
 * remembers it for {@link DISCOVERY_MAX_AGE_MS}, and keeps the last one when a later
 * re-discovery fails.
 *
 * The metadata fetches run under the refresh's deadline (`signal`), which the JWK Set fetch
 * shares, so a stalled chain fails after one `remoteKeys.timeout`. A re-read while a `jwks_uri`
 * is already known gets at most half that budget: a stalled metadata endpoint must leave the JWK
 * Set fetch (at the kept `jwks_uri`) time to succeed, or the held keys would age out for want
 * of metadata that did not change.
 *
 * @param issuer The configured issuer, compared exactly with the metadata's `issuer`.
 * @param issuerURL The issuer parsed by {@link parseDiscoveryIssuer}.
 * @param settings Resolved `remoteKeys` options (budget, size cap, logger, clock).
 * @param member The endpoint to locate: the JWK Set, or the introspection endpoint.
 */
export function discoveryLocator(
  issuer: string,
  issuerURL: URL,
  settings: RemoteKeysSettings,
  member: MetadataEndpoint = 'jwks_uri',
): JWKSLocator {
  let endpoint: URL | undefined;
  let discoveredAt = 0;
  return {
    kind: 'discovery',
    current: () => endpoint,
    async locate(signal) {
      if (endpoint !== undefined && settings.now() - discoveredAt < DISCOVERY_MAX_AGE_MS) {
        return endpoint;
      }
      const budgetMs = endpoint === undefined ? settings.timeoutMs : settings.timeoutMs / 2;
      const limits: FetchJSONOptions = {
        timeoutMs: budgetMs,
        maxBytes: settings.maxResponseSize,
        signal:
          endpoint === undefined
            ? signal
            : AbortSignal.any([signal, AbortSignal.timeout(budgetMs)]),
      };
      try {
        endpoint = await discoverEndpoint(issuer, issuerURL, limits, member);
        discoveredAt = settings.now();
        return endpoint;
      } catch (error) {
        if (endpoint === undefined) throw error;
        log(settings.logger, 'warn', 'tokenward: re-reading issuer metadata failed', {
          issuer,
          error: (error as Error).message,
          [KEPT_DETAIL[member]]: endpoint.href,
        });
        return endpoint;
      }
    },
  };
}
