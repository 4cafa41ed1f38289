/**
 * Rate limits keyed by the verified identity (traffic/rate-limit.ts), on the memory store: N
 * requests pass and the next is 429 with Retry-After; every window of a limit applies; tiers by
 * scope; keys by client, subject, jkt, ip and function, namespaced and hash-tagged; the
 * RateLimit-Policy / RateLimit fields of draft-ietf-httpapi-ratelimit-headers; a request without
 * its identity falls back to its address or is refused; the route step records the 429.
 */
import {
  createVerifier,
  rateLimit,
  RateLimitedError,
  runPolicies,
  allOf,
  anyOf,
  requireScopes,
  memoryRateLimitStore,
  TokenwardError,
  type AccessToken,
  type AuditDecisionEvent,
  type RateLimitOptions,
  type RateLimitStore,
  type RequestLike,
  type RouteRequirement,
} from '@tokenward/core';
import { runRouteStep } from '@tokenward/core/internal';
import { createTestIssuer } from '@tokenward/testing';

const ISSUER = 'https://issuer.example.com/';

function accessToken(
  options: {
    client?: string;
    subject?: string;
    jkt?: string;
    scopes?: string[];
    raw?: string;
  } = {},
): AccessToken {
  return Object.freeze({
    token: options.raw ?? 'eyJhbGciOi.not-a-real.token',
    claims: Object.freeze({ iss: ISSUER }),
    header: Object.freeze({ alg: 'RS256', typ: 'at+jwt' }),
    issuer: ISSUER,
    ...(options.subject !== undefined && { subject: options.subject }),
    ...(options.client !== undefined && { clientId: options.client }),
    binding:
      options.jkt === undefined
        ? ({ scheme: 'bearer' } as const)
        : ({ scheme: 'dpop', jkt: options.jkt } as const),
    audience: ['https://api.example.com'],
    scopes: new Set(options.scopes ?? []),
    roles: new Set<string>(),
    expiresAt: new Date(Date.now() + 3600_000),
  }) as AccessToken;
}

const request = (ip?: string): RequestLike =>
  ({ method: 'GET', url: '/x', headers: {}, ...(ip !== undefined && { ip }) }) as RequestLike;

/** One request through the requirement: its outcome and the headers it set. */
async function attempt(
  limit: RouteRequirement,
  token: AccessToken,
  req: RequestLike = request('203.0.113.7'),
): Promise<{ status: number; headers: Record<string, string>; error?: RateLimitedError }> {
  const headers: Record<string, string> = {};
  try {
    await limit.forRequest(token, req, (name, value) => {
      headers[name] = value;
    });
    return { status: 200, headers };
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    return { status: error.status, headers: error.headers, error };
  }
}

async function statuses(limit: RouteRequirement, token: AccessToken, n: number, req?: RequestLike) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await attempt(limit, token, req)).status);
  return out;
}

