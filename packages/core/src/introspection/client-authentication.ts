/**
 * Client authentication at the introspection endpoint (RFC 7662 §2.1 requires the protected
 * resource to authenticate; RFC 6749 §2.3.1 defines the two password methods).
 */
import { clientAssertion } from './client-assertion';
import type { ClientCredentials } from './introspection-options';

/**
 * `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B), the encoding
 * RFC 6749 §2.3.1 prescribes for the Basic user name and password: a client id or secret with
 * `:`, `%` or non-ASCII characters then decodes back to itself at the server. URLSearchParams is
 * the WHATWG serializer of that format.
 */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Adds the client's credentials to an introspection request: an `authorization` header
 * (`client_secret_basic`), `client_id` and `client_secret` form members (`client_secret_post`),
 * or a signed client assertion whose audience is `endpoint` (`private_key_jwt`, RFC 7523). Exactly one method is used: RFC 6749 §2.3 forbids more than one per
 * request.
 *
 * @param client The validated credentials.
 * @param form The request body, to which `client_secret_post` and `private_key_jwt` add members.
 * @param endpoint The URL the request goes to: the client assertion's audience.
 * @returns The request headers the method needs (none for `client_secret_post`).
 * @example
 * ```ts
 * const form = new URLSearchParams({ token, token_type_hint: 'access_token' })
 * const headers = authenticateClient({ id: 'api', secret, method: 'client_secret_basic' }, form, endpoint.href)
 * ```
 */
export function authenticateClient(
  client: ClientCredentials,
  form: URLSearchParams,
  endpoint: string,
): Record<string, string> {
  if (client.method === 'private_key_jwt') {
    // RFC 7523 §2.2: the client's id travels in the assertion (iss, sub) and as client_id.
    form.set('client_id', client.id);
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', clientAssertion(client, endpoint));
    return {};
  }
  if (client.method === 'client_secret_post') {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
    return {};
  }
  const userPass = `${formEncode(client.id)}:${formEncode(client.secret)}`;
  return { authorization: `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}` };
}
