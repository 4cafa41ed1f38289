import type { AccessToken } from '@tokenward/core';
import { estimateEntryBytes } from '../../src/cache/entry-size';
import {
  DEFAULT_TOKEN_CACHE,
  DOORKEEPER_SLOTS,
  resolveTokenCacheOptions,
  VerifiedTokenCache,
} from '../../src/cache/verified-token-cache';

const NOW = Date.UTC(2026, 10, 25);
/** Bounds under test without the doorkeeper: every offered token is stored. */
const ALWAYS = { ...DEFAULT_TOKEN_CACHE, admission: 'always' } as const;

const accessToken = (token: string, expiresInSeconds: number): AccessToken => ({
  token,
  binding: { scheme: 'bearer' },
  claims: {},
  header: {},
  issuer: 'https://issuer.example',
  audience: ['api'],
  scopes: new Set(),
  roles: new Set(),
  expiresAt: new Date(NOW + expiresInSeconds * 1000),
});

describe('VerifiedTokenCache', () => {
  it('returns a stored token only for the exact same string', () => {
    const cache = new VerifiedTokenCache(ALWAYS);
    const entry = accessToken('aaa.bbb.ccc', 60);
    cache.set(entry, NOW);
    expect(cache.get('aaa.bbb.ccc', NOW)).toBe(entry);
    expect(cache.get('aaa.bbb.cc', NOW)).toBeUndefined();
    expect(cache.get('aaa.bbb.ccc ', NOW)).toBeUndefined();
  });

  it('does not store a token that is already past exp', () => {
    const cache = new VerifiedTokenCache(ALWAYS);
    cache.set(accessToken('expired', -1), NOW);
    cache.set(accessToken('expiring-now', 0), NOW);
    expect(cache.size).toBe(0);
  });

  it('never grows past maxEntries', () => {
    const cache = new VerifiedTokenCache({ ...ALWAYS, maxEntries: 50 });
    for (let i = 0; i < 500; i++) cache.set(accessToken(`token-${i}`, 60), NOW);
    expect(cache.size).toBe(50);
    // LRU: the newest survive, the oldest are gone.
    expect(cache.get('token-499', NOW)).toMatchObject({ token: 'token-499' });
    expect(cache.get('token-0', NOW)).toBeUndefined();
  });

  it('never holds more than maxBytes of estimated entry heap', () => {
    const sample = accessToken('0'.padEnd(1_000, 'x'), 60);
    const cache = new VerifiedTokenCache({ ...ALWAYS, maxBytes: 10 * estimateEntryBytes(sample) });
    for (let i = 0; i < 100; i++) cache.set(accessToken(`${i}`.padEnd(1_000, 'x'), 60), NOW);
    expect(cache.size).toBe(10);
  });
});

describe('admission: repeat (the doorkeeper)', () => {
  it('stores a token only when it is offered the second time', () => {
    const cache = new VerifiedTokenCache(DEFAULT_TOKEN_CACHE);
    const first = accessToken('hdr.claims.signature-one', 60);
    cache.set(first, NOW);
    expect(cache.get(first.token, NOW)).toBeUndefined();
    const again = accessToken(first.token, 60);
    cache.set(again, NOW);
    expect(cache.get(first.token, NOW)).toBe(again);
  });

  it('forgets a fingerprint whose slot another token took (a bounded table, never a list)', () => {
    const cache = new VerifiedTokenCache(DEFAULT_TOKEN_CACHE);
    const tokens = Array.from({ length: 4 * DOORKEEPER_SLOTS }, (_, i) => `h.c.sig-${i}`);
    for (const token of tokens) cache.set(accessToken(token, 60), NOW);
    expect(cache.size).toBe(0);
    // More one-off tokens than slots: most early fingerprints were overwritten, so offering
    // the early tokens again stores only the few whose slot still holds them.
    for (const token of tokens.slice(0, 1000)) cache.set(accessToken(token, 60), NOW);
    expect(cache.size).toBeLessThan(200);
    // The latest ones are still remembered.
    for (const token of tokens.slice(-1000)) cache.set(accessToken(token, 60), NOW);
    expect(cache.size).toBeGreaterThan(800);
  });

  it('stores no token past exp, whatever the doorkeeper says', () => {
    const cache = new VerifiedTokenCache(DEFAULT_TOKEN_CACHE);
    cache.set(accessToken('x.y.expired', -1), NOW);
    cache.set(accessToken('x.y.expired', -1), NOW);
    expect(cache.size).toBe(0);
  });

  it('ends an entry at exp, or maxTtl after it was stored if sooner, on the clock it is given', () => {
    const cache = new VerifiedTokenCache({ ...ALWAYS, maxTtl: 60 });
    const soon = accessToken('x.y.soon', 30);
    const late = accessToken('x.y.late', 3600);
    cache.set(soon, NOW);
    cache.set(late, NOW);
    expect(cache.get('x.y.soon', NOW + 29_999)).toBe(soon);
    expect(cache.get('x.y.soon', NOW + 30_000)).toBeUndefined();
    expect(cache.get('x.y.late', NOW + 59_999)).toBe(late);
    expect(cache.get('x.y.late', NOW + 60_000)).toBeUndefined();
    // An ended entry is removed, not kept for a clock that goes back.
    expect(cache.get('x.y.soon', NOW)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('resolveTokenCacheOptions', () => {
  it('is on by default with documented bounds, off with false', () => {
    expect(resolveTokenCacheOptions(undefined)).toEqual({
      admission: 'repeat',
      maxEntries: 10_000,
      maxBytes: 64 * 1024 * 1024,
      maxTtl: 600,
    });
    expect(resolveTokenCacheOptions(true)).toBe(DEFAULT_TOKEN_CACHE);
    expect(resolveTokenCacheOptions(false)).toBeUndefined();
    expect(resolveTokenCacheOptions({ maxEntries: 5 })).toEqual({
      ...DEFAULT_TOKEN_CACHE,
      maxEntries: 5,
    });
  });

  it.each([
    { maxEntries: 0 },
    { maxTtl: -1 },
    { maxBytes: 1.5 },
    { maxTotalLength: 1024 },
    { admission: 'sometimes' },
    { ttl: 5 },
    'yes',
  ])('rejects %p with a TypeError naming the option', (option) => {
    expect(() => resolveTokenCacheOptions(option as never)).toThrow(TypeError);
    expect(() => resolveTokenCacheOptions(option as never)).toThrow(/cache/);
  });
});