describe('rateLimit', () => {
  it('allows N requests per window, then refuses with 429, Retry-After and no challenge', async () => {
    const limit = rateLimit({ key: 'client', limits: [{ points: 3, duration: 60 }] });
    const token = accessToken({ client: 'app-1' });
    expect(await statuses(limit, token, 3)).toEqual([200, 200, 200]);
    const refused = await attempt(limit, token);
    expect(refused.status).toBe(429);
    expect(refused.error?.code).toBe('ERR_RATE_LIMITED');
    expect(refused.error).toBeInstanceOf(TokenwardError);
    const retryAfter = Number(refused.headers['Retry-After']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers).not.toHaveProperty('WWW-Authenticate');
    expect(refused.error?.toJSON()).toEqual({
      error_description: 'the rate limit client-60s is used up',
    });
  });

  it('the headers follow the draft syntax: a policy list and a remaining/reset list', async () => {
    const limit = rateLimit({
      key: 'client',
      limits: [
        { name: 'burst', points: 2, duration: 1 },
        { name: 'hourly', points: 100, duration: 3600 },
      ],
    });
    const token = accessToken({ client: 'app-1' });
    const first = await attempt(limit, token);
    expect(first.headers['RateLimit-Policy']).toBe('"burst";q=2;w=1, "hourly";q=100;w=3600');
    expect(first.headers['RateLimit']).toMatch(/^"burst";r=1;t=1, "hourly";r=99;t=(3600|3599)$/);
    await attempt(limit, token);
    const refused = await attempt(limit, token);
    expect(refused.status).toBe(429);
    // The refusal carries the same fields, the used-up window at r=0, and Retry-After.
    expect(refused.headers['RateLimit-Policy']).toBe('"burst";q=2;w=1, "hourly";q=100;w=3600');
    expect(refused.headers['RateLimit']).toMatch(/^"burst";r=0;t=1, "hourly";r=97;t=\d+$/);
    expect(refused.headers['Retry-After']).toBe('1');
  });

  it('enforces every window: the sustained one refuses once the burst one resets', async () => {
    const limit = rateLimit({
      key: 'subject',
      limits: [
        { name: 'burst', points: 2, duration: 1 },
        { name: 'sustained', points: 3, duration: 60 },
      ],
    });
    const token = accessToken({ subject: 'user-1' });
    expect(await statuses(limit, token, 3)).toEqual([200, 200, 429]);
    await new Promise((r) => setTimeout(r, 1100));
    // The burst window is new, but the sustained one counted all three requests.
    const refused = await attempt(limit, token);
    expect(refused.status).toBe(429);
    expect(refused.error?.message).toBe('the rate limit sustained is used up');
    expect(Number(refused.headers['Retry-After'])).toBeGreaterThan(50);
  });

  it('tiers: the first tier whose scope the token has applies, the default limits otherwise', async () => {
    const limit = rateLimit({
      key: 'client',
      limits: [{ points: 1, duration: 60 }],
      tiers: [
        { scope: 'tier:gold', limits: [{ name: 'gold', points: 3, duration: 60 }] },
        { scope: 'tier:silver', limits: [{ name: 'silver', points: 2, duration: 60 }] },
      ],
    });
    const gold = accessToken({ client: 'g', scopes: ['tier:silver', 'tier:gold'] });
    const silver = accessToken({ client: 's', scopes: ['tier:silver'] });
    const plain = accessToken({ client: 'p' });
    expect(await statuses(limit, gold, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(limit, silver, 3)).toEqual([200, 200, 429]);
    expect(await statuses(limit, plain, 2)).toEqual([200, 429]);
    expect(
      (await attempt(limit, accessToken({ client: 'g2', scopes: ['tier:gold'] }))).headers,
    ).toMatchObject({ 'RateLimit-Policy': '"gold";q=3;w=60' });
  });

  it.each<[string, RateLimitOptions['key'], (n: number) => [AccessToken, RequestLike]]>([
    ['client', 'client', (n) => [accessToken({ client: `c${n}` }), request('203.0.113.1')]],
    ['subject', 'subject', (n) => [accessToken({ subject: `u${n}` }), request('203.0.113.1')]],
    ['jkt', 'jkt', (n) => [accessToken({ jkt: `jkt-${n}` }), request('203.0.113.1')]],
    ['ip', 'ip', (n) => [accessToken({ client: 'same' }), request(`198.51.100.${n}`)]],
    [
      'function',
      (token) => (token.claims as { tenant?: string }).tenant,
      (n) => [
        { ...accessToken({ client: 'same' }), claims: { iss: ISSUER, tenant: `t${n}` } },
        request('203.0.113.1'),
      ],
    ],
  ])('keyed by %s: each identity has its own quota', async (_label, key, make) => {
    const limit = rateLimit({ key, limits: [{ points: 2, duration: 60 }] });
    const [a, reqA] = make(1);
    const [b, reqB] = make(2);
    expect(await statuses(limit, a, 3, reqA)).toEqual([200, 200, 429]);
    // Another identity is untouched by the first one's exhaustion.
    expect(await statuses(limit, b, 2, reqB)).toEqual([200, 200]);
    expect((await attempt(limit, b, reqB)).status).toBe(429);
  });

  it('keyed by ip: an IPv4-mapped address counts as its IPv4 address, an IPv6 address by its /64', async () => {
    const limit = rateLimit({ key: 'ip', limits: [{ points: 1, duration: 60 }] });
    const token = accessToken({ client: 'any' });
    expect((await attempt(limit, token, request('192.0.2.7'))).status).toBe(200);
    expect((await attempt(limit, token, request('::ffff:192.0.2.7'))).status).toBe(429);
    expect((await attempt(limit, token, request('2001:db8:5:6::1'))).status).toBe(200);
    expect((await attempt(limit, token, request('2001:db8:5:6:ffff::2'))).status).toBe(429);
    expect((await attempt(limit, token, request('2001:db8:5:7::1'))).status).toBe(200);
  });

  it('subject and client are per issuer: the same sub from another issuer has its own quota', async () => {
    const limit = rateLimit({ key: 'subject', limits: [{ points: 1, duration: 60 }] });
    const one = accessToken({ subject: 'alice' });
    const other = { ...accessToken({ subject: 'alice' }), issuer: 'https://other.example/' };
    expect(await statuses(limit, one, 2)).toEqual([200, 429]);
    expect(await statuses(limit, other, 1)).toEqual([200]);
  });

  it('two rate limits with different names do not share counters', async () => {
    const a = rateLimit({ key: 'client', name: 'a', limits: [{ points: 1, duration: 60 }] });
    const b = rateLimit({ key: 'client', name: 'b', limits: [{ points: 1, duration: 60 }] });
    const token = accessToken({ client: 'app' });
    expect((await attempt(a, token)).status).toBe(200);
    expect((await attempt(b, token)).status).toBe(200);
    expect((await attempt(a, token)).status).toBe(429);
  });

  it('keys are namespaced, hash-tagged, bounded, and never hold the raw token', async () => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    const recording: RateLimitStore = (window) => {
      prefixes.push(window.keyPrefix);
      return {
        consume: (key) => {
          keys.push(key);
          return Promise.resolve({ remainingPoints: 1, msBeforeNext: 1000 });
        },
      };
    };
    const raw = 'eyJraWQiOiJrMSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const fromToken = rateLimit({
      key: (t) => t.token,
      store: recording,
      limits: [{ points: 5, duration: 60 }],
    });
    const byClient = rateLimit({
      key: 'client',
      store: recording,
      limits: [{ points: 5, duration: 60 }],
    });
    const byIp = rateLimit({ key: 'ip', store: recording, limits: [{ points: 5, duration: 60 }] });
    await attempt(fromToken, accessToken({ raw }));
    await attempt(byClient, accessToken({ client: 'x'.repeat(500), raw }));
    await attempt(byClient, accessToken({ client: 'my-app', raw }));
    await attempt(byIp, accessToken({ raw }), request('2001:db8::1'));
    expect(prefixes).toEqual([
      'tokenward:rl:custom:default:custom-60s',
      'tokenward:rl:client:default:client-60s',
      'tokenward:rl:ip:default:ip-60s',
    ]);
    expect(keys[0]).toMatch(/^\{fn:#[A-Za-z0-9_-]{43}\}$/);
    expect(keys[1]).toMatch(/^\{client:[A-Za-z0-9_-]{8}:#[A-Za-z0-9_-]{43}\}$/);
    expect(keys[2]).toMatch(/^\{client:[A-Za-z0-9_-]{8}:my-app\}$/);
    expect(keys[3]).toBe('{ip:2001:db8:0:0::/64}'); // an IPv6 address counts by its /64
    for (const key of keys) {
      expect(key).not.toContain(raw);
      expect(key.length).toBeLessThanOrEqual(80);
      // Exactly one hash tag, the identity: a cluster keeps each identity's counters on one slot.
      expect(key.match(/[{}]/g)).toEqual(['{', '}']);
    }
  });

  it('no client_id: counted by the address by default; refused with 429 when configured or without one', async () => {
    const fallback = rateLimit({ key: 'client', limits: [{ points: 1, duration: 30 }] });
    const anonymous = accessToken();
    expect(await statuses(fallback, anonymous, 2, request('192.0.2.1'))).toEqual([200, 429]);
    // Another address is another quota.
    expect(await statuses(fallback, anonymous, 1, request('192.0.2.2'))).toEqual([200]);
    // No address either: refused, never let through uncounted.
    const none = await attempt(fallback, anonymous, request());
    expect(none.status).toBe(429);
    expect(none.error?.message).toBe('the request has no client to apply the rate limit client to');
    expect(none.headers).toEqual({
      'RateLimit-Policy': '"client-30s";q=1;w=30',
      'Retry-After': '30',
    });

    const strict = rateLimit({
      key: 'jkt',
      onMissingKey: 'refuse',
      limits: [{ points: 5, duration: 10 }],
    });
    expect((await attempt(strict, accessToken(), request('192.0.2.1'))).status).toBe(429);
    expect((await attempt(strict, accessToken({ jkt: 'k' }), request('192.0.2.1'))).status).toBe(
      200,
    );
  });

  it('as a plain policy (no request) it still counts by the token; an ip key is refused', async () => {
    const byClient = rateLimit({ key: 'client', limits: [{ points: 1, duration: 60 }] });
    const token = accessToken({ client: 'plain' });
    await expect(runPolicies(token, [byClient])).resolves.toBeUndefined();
    await expect(runPolicies(token, [byClient])).rejects.toBeInstanceOf(RateLimitedError);
    const byIp = rateLimit({ key: 'ip', limits: [{ points: 1, duration: 60 }] });
    await expect(runPolicies(token, [byIp])).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
  });

  it('inside allOf and anyOf run with the request, it keys by the address and sets its fields', async () => {
    const token = accessToken({ scopes: ['read'] });
    const byIp = () => rateLimit({ key: 'ip', limits: [{ name: 'w', points: 1, duration: 60 }] });
    for (const composed of [
      allOf(requireScopes('read'), byIp()),
      anyOf(byIp(), requireScopes('admin')),
    ]) {
      const first = await attempt(composed as RouteRequirement, token, request('198.51.100.9'));
      expect(first.status).toBe(200);
      expect(first.headers).toMatchObject({ 'RateLimit-Policy': '"w";q=1;w=60' });
      const second = await attempt(composed as RouteRequirement, token, request('198.51.100.9'));
      expect(second.status).toBe(429);
      expect(
        (await attempt(composed as RouteRequirement, token, request('198.51.100.10'))).status,
      ).toBe(200);
      // With the token alone, an ip key has nothing to count by: refused.
      await expect(Promise.resolve().then(() => composed(token))).rejects.toMatchObject({
        code: 'ERR_RATE_LIMITED',
      });
    }
  });

  it('the memory store is bounded: beyond maxKeys the least recent identity is forgotten, the others stay counted', async () => {
    const limit = rateLimit({
      key: 'client',
      limits: [{ name: 'w', points: 1, duration: 3600 }],
      store: memoryRateLimitStore({ maxKeys: 100 }),
    });
    const first = accessToken({ client: 'client-0' });
    expect((await attempt(limit, first)).status).toBe(200);
    expect((await attempt(limit, first)).status).toBe(429);
    // 99 more identities fit beside it; the 100th other pushes client-0 out.
    for (let i = 1; i < 100; i++) await attempt(limit, accessToken({ client: `client-${i}` }));
    expect((await attempt(limit, accessToken({ client: 'client-99' }))).status).toBe(429);
    for (let i = 100; i < 1100; i++) await attempt(limit, accessToken({ client: `client-${i}` }));
    expect((await attempt(limit, first)).status).toBe(200);
    expect((await attempt(limit, accessToken({ client: 'client-1099' }))).status).toBe(429);
    expect(() => memoryRateLimitStore({ maxKeys: 0 })).toThrow(/maxKeys/);
  });

  it('a store that fails with an error is replaced by a local counter: no throw, still limited', async () => {
    const down: RateLimitStore = () => ({
      consume: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    const limit = rateLimit({ key: 'client', store: down, limits: [{ points: 2, duration: 60 }] });
    const token = accessToken({ client: 'app' });
    expect(await statuses(limit, token, 3)).toEqual([200, 200, 429]);
  });

  it.each<[string, unknown, RegExp]>([
    ['no key', { limits: [{ points: 1, duration: 1 }] }, /rateLimit\.key/],
    ['no windows', { key: 'client', limits: [] }, /rateLimit\.limits/],
    ['points 0', { key: 'client', limits: [{ points: 0, duration: 1 }] }, /points/],
    ['fractional duration', { key: 'client', limits: [{ points: 1, duration: 0.5 }] }, /duration/],
    [
      'a brace in the prefix',
      { key: 'client', prefix: 'a{b}', limits: [{ points: 1, duration: 1 }] },
      /prefix/,
    ],
    [
      'two windows of one name',
      {
        key: 'client',
        limits: [
          { points: 1, duration: 1 },
          { points: 2, duration: 1 },
        ],
      },
      /names two windows/,
    ],
    [
      'a tier without scope',
      { key: 'client', limits: [{ points: 1, duration: 1 }], tiers: [{ limits: [] }] },
      /tiers\[0\]\.scope/,
    ],
    [
      'an unknown option',
      { key: 'client', limits: [{ points: 1, duration: 1 }], window: 1 },
      /unknown option window/,
    ],
    [
      'a bad onMissingKey',
      { key: 'client', limits: [{ points: 1, duration: 1 }], onMissingKey: 'allow' },
      /onMissingKey/,
    ],
  ])('refuses bad options at configuration time: %s', (_label, options, message) => {
    expect(() => rateLimit(options as RateLimitOptions)).toThrow(message);
  });
});

describe('rateLimit in the route step', () => {
  it('sets the headers, and a refusal is presented and audited as excess_rate_limit_exceeded ERR_RATE_LIMITED', async () => {
    const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    const events: AuditDecisionEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({ audit: { sink: (e) => void events.push(e as AuditDecisionEvent) } }),
    );
    const token = await verifier.verify(await issuer.issueSigned({ client_id: 'app-7' }));
    const limits = [
      rateLimit({ key: 'client', name: 'a', limits: [{ points: 1, duration: 60 }] }),
      rateLimit({ key: 'client', name: 'b', limits: [{ points: 5, duration: 60 }] }),
    ];
    const headers: Record<string, string> = {};
    const setHeader = (name: string, value: string) => void (headers[name] = value);
    await runRouteStep(verifier, token, limits, request('127.0.0.1'), '/items', setHeader);
    // Two rate limits on one route: each field lists both.
    expect(headers).toEqual({
      'RateLimit-Policy': '"a-60s";q=1;w=60, "b-60s";q=5;w=60',
      RateLimit: expect.stringMatching(/^"a-60s";r=0;t=60, "b-60s";r=4;t=60$/),
    });
    const refusal = await Promise.resolve(
      runRouteStep(verifier, token, limits, request('127.0.0.1'), '/items', setHeader),
    ).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RateLimitedError);
    expect((refusal as RateLimitedError).realm).toBe(verifier.realm);
    await new Promise((r) => setImmediate(r));
    expect(events.map((e) => [e.event, e.reason, e.status, e.route])).toEqual([
      ['authn_token_valid', 'ok', 200, undefined],
      ['authz_success', 'ok', 200, '/items'],
      ['excess_rate_limit_exceeded', 'ERR_RATE_LIMITED', 429, '/items'],
    ]);
  });
});
