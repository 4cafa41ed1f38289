/** The memory replay store: once per key within its ttl, bounded, and never forgets a live claim. */
import { createMemoryReplayStore, ReplayStoreFullError } from '@tokenward/core';
import { claimSync } from '../../src/binding/replay-store';

describe('createMemoryReplayStore', () => {
  it('accepts a key once, concurrently too, until its ttl passes', async () => {
    const store = createMemoryReplayStore();
    const results = await Promise.all(Array.from({ length: 100 }, () => store.claim('jti-1', 0.1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claim('jti-2', 10)).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(await store.claim('jti-1', 10)).toBe(true);
    expect(await store.claim('jti-2', 10)).toBe(false);
  });

  it('full of live claims: refuses a new one (fail closed) instead of evicting; expired ones make room', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 });
    expect(await store.claim('a', 0.1)).toBe(true);
    expect(await store.claim('b', 10)).toBe(true);
    await expect(store.claim('c', 10)).rejects.toBeInstanceOf(ReplayStoreFullError);
    // The live claims are still held: no replay of a or b.
    expect(await store.claim('b', 10)).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(await store.claim('c', 10)).toBe(true);
    expect(await store.claim('b', 10)).toBe(false);
  });

  it('a claim with a longer ttl ahead does not keep an expired shorter one alive, nor refuse it', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 });
    expect(await store.claim('long', 10)).toBe(true);
    expect(await store.claim('short', 0.05)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    // 'short' has expired behind 'long': claimable again, and a full store sweeps it out.
    expect(await store.claim('short', 10)).toBe(true);
    await expect(store.claim('third', 10)).rejects.toBeInstanceOf(ReplayStoreFullError);
    expect(await store.claim('long', 10)).toBe(false);
  });

  it('sustains a stream of claims under the cap as they expire (100,000 claims, 20,000 slots)', async () => {
    const store = createMemoryReplayStore({ maxEntries: 20_000 });
    let accepted = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20_000; i++) if (await store.claim(`r${round}-${i}`, 0.05)) accepted++;
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(accepted).toBe(100_000);
  });

  it('its synchronous claim shares the claims of `claim`, and throws what `claim` rejects with', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 });
    const claimNow = claimSync(store)!;
    expect(claimNow('a', 10)).toBe(true);
    expect(await store.claim('a', 10)).toBe(false);
    expect(await store.claim('b', 10)).toBe(true);
    expect(claimNow('b', 10)).toBe(false);
    expect(() => claimNow('c', 10)).toThrow(ReplayStoreFullError);
    await expect(store.claim('c', 10)).rejects.toBeInstanceOf(ReplayStoreFullError);
    expect(() => claimNow('', 10)).toThrow(TypeError);
    // A store of the application's own has none: it is claimed through its promise.
    expect(claimSync({ claim: async () => true })).toBeUndefined();
  });

  it('refuses bad options and bad claims', async () => {
    expect(() => createMemoryReplayStore({ maxEntries: 0 })).toThrow(/maxEntries/);
    const store = createMemoryReplayStore();
    await expect(store.claim('', 1)).rejects.toThrow(/non-empty key/);
    await expect(store.claim('k', -1)).rejects.toThrow(/time to live/);
  });
});
