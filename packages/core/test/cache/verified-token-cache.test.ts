import type { AccessToken } from '@tokenward/core';
import {
  DEFAULT_TOKEN_CACHE,
  resolveTokenCacheOptions,
  VerifiedTokenCache,
} from '../../src/cache/verified-token-cache';

const NOW = Date.UTC(2026, 10, 25);

const accessToken = (token: string, expiresInSeconds: number): AccessToken => ({
  token,
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
    const cache = new VerifiedTokenCache(DEFAULT_TOKEN_CACHE);
    const entry = accessToken('aaa.bbb.ccc', 60);
    cache.set(entry, NOW);
    expect(cache.get('aaa.bbb.ccc')).toBe(entry);
    expect(cache.get('aaa.bbb.cc')).toBeUndefined();
    expect(cache.get('aaa.bbb.ccc ')).toBeUndefined();
  });

  it('does not store a token that is already past exp', () => {
    const cache = new VerifiedTokenCache(DEFAULT_TOKEN_CACHE);
    cache.set(accessToken('expired', -1), NOW);
    cache.set(accessToken('expiring-now', 0), NOW);
    expect(cache.size).toBe(0);
  });

  it('never grows past maxEntries', () => {
    const cache = new VerifiedTokenCache({ ...DEFAULT_TOKEN_CACHE, maxEntries: 50 });
    for (let i = 0; i < 500; i++) cache.set(accessToken(`token-${i}`, 60), NOW);
    expect(cache.size).toBe(50);
    // LRU: the newest survive, the oldest are gone.
    expect(cache.get('token-499')).toBeDefined();
    expect(cache.get('token-0')).toBeUndefined();
  });

  it('never holds more than maxTotalLength characters of tokens', () => {
    const cache = new VerifiedTokenCache({ ...DEFAULT_TOKEN_CACHE, maxTotalLength: 10_000 });
    for (let i = 0; i < 100; i++) cache.set(accessToken(`${i}`.padEnd(1_000, 'x'), 60), NOW);
    expect(cache.size).toBe(10);
  });
});

describe('resolveTokenCacheOptions', () => {
  it('is on by default with documented bounds, off with false', () => {
    expect(resolveTokenCacheOptions(undefined)).toEqual({
      maxEntries: 10_000,
      maxTotalLength: 16 * 1024 * 1024,
      maxTtl: 600,
    });
    expect(resolveTokenCacheOptions(true)).toBe(DEFAULT_TOKEN_CACHE);
    expect(resolveTokenCacheOptions(false)).toBeUndefined();
    expect(resolveTokenCacheOptions({ maxEntries: 5 })).toEqual({
      ...DEFAULT_TOKEN_CACHE,
      maxEntries: 5,
    });
  });

  it.each([{ maxEntries: 0 }, { maxTtl: -1 }, { maxTotalLength: 1.5 }, 'yes'])(
    'rejects %p with a TypeError naming the option',
    (option) => {
      expect(() => resolveTokenCacheOptions(option as never)).toThrow(TypeError);
      expect(() => resolveTokenCacheOptions(option as never)).toThrow(/cache/);
    },
  );
});
