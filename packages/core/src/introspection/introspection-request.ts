/**
 * One introspection request (RFC 7662 §2.1) through the bounded fetch every remote call of the
 * verifier uses (lib/fetch-json.ts): https only (plain http to a loopback host), no redirects,
 * one deadline, a size cap, strict JSON. Whatever goes wrong is an
 * {@link IntrospectionUnavailableError}: an answer we could not read is never an "active".
 */
import { IntrospectionUnavailableError } from '../errors/introspection-unavailable-error';
import { fetchJSON } from '../lib/fetch-json';
import { authenticateClient } from './client-authentication';
import type { IntrospectionSettings } from './introspection-options';

/**
 * Seconds a client is told to wait after a failed introspection. Nothing is remembered about
 * the failure, so the next request asks again: one second is only a pause for the retry.
 */
export const INTROSPECTION_RETRY_AFTER = 1;

/**
 * POSTs `token` to the introspection endpoint and returns the response object as sent.
 *
 * @param endpoint The introspection endpoint.
 * @param token The access token, sent in the form body only (never in the URL).
 * @param settings The client credentials, the deadline and the size cap.
 * @throws IntrospectionUnavailableError for a network failure, a timeout, a status other than
 *   200, a redirect, a body over the cap, or one that is not a JSON object (the reason is the
 *   `cause`, naming the URL, never the token or the secret).
 * @example
 * ```ts
 * const response = await requestIntrospection(new URL('https://as.example/introspect'), token, settings)
 * response.active === true
 * ```
 */
export async function requestIntrospection(
  endpoint: URL,
  token: string,
  settings: Pick<IntrospectionSettings, 'client' | 'timeoutMs' | 'maxResponseSize'>,
): Promise<Record<string, unknown>> {
  // The hint spares the server a look-up among its refresh tokens (RFC 7662 §2.1).
  const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const credentials = authenticateClient(settings.client, form, endpoint.href);
  try {
    return await fetchJSON(endpoint, {
      timeoutMs: settings.timeoutMs,
      maxBytes: settings.maxResponseSize,
      post: {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...credentials },
      },
    });
  } catch (cause) {
    throw new IntrospectionUnavailableError(INTROSPECTION_RETRY_AFTER, { cause });
  }
}
