/**
 * The rate-limit store of the app's `@RateLimit` decorators, chosen at start-up. A decorator
 * builds its limit (and asks its store for one counter per window) when the controller class is
 * defined, before any provider has run and so before the Redis connection exists; the store it
 * is given is this binding's {@link RateLimitStoreBinding.store}, whose counters make the real
 * one from the store bound at start-up on their first request.
 */
import type { RateLimitCounter, RateLimitStore } from '@tokenward/core';

/** The namespace of the app's rate-limit counters (on a shared Redis, beside the app's other keys). */
export const RATE_LIMIT_PREFIX = 'tokenward:resource-server:rl';

/** One app's rate-limit store: handed to the decorators first, bound once at start-up. */
export class RateLimitStoreBinding {
  private bound: RateLimitStore | undefined;

  /**
   * The store for `@RateLimit({ store })`. Each window's counter is made from the bound store
   * once, on the window's first request. A request cannot come before the binding: the traffic
   * provider binds it while the app initialises, before the verifier exists. Were one counted
   * unbound all the same, the rejection (an `Error`) makes the rate limit count it in a local
   * memory counter, as for any failing store: limited, never let through uncounted.
   */
  readonly store: RateLimitStore = (window) => {
    let counter: RateLimitCounter | undefined;
    return {
      consume: (key, points) => {
        if (counter === undefined) {
          if (this.bound === undefined) {
            return Promise.reject(new Error('the rate-limit store is not bound yet'));
          }
          counter = this.bound(window);
        }
        return counter.consume(key, points);
      },
    };
  };

  /**
   * Binds the store the counters are made from; once per app.
   *
   * @throws Error when a store is bound already (two stores would split the counts).
   */
  bind(store: RateLimitStore): void {
    if (this.bound !== undefined) throw new Error('the rate-limit store is bound already');
    this.bound = store;
  }

  /** Whether a store is bound. */
  get isBound(): boolean {
    return this.bound !== undefined;
  }
}
