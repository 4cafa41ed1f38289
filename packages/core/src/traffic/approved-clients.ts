/**
 * Approved clients: the OAuth clients this API serves. A verified token of any other client is
 * refused (403), on every request, cache hits included. The list is a store behind
 * {@link ApprovedClientList}, so a shared one (Redis) can replace the memory one.
 */
import { AccessDeniedError } from '../errors/access-denied-error';
import type { TokenwardErrorOptions } from '../errors/errors';
import { ServiceUnavailableError } from '../errors/service-unavailable-error';
import type { AccessToken } from '../verifier/access-token';

/** What an {@link ApprovedClientList} says about a client: approved, not, or cannot say. */
export type ApprovalVerdict = boolean | 'unknown';

/**
 * The clients this API serves. `isApproved` runs synchronously on every request (like
 * `RevocationList.check`): a shared store answers from a local copy it keeps current, and
 * `'unknown'` when that copy cannot be trusted (503, never an acceptance).
 */
export interface ApprovedClientList {
  /**
   * Whether tokens of `clientId` are accepted. Anything but `true`, `false` or `'unknown'` (a
   * promise, say) counts as `'unknown'`.
   *
   * @param clientId The verified token's client id.
   * @param token The verified token (its issuer, for a list kept per issuer).
   */
  isApproved(clientId: string, token: AccessToken): ApprovalVerdict;
}

/** The memory {@link ApprovedClientList}: one process, changed at run time. */
export interface MemoryApprovedClients extends ApprovedClientList {
  /** Approves clients; their tokens are accepted from the next request on. */
  approve(...clientIds: string[]): void;
  /** Withdraws approval; the clients' tokens are refused from the next request on, cached or not. */
  withdraw(...clientIds: string[]): void;
  /** The approved client ids, in approval order. */
  list(): string[];
}

/** The token's client is not approved: 403 `ERR_CLIENT_NOT_APPROVED`. */
export class ClientNotApprovedError extends AccessDeniedError {
  constructor(options?: TokenwardErrorOptions) {
    super('ERR_CLIENT_NOT_APPROVED', "the token's client is not approved for this API", options);
  }
}

/**
 * The approved-client list cannot say whether the token's client is approved: 503
 * `ERR_CLIENT_APPROVAL_UNAVAILABLE` with `Retry-After` (the token may be fine; accepting it could
 * accept a withdrawn client).
 */
export class ClientApprovalUnavailableError extends ServiceUnavailableError {
  constructor(retryAfter = 1, options?: TokenwardErrorOptions) {
    super(
      'ERR_CLIENT_APPROVAL_UNAVAILABLE',
      "whether the token's client is approved cannot be checked right now; retry later",
      retryAfter,
      options,
    );
  }
}

const clientIds = (ids: readonly unknown[], what: string): string[] => {
  if (!ids.every((id) => typeof id === 'string' && id !== '')) {
    throw new TypeError(`${what}: expected non-empty client ids`);
  }
  return ids as string[];
};

/**
 * Creates an in-memory {@link ApprovedClientList}.
 *
 * @param approved The clients approved from the start.
 * @throws TypeError for an id that is not a non-empty string.
 * @example
 * ```ts
 * const approvedClients = createMemoryApprovedClients(['web-app', 'payments-svc'])
 * const verifier = createVerifier({ ...options, approvedClients })
 * approvedClients.withdraw('payments-svc')
 * ```
 */
export function createMemoryApprovedClients(
  approved: Iterable<string> = [],
): MemoryApprovedClients {
  const ids = new Set(clientIds([...approved], 'createMemoryApprovedClients'));
  return {
    isApproved: (clientId) => ids.has(clientId),
    approve(...added) {
      for (const id of clientIds(added, 'approve')) ids.add(id);
    },
    withdraw(...removed) {
      for (const id of clientIds(removed, 'withdraw')) ids.delete(id);
    },
    list: () => [...ids],
  };
}

/**
 * Validates the `approvedClients` option: an array of client ids (a fixed memory list) or an
 * {@link ApprovedClientList}.
 *
 * @throws TypeError naming `approvedClients`.
 */
export function resolveApprovedClients(value: unknown): ApprovedClientList | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    // An empty array is a mistake more often than a wish to refuse every client.
    if (value.length === 0) {
      throw new TypeError('approvedClients: expected at least one client id');
    }
    return createMemoryApprovedClients(clientIds(value, 'approvedClients'));
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as ApprovedClientList).isApproved !== 'function'
  ) {
    throw new TypeError(
      'approvedClients: expected an array of client ids or an ApprovedClientList (createMemoryApprovedClients)',
    );
  }
  return value as ApprovedClientList;
}

/**
 * The list's verdict on `token`: a token without a client id is never approved, and an answer
 * that is not a boolean (or a throw) is `'unknown'` (fail closed).
 */
export function approvalOf(list: ApprovedClientList, token: AccessToken): ApprovalVerdict {
  const client = token.clientId;
  if (client === undefined) return false;
  let verdict: unknown;
  try {
    verdict = list.isApproved(client, token);
  } catch {
    // A store that throws cannot say; the 503 follows, never an acceptance or a 401.
    return 'unknown';
  }
  return verdict === true || verdict === false ? verdict : 'unknown';
}

/**
 * Refuses a token whose client is not approved (403), and any token when the list cannot say
 * (503).
 *
 * @throws ClientNotApprovedError, ClientApprovalUnavailableError
 */
export function checkApproval(list: ApprovedClientList, token: AccessToken): void {
  const verdict = approvalOf(list, token);
  if (verdict === true) return;
  throw verdict === false ? new ClientNotApprovedError() : new ClientApprovalUnavailableError();
}
