/**
 * Slow answers for the fake identity provider of `../helpers/idp`: an answer that arrives after a
 * delay (just under a timeout, say), and a record of when it was sent, so tests can tell whether
 * a verification finished before or after the IdP answered.
 */
import type { Behaviour } from '../helpers/idp';

/** A behaviour that answers late, with what tests need to reason about its timing. */
export interface DelayedBehaviour extends Behaviour {
  /** Whether an answer has been written (at least once). */
  answered(): boolean;
  /** Cancels answers still waiting (for afterEach: nothing writes after a test). */
  cancel(): void;
}

/**
 * Answers with `behaviour` `ms` milliseconds after each request arrives, unless the client went
 * away meanwhile.
 *
 * @param ms Delay before answering, on real timers.
 * @param behaviour The answer (`json(…)`, …).
 * @example
 * ```ts
 * idp.on('/.well-known/openid-configuration', delayed(800, json(metadata)));
 * ```
 */
export function delayed(ms: number, behaviour: Behaviour): DelayedBehaviour {
  const timers = new Set<NodeJS.Timeout>();
  let answered = false;
  const delayedBehaviour: Behaviour = (request, response) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (response.destroyed) return;
      answered = true;
      behaviour(request, response);
    }, ms);
    timers.add(timer);
  };
  return Object.assign(delayedBehaviour, {
    answered: () => answered,
    cancel: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  });
}

/** A promise with its resolver, for "this happened" signals from loggers. */
export function signal<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
