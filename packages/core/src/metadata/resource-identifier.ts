/**
 * The `resource` option: the resource identifier of RFC 9728 §1.2 (an https URL without a
 * fragment), validated once, and the URL of its metadata (RFC 9728 §3.1).
 */
import { insecureURLReason } from '../lib/fetch-json';

/** The well-known path of protected resource metadata (RFC 9728 §3), before the resource's path. */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Longest resource identifier accepted, in characters. */
const MAX_RESOURCE_LENGTH = 2048;

/** The `resource` option after validation. */
export interface ResourceIdentity {
  /** The resource identifier, exactly as configured (clients compare it exactly, RFC 9728 §3.3). */
  readonly identifier: string;
  /** The absolute URL its metadata is served at. */
  readonly metadataUrl: string;
  /** The path of {@link ResourceIdentity.metadataUrl}: what an adapter serves. */
  readonly metadataPath: string;
}

/**
 * Validates the `resource` option. The identifier must be written in the form a URL parser
 * prints (lower-case host, no default port, no dot segments, percent-encoded path; `https://host`
 * or `https://host/` for the bare host), so every client derives the same metadata URL from it.
 * A query is refused too: RFC 9728 §1.2 advises against one, and its well-known URL would depend
 * on how each client orders path and query.
 *
 * @param value The option's value.
 * @throws TypeError naming `resource` and what is wrong.
 */
export function resolveResource(value: unknown): ResourceIdentity | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_RESOURCE_LENGTH) {
    throw new TypeError(
      `resource: expected the API's resource identifier, an https URL of at most ${MAX_RESOURCE_LENGTH} characters`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('resource: expected an absolute https URL (https://api.example.com)');
  }
  // An empty fragment (`https://api.example.com/#`) leaves url.hash empty: look at the text too.
  const reason = value.includes('#') ? 'it must not have a fragment' : insecureURLReason(url);
  if (reason !== undefined) throw new TypeError(`resource: ${reason}`);
  if (value.includes('?')) throw new TypeError('resource: it must not have a query');
  const path = url.pathname === '/' ? '' : url.pathname;
  if (value !== url.href && value !== `${url.origin}${path}`) {
    throw new TypeError(
      `resource: expected its canonical form ${JSON.stringify(url.origin + path)} (lower-case host, no default port, no dot segments, percent-encoded)`,
    );
  }
  const metadataPath = `${PROTECTED_RESOURCE_METADATA_PATH}${path}`;
  return Object.freeze({
    identifier: value,
    metadataUrl: `${url.origin}${metadataPath}`,
    metadataPath,
  });
}
