/**
 * The verifier's side of the failure budget (traffic/failure-budget.ts): which refusals are
 * counted against the request's address, and whether an address is still blocked, whatever the
 * store answers. A store that throws, rejects or answers nonsense blocks nothing and counts
 * nothing: the budget is a brake on a flooding address, not a check a token must pass.
 */
import type { TokenwardError } from '../errors/errors';
import { clientAddressOf } from '../http/client-address';
import type { RequestLike } from '../http/request';
import type { FailureBudgetPlan } from '../traffic/failure-budget';
import { addressKey } from '../traffic/ip-address';

/**
 * Counts failures and answers blocks for one verifier.
 *
 * @example
 * ```ts
 * const gate = new FailureBudgetGate(plan.failureBudget)
 * const blocked = gate.blockedFor(request) // ms, or a promise of them
 * gate.count(presentedError, request)
 * ```
 */
export class FailureBudgetGate {
  /**
   * Set once the store answered with a promise: the adapters' synchronous path then leaves every
   * request to verifyRequest rather than asking the store twice.
   */
  asyncStore = false;

  constructor(private readonly budget: FailureBudgetPlan) {}

  /**
   * Counts an authentication refusal against the request's address. Only 401s about a token
   * count: not a missing token (an optional-authentication route sees those from every anonymous
   * client), not a 400, a 403 or a 503, and not the budget's own 429, so a blocked address stays
   * blocked for `block` seconds rather than for as long as it keeps knocking.
   */
  count(presented: TokenwardError, request: RequestLike | undefined): void {
    if (presented.status !== 401 || presented.code === 'ERR_TOKEN_MISSING') return;
    const key = addressKey(clientAddressOf(request));
    if (key === undefined) return;
    try {
      const pending = this.budget.store.recordFailure(key, Date.now(), this.budget.limits);
      if (pending instanceof Promise) pending.catch(() => undefined);
    } catch {
      // A store that cannot count changes no answer.
    }
  }

  /**
   * How long the request's address is still refused, in milliseconds (0: not at all), or the
   * store's pending answer. A store that throws or answers something else refuses nothing.
   */
  blockedFor(request: RequestLike): number | Promise<number> {
    const key = addressKey(clientAddressOf(request));
    if (key === undefined) return 0;
    try {
      const answer: unknown = this.budget.store.blockedFor(key, Date.now());
      if (answer instanceof Promise) {
        this.asyncStore = true;
        return answer as Promise<number>;
      }
      return typeof answer === 'number' ? answer : 0;
    } catch {
      return 0;
    }
  }
}
