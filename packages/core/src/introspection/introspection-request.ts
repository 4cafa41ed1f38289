/**
 * One introspection request (RFC 7662 §2.1) through the bounded fetch every remote call of the
 * verifier uses (lib/fetch-json.ts): https only (plain http to a loopback host), no redirects,
 * one deadline, a size cap, strict JSON, or with `responseFormat: 'jwt'` an RFC 9701 JWT checked
 * by jwt-response.ts. Whatever goes wrong is an {@link IntrospectionUnavailableError}: an answer
 * we could not read, or could not trust, is never an "active".
 */
import { IntrospectionUnavailableError } from '../errors/introspection-unavailable-error';
import { fetchBody, fetchJSON } from '../lib/fetch-json';
import { authenticateClient } from './client-authentication';
import type { IntrospectionSettings } from './introspection-options';
import {
  JWT_RESPONSE_MEDIA_TYPE,
  readJWTResponse,
  type JWTResponseVerification,
} from './jwt-response';

/**
 * Seconds a client is told to wait after a failed introspection. The failure itself is not
 * cached, so the next request asks again (unless the endpoint is then backed off, whose 503s
 * carry the time left instead): one second is only a pause for the retry.
 */
export const INTROSPECTION_RETRY_AFTER = 1;

/**
 * POSTs `token` to the introspection endpoint and returns the response object: the JSON answer
 * as sent, or the `token_introspection` member of a verified RFC 9701 JWT answer.
 *
 * @param endpoint The introspection endpoint.
 * @param token The access token, sent in the form body only (never in the URL).
 * @param settings The client credentials, the deadline, the size cap and the answer's format.
 * @param verification The issuer's and our keys, which a JWT answer is checked with (required
 *   by `responseFormat: 'jwt'`).
 * @throws IntrospectionUnavailableError for a network failure, a timeout, a status other than
 *   200, a redirect, a body over the cap, or one that is not a JSON object; with `'jwt'`, for
 *   any answer that is not a JWT passing every check of jwt-response.ts (the reason is the
 *   `cause`, naming the URL and the check, never the token, the secret or the answer's claims).
 * @example
 * ```ts
 * const response = await requestIntrospection(new URL('https://as.example/introspect'), token, settings)
 * response.active === true
 * ```
 */
export async function requestIntrospection(
  endpoint: URL,
  token: string,
  settings: Pick<IntrospectionSettings, 'client' | 'timeoutMs' | 'maxResponseSize' | 'response'>,
  verification?: JWTResponseVerification,
): Promise<Record<string, unknown>> {
  // The hint spares the server a look-up among its refresh tokens (RFC 7662 §2.1).
  const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const credentials = authenticateClient(settings.client, form, endpoint.href);
  const { response } = settings;
  const options = {
    timeoutMs: settings.timeoutMs,
    maxBytes: settings.maxResponseSize,
    post: {
      body: form.toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // RFC 9701 §4: the JWT answer is asked for by media type.
        ...(response.format === 'jwt' && { accept: JWT_RESPONSE_MEDIA_TYPE }),
        ...credentials,
      },
    },
  };
  try {
    if (response.format === 'json') return await fetchJSON(endpoint, options);
    if (verification === undefined) throw new TypeError('no keys to verify a JWT answer with');
    const fetched = await fetchBody(endpoint, options);
    return await readJWTResponse(
      endpoint,
      fetched,
      {
        clientId: settings.client.id,
        requireEncryption: response.requireEncryption,
        maxAgeMs: response.maxAgeMs,
        maxLength: settings.maxResponseSize,
      },
      verification,
    );
  } catch (cause) {
    throw new IntrospectionUnavailableError(INTROSPECTION_RETRY_AFTER, { cause });
  }
}
