/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728 §2), generated from a verifier's configuration:
 * what a client needs to find the authorization servers and present tokens the way this API
 * accepts them. The configuration part is fixed when the verifier is built and kept under a
 * module-private symbol (as verifier/sync-path.ts keeps the adapters' paths); the scopes, which
 * only the adapters' routes name, are given by the caller.
 */
import { insecureURLReason } from '../lib/fetch-json';
import type { VerificationPlan } from '../config/plan';
import type { Verifier } from '../verifier/types';

/**
 * A protected resource metadata document (RFC 9728 §2), as tokenward serves it.
 *
 * `resource_signing_alg_values_supported` is never set: it names the algorithms the resource
 * signs its own responses with, and tokenward signs none (the algorithms of the access tokens it
 * verifies are the authorization server's business, not this member's). `jwks_uri` is absent for
 * the same reason.
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier: the verifier's `resource` option, exactly. */
  readonly resource: string;
  /**
   * The issuer identifiers of the trusted authorization servers: every configured issuer that
   * is an https URL without query or fragment (RFC 8414 §2), in configuration order. Absent when
   * none is.
   */
  readonly authorization_servers?: readonly string[];
  /** The scopes the API's routes name, when any were given. */
  readonly scopes_supported?: readonly string[];
  /**
   * Where a token may be sent (RFC 6750 §2): `header` always; `body` and `query` only when the
   * verifier's `tokenSources` enables them.
   */
  readonly bearer_methods_supported: readonly ('header' | 'body' | 'query')[];
  /** A human-readable name of the API, when given. */
  readonly resource_name?: string;
  /** A page of developer documentation for the API, when given. */
  readonly resource_documentation?: string;
  /** `true` when the verifier accepts certificate-bound tokens (the `mtls` option, RFC 8705). */
  readonly tls_client_certificate_bound_access_tokens?: true;
  /** The DPoP proof algorithms accepted (`dpop.algorithms`), when DPoP is configured. */
  readonly dpop_signing_alg_values_supported?: readonly string[];
  /** Whether every token must be DPoP-bound (`dpop.required`), when DPoP is configured. */
  readonly dpop_bound_access_tokens_required?: boolean;
}

/** What the caller adds to the configuration's members. */
export interface ProtectedResourceMetadataInput {
  /**
   * The scopes the API's routes require (`requireScopes`, `requireAnyScope`, `@Scopes`, …):
   * RFC 6749 §3.3 scope tokens; duplicates are dropped, first-seen order kept. None: the member
   * is left out.
   */
  readonly scopesSupported?: readonly string[];
  /** `resource_name`: a human-readable name of the API. */
  readonly resourceName?: string;
  /** `resource_documentation`: an https URL of the API's developer documentation. */
  readonly resourceDocumentation?: string;
}

/** The configuration's members, and where the document is served. */
interface ResourceMetadataSource {
  readonly metadataUrl: string;
  readonly base: ProtectedResourceMetadata;
}

const RESOURCE_METADATA = Symbol('tokenward.resourceMetadata');

type WithResourceMetadata = Verifier & { readonly [RESOURCE_METADATA]?: ResourceMetadataSource };

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_NAME_LENGTH = 256;

/**
 * Records the metadata of a verifier `createVerifier` built, when its `resource` option is set.
 *
 * @internal
 */
export function registerResourceMetadata(verifier: Verifier, plan: VerificationPlan): void {
  const { resource } = plan;
  if (resource === undefined) return;
  const authorizationServers = [...plan.trust.keys()].filter(isIssuerIdentifier);
  const base: ProtectedResourceMetadata = {
    resource: resource.identifier,
    ...(authorizationServers.length > 0 && { authorization_servers: authorizationServers }),
    bearer_methods_supported: [
      'header',
      ...(plan.tokenSources.body ? (['body'] as const) : []),
      ...(plan.tokenSources.query ? (['query'] as const) : []),
    ],
    ...(plan.mtls !== undefined && { tls_client_certificate_bound_access_tokens: true as const }),
    ...(plan.dpop !== undefined && {
      dpop_signing_alg_values_supported: [...plan.dpop.challengeAlgorithms],
      dpop_bound_access_tokens_required: plan.dpop.required,
    }),
  };
  const source: ResourceMetadataSource = {
    metadataUrl: resource.metadataUrl,
    base,
  };
  // Enumerable, so a verifier copied with spread keeps it (as it keeps the adapters' paths).
  Object.defineProperty(verifier, RESOURCE_METADATA, { value: source, enumerable: true });
}

/**
 * The URL of the verifier's protected resource metadata (RFC 9728 §3.1): the well-known path
 * `/.well-known/oauth-protected-resource` inserted between the host and the path of its
 * `resource` option. This is the `resource_metadata` of its challenges (RFC 9728 §5.1).
 * `undefined` for a verifier without `resource`, or one `createVerifier` did not build.
 *
 * @param verifier A verifier from `createVerifier`.
 * @example
 * ```ts
 * const verifier = createVerifier({ ...options, resource: 'https://api.example.com/mcp' })
 * protectedResourceMetadataUrl(verifier)
 * // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 */
export function protectedResourceMetadataUrl(verifier: Verifier): string | undefined {
  return (verifier as WithResourceMetadata)[RESOURCE_METADATA]?.metadataUrl;
}

