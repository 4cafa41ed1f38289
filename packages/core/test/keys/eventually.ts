/**
 * Waiting for a background key refresh in tests: once a held JWK Set is `cacheMaxAge` old, the
 * verification that notices it is answered at once and the refresh runs on its own, so a test
 * that asserts what the refresh did must wait for it to be observable (a request on the fake
 * IdP, a new age or status in `health()`).
 */

/**
 * Retries `assertion` (every 5 ms, on real timers) until it passes, and rethrows its last failure
 * after `withinMs`.
 *
 * @param assertion Throws (an `expect` failure) until the awaited state is reached.
 * @param withinMs How long to keep trying; well above any fetch the caller waits for.
 * @example
 * ```ts
 * await v.verify(token, at); // past cacheMaxAge: answered from the held set
 * await eventually(async () => expect((await v.health()).sources[0]?.age).toBe(0));
 * ```
 */
export async function eventually(assertion: () => unknown, withinMs = 3000): Promise<void> {
  const until = performance.now() + withinMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (performance.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
