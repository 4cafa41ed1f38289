/**
 * IP allowlists: the `clientNetworks` verifier option (the networks each OAuth client may call
 * from), the route-level requirement {@link requireNetwork} (Nest `@AllowFrom()`; Express's
 * `allowFrom()` middleware uses the same parts and can also run before authentication), and the
 * refusal every allowlist answers with.
 */
import { AccessDeniedError } from '../errors/access-denied-error';
import type { TokenwardErrorOptions } from '../errors/errors';
import { clientAddressOf } from '../http/client-address';
import type { RouteRequirement } from '../authz/policies';
import type { AccessToken } from '../verifier/access-token';
import { ipInNetworks, parseNetworks, type NetworkList } from './ip-address';

/**
 * The networks each client (`client_id`, as the claims mapping reads it) may call from: CIDR
 * blocks by client id. The key `default` applies to every client not listed, and to tokens
 * without a client id; without it, those are unrestricted. An empty list refuses its client
 * from everywhere.
 *
 * @example `{ 'payments-svc': ['10.0.0.0/8', '2001:db8::/32'], default: ['0.0.0.0/0', '::/0'] }`
 */
export type ClientNetworksOptions = Readonly<Record<string, readonly string[]>>;

/** The request's address is outside the allowlist that applies: 403 `ERR_IP_NOT_ALLOWED`. */
export class IpNotAllowedError extends AccessDeniedError {
  constructor(
    message = 'requests from this network are not allowed',
    options?: TokenwardErrorOptions,
  ) {
    super('ERR_IP_NOT_ALLOWED', message, options);
  }
}

/**
 * A route requirement: the request must come from one of `cidrs` (CIDR blocks or single
 * addresses, IPv4 and IPv6, parsed once here). The address is `RequestLike.ip`, which the
 * framework computes under its trust-proxy setting; a request without a usable one is refused.
 * As a plain policy (the token alone, where no request is at hand) it refuses: an allowlist
 * that cannot see the address does not pass. Inside `allOf`/`anyOf` run by the route step it
 * gets the request.
 *
 * @throws TypeError naming `requireNetwork` and the bad entry.
 * @example `@UsePolicies(requireNetwork('10.0.0.0/8'))`
 */
export function requireNetwork(...cidrs: string[]): RouteRequirement {
  const networks = parseNetworks(cidrs, 'requireNetwork');
  const refuse = (): never => {
    throw new IpNotAllowedError();
  };
  return Object.assign(() => refuse(), {
    forRequest: (_token: AccessToken, request: { readonly ip?: unknown }) => {
      if (!ipInNetworks(networks, clientAddressOf(request))) refuse();
    },
  });
}

/** The `clientNetworks` option, parsed once. */
export interface ClientNetworksPlan {
  /** Each listed client's networks. */
  readonly byClient: ReadonlyMap<string, NetworkList>;
  /** The `default` entry: unlisted clients and tokens without a client id. */
  readonly fallback: NetworkList | undefined;
}

/**
 * Validates the `clientNetworks` option.
 *
 * @throws TypeError naming `clientNetworks.<client>` and the bad entry.
 */
export function resolveClientNetworks(value: unknown): ClientNetworksPlan | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      "clientNetworks: expected an object of CIDR lists by client id ({ 'my-client': ['10.0.0.0/8'] })",
    );
  }
  const byClient = new Map<string, NetworkList>();
  let fallback: NetworkList | undefined;
  for (const [client, entries] of Object.entries(value)) {
    const list = parseNetworks(entries, `clientNetworks.${client}`, true);
    if (client === 'default') fallback = list;
    else byClient.set(client, list);
  }
  return { byClient, fallback };
}

/**
 * Refuses `token` when its client has an allowlist and `ip` (the request's, as its framework
 * computed it) is not in it; a missing or unparsable address is outside every list.
 *
 * @throws IpNotAllowedError
 */
export function checkClientNetwork(
  plan: ClientNetworksPlan,
  token: AccessToken,
  ip: unknown,
): void {
  const networks = clientNetworksOf(plan, token);
  if (networks !== undefined && !ipInNetworks(networks, ip)) {
    throw new IpNotAllowedError(
      "requests from this network are not allowed for the token's client",
    );
  }
}

/** Whether {@link checkClientNetwork} would accept, for the synchronous cache path. */
export function clientNetworkAllows(
  plan: ClientNetworksPlan,
  token: AccessToken,
  ip: unknown,
): boolean {
  const networks = clientNetworksOf(plan, token);
  return networks === undefined || ipInNetworks(networks, ip);
}

function clientNetworksOf(plan: ClientNetworksPlan, token: AccessToken): NetworkList | undefined {
  const client = token.clientId;
  return (client === undefined ? undefined : plan.byClient.get(client)) ?? plan.fallback;
}
