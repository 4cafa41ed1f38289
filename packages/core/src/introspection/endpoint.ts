/**
 * Where introspection requests go: the configured `introspection.endpoint`, or the
 * `introspection_endpoint` of the issuer's metadata, found by the discovery code that finds
 * `jwks_uri` (same metadata URLs, exact `issuer` check, https rules, 24-hour reuse, last good
 * endpoint kept when a re-read fails).
 */
import { IntrospectionUnavailableError } from '../errors/introspection-unavailable-error';
import { discoveryLocator } from '../keys/discovery';
import type { RemoteKeysSettings } from '../keys/remote-options';
import type { IntrospectionSettings } from './introspection-options';
import { INTROSPECTION_RETRY_AFTER } from './introspection-request';

/** Resolves to the endpoint to POST to now. @throws IntrospectionUnavailableError */
export type EndpointLocator = () => Promise<URL>;

/**
 * The locator of `settings.endpoint`. A discovered endpoint is looked up once for all the
 * introspections waiting on it: a cold verifier hit by many distinct tokens reads the metadata
 * once, not once per token.
 *
 * @param settings The validated option (its endpoint and timeout).
 * @param remote The `remoteKeys` settings: the metadata size cap, the logger and the clock.
 * @example
 * ```ts
 * const locate = endpointLocator(settings, remote)
 * const url = await locate()
 * ```
 */
export function endpointLocator(
  settings: Pick<IntrospectionSettings, 'endpoint' | 'timeoutMs'>,
  remote: RemoteKeysSettings,
): EndpointLocator {
  const { endpoint } = settings;
  if (endpoint.kind === 'fixed') return () => Promise.resolve(endpoint.url);
  const locator = discoveryLocator(
    endpoint.issuer,
    endpoint.issuerURL,
    { ...remote, timeoutMs: settings.timeoutMs },
    'introspection_endpoint',
  );
  let pending: Promise<URL> | undefined;
  return () => {
    pending ??= locator
      .locate(AbortSignal.timeout(settings.timeoutMs))
      .catch((cause: unknown) => {
        // The metadata could not be read (or names no usable endpoint): nobody can be asked.
        throw new IntrospectionUnavailableError(INTROSPECTION_RETRY_AFTER, { cause });
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