/**
 * The protected resource metadata document (RFC 9728 §2) of a verifier with the `resource`
 * option: `resource`, `authorization_servers` (its issuers), `bearer_methods_supported` (its
 * `tokenSources`), the DPoP members (its `dpop` option), `tls_client_certificate_bound_access_tokens`
 * (its `mtls` option), and what `input` adds. The adapters serve it (`protectedResourceMetadata`
 * of `@tokenward/express`, `TokenwardResourceMetadataModule` of `@tokenward/nest`); build it once
 * at start-up, not per request.
 *
 * @param verifier A verifier from `createVerifier`, with `resource` set.
 * @param input Scopes, name and documentation URL.
 * @throws TypeError when the verifier has no `resource`, or `input` is invalid.
 * @example
 * ```ts
 * const document = protectedResourceMetadataDocument(verifier, { scopesSupported: ['messages:read'] })
 * // { resource: 'https://api.example.com', authorization_servers: ['https://auth.example.com'], … }
 * ```
 */
export function protectedResourceMetadataDocument(
  verifier: Verifier,
  input: ProtectedResourceMetadataInput = {},
): ProtectedResourceMetadata {
  const source = (verifier as WithResourceMetadata)[RESOURCE_METADATA];
  if (source === undefined) {
    throw new TypeError(
      'protected resource metadata: the verifier has no `resource` option (set it in createVerifier)',
    );
  }
  if (typeof input !== 'object' || input === null) {
    throw new TypeError('protected resource metadata: expected an options object');
  }
  const scopes = scopeList(input.scopesSupported);
  const name = input.resourceName;
  if (
    name !== undefined &&
    (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH)
  ) {
    throw new TypeError(
      `resourceName: expected a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const documentation = documentationUrl(input.resourceDocumentation);
  const { base } = source;
  // Members in the order of RFC 9728 §2.
  return Object.freeze({
    resource: base.resource,
    ...(base.authorization_servers && { authorization_servers: base.authorization_servers }),
    ...(scopes.length > 0 && { scopes_supported: scopes }),
    bearer_methods_supported: base.bearer_methods_supported,
    ...(name !== undefined && { resource_name: name }),
    ...(documentation !== undefined && { resource_documentation: documentation }),
    ...(base.tls_client_certificate_bound_access_tokens && {
      tls_client_certificate_bound_access_tokens: true as const,
    }),
    ...(base.dpop_signing_alg_values_supported && {
      dpop_signing_alg_values_supported: base.dpop_signing_alg_values_supported,
      dpop_bound_access_tokens_required: base.dpop_bound_access_tokens_required as boolean,
    }),
  });
}

/** The scopes, validated as RFC 6749 §3.3 scope tokens, without duplicates. */
function scopeList(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError('scopesSupported: expected an array of scopes');
  for (const scope of value) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new TypeError(
        `scopesSupported: ${JSON.stringify(scope)} is not a scope token (RFC 6749 §3.3)`,
      );
    }
  }
  return [...new Set(value as string[])];
}

/** The documentation URL: https (http only for loopback hosts), no credentials or fragment. */
function documentationUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const reason = url === undefined ? 'expected an absolute https URL' : insecureURLReason(url);
  if (reason !== undefined) throw new TypeError(`resourceDocumentation: ${reason}`);
  return (url as URL).href;
}

/**
 * Whether a configured issuer can be listed as an authorization server: an RFC 8414 §2 issuer
 * identifier is an https URL without query or fragment (http for loopback hosts, as tokenward
 * fetches them). An issuer named otherwise (`my-issuer`) cannot be discovered, so it is left out.
 */
function isIssuerIdentifier(issuer: string): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  return insecureURLReason(url) === undefined && !issuer.includes('?') && !issuer.includes('#');
}

/** What an adapter serves for {@link protectedResourceMetadataResponse}. */
export interface ProtectedResourceMetadataResponse {
  /** The exact request path to answer (the metadata URL's path, RFC 9728 §3.1). */
  readonly path: string;
  /** The JSON document. */
  readonly body: string;
  /** The response headers: JSON, cacheable for `maxAge`, `nosniff`, readable cross-origin. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Default `maxAge` of the served document: an hour, so a changed configuration reaches clients the same day. */
export const DEFAULT_RESOURCE_METADATA_MAX_AGE = 3600;

/**
 * The response adapters serve at the verifier's metadata URL: the path to match exactly, the
 * document and its headers, built once at start-up so each request only compares a path.
 *
 * @param verifier A verifier from `createVerifier` with the `resource` option.
 * @param input The document's scopes, name and documentation URL, and `maxAge` (seconds clients
 *   and caches may keep it, default {@link DEFAULT_RESOURCE_METADATA_MAX_AGE}).
 * @throws TypeError when the verifier has no `resource` or an input member is invalid.
 * @example
 * ```ts
 * const { path, body, headers } = protectedResourceMetadataResponse(verifier, { maxAge: 300 })
 * ```
 */
export function protectedResourceMetadataResponse(
  verifier: Verifier,
  input: ProtectedResourceMetadataInput & { readonly maxAge?: number } = {},
): ProtectedResourceMetadataResponse {
  const { maxAge = DEFAULT_RESOURCE_METADATA_MAX_AGE, ...documentInput } = input;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new TypeError('maxAge: expected whole seconds, 0 or more');
  }
  const document = protectedResourceMetadataDocument(verifier, documentInput);
  // The document exists, so the verifier has a metadata URL.
  const path = new URL(protectedResourceMetadataUrl(verifier) as string).pathname;
  return {
    path,
    body: JSON.stringify(document),
    headers: Object.freeze({
      'Content-Type': 'application/json',
      'Cache-Control': `public, max-age=${maxAge}`,
      'X-Content-Type-Options': 'nosniff',
      // Public by definition (RFC 9728 §3), and browser-based clients read it cross-origin.
      'Access-Control-Allow-Origin': '*',
    }),
  };
}
