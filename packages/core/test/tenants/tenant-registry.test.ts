/**
 * Tenant resolution and the registry: hosts (port, case, spoofed and repeated Host, IPv6
 * literals), path prefixes (traversal, encoded separators, empty segments), a tenant header
 * believed only from trusted proxies, a throwing resolver; unknown tenants refused with 400
 * ERR_TENANT_UNKNOWN (recorded without a tenant), never served by another; tenants added,
 * changed and removed at run time, in-flight requests finishing on the verifier they started on.
 */
import {
  createTenantVerifier,
  rateLimit,
  tenantFromHeader,
  tenantFromHost,
  tenantFromPath,
  TokenwardError,
  type AuditEvent,
  type RequestLike,
  type TenantOptions,
} from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

let acme: TestIssuer;
let globex: TestIssuer;
beforeAll(async () => {
  acme = await createTestIssuer({ issuer: 'https://acme.example/', keyManagementAlgorithm: false });
  globex = await createTestIssuer({
    issuer: 'https://globex.example/',
    keyManagementAlgorithm: false,
  });
});
const optionsOf = (issuer: TestIssuer, extra: Partial<TenantOptions> = {}): TenantOptions => {
  const { audit: _a, metrics: _m, ...options } = issuer.verifierOptions(extra);
  return options;
};
const outcome = (pending: Promise<unknown>) =>
  pending.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? `${e.status} ${e.code}` : Promise.reject(e)),
  );
const req = (headers: Record<string, string>, extra: Partial<RequestLike> = {}): RequestLike => ({
  method: 'GET',
  url: '/messages',
  headers,
  ...extra,
});

describe('tenantFromHost', () => {
  const resolve = tenantFromHost({
    'acme.api.example.com': 'acme',
    'Globex.API.example.com': 'globex',
  });

  it.each<[Record<string, string>, Partial<RequestLike>, string | undefined]>([
    [{ host: 'acme.api.example.com' }, {}, 'acme'],
    [{ host: 'ACME.api.example.com:8443' }, {}, 'acme'],
    [{ host: 'globex.api.example.com' }, {}, 'globex'],
    [{ host: 'evil.example.com' }, {}, undefined],
    [{ host: 'acme.api.example.com.evil.example' }, {}, undefined],
    [{ host: 'acme.api.example.com:99999999' }, {}, undefined],
    [{ host: '[::1]:443' }, {}, undefined],
    [{ host: 'acme.api.example.com/../globex' }, {}, undefined],
    [{}, {}, undefined],
    // X-Forwarded-Host is never read.
    [{ host: 'evil.example.com', 'x-forwarded-host': 'acme.api.example.com' }, {}, undefined],
    // Two Host lines: neither is believed.
    [
      { host: 'acme.api.example.com' },
      { rawHeaders: ['Host', 'acme.api.example.com', 'Host', 'globex.api.example.com'] },
      undefined,
    ],
  ])('%j %j → %s', (headers, extra, tenant) => {
    expect(resolve(req(headers, extra))).toBe(tenant);
  });

  it('refuses bad maps', () => {
    expect(() => tenantFromHost({})).toThrow(/at least one host/);
    expect(() => tenantFromHost({ 'not a host': 'x' })).toThrow(/not a hostname/);
    expect(() => tenantFromHost({ 'a.example': '../b' })).toThrow(/not a tenant id/);
  });
});

describe('tenantFromPath', () => {
  const resolve = tenantFromPath('/t/');

  it.each<[string, string | undefined]>([
    ['/t/acme/messages', 'acme'],
    ['/t/acme', 'acme'],
    ['/t/acme?x=1', 'acme'],
    ['/t/acme/../globex/messages', undefined],
    ['/t/../t/globex/messages', undefined],
    ['/t/./acme', undefined],
    ['/t/%61cme/messages', undefined],
    ['/t/acme%2f..%2fglobex/messages', undefined],
    ['/t/acme/%2e%2e/globex', undefined],
    ['/t//acme', undefined],
    ['/t/acme\\..\\globex', undefined],
    ['/other/acme', undefined],
    ['/t/', undefined],
    ['/t/a.b', undefined],
  ])('%s → %s', (url, tenant) => {
    expect(resolve(req({}, { url, originalUrl: url }))).toBe(tenant);
  });

  it('reads the path as received (originalUrl) over a rewritten url', () => {
    expect(resolve(req({}, { url: '/t/globex/x', originalUrl: '/t/acme/x' }))).toBe('acme');
  });

  it('refuses a bad prefix', () => {
    expect(() => tenantFromPath('t/')).toThrow(TypeError);
    expect(() => tenantFromPath('/t')).toThrow(TypeError);
    expect(() => tenantFromPath('/../')).toThrow(TypeError);
  });
});

describe('tenantFromHeader', () => {
  const resolve = tenantFromHeader('X-Tenant-Id', { trustedProxies: ['10.0.0.0/8'] });
  const from = (peer: string, headers: Record<string, string>, raw?: string[]) =>
    req(headers, { socket: { remoteAddress: peer }, ...(raw && { rawHeaders: raw }) });

  it('believes the header only from a trusted proxy, never when repeated or malformed', () => {
    expect(resolve(from('10.1.2.3', { 'x-tenant-id': 'acme' }))).toBe('acme');
    expect(resolve(from('::ffff:10.1.2.3', { 'x-tenant-id': 'acme' }))).toBe('acme');
    expect(resolve(from('192.0.2.9', { 'x-tenant-id': 'acme' }))).toBeUndefined();
    // The forwarded client address is not the peer: only the socket counts.
    expect(resolve(req({ 'x-tenant-id': 'acme' }, { ip: '10.1.2.3' }))).toBeUndefined();
    expect(
      resolve(
        from('10.1.2.3', { 'x-tenant-id': 'acme' }, [
          'X-Tenant-Id',
          'acme',
          'x-tenant-id',
          'globex',
        ]),
      ),
    ).toBeUndefined();
    expect(resolve(from('10.1.2.3', { 'x-tenant-id': '../globex' }))).toBeUndefined();
    expect(resolve(from('10.1.2.3', {}))).toBeUndefined();
  });

  it('refuses bad options', () => {
    expect(() => tenantFromHeader('bad header', { trustedProxies: ['10.0.0.0/8'] })).toThrow(
      TypeError,
    );
    expect(() => tenantFromHeader('x-tenant', { trustedProxies: [] })).toThrow(/trustedProxies/);
  });
});

describe('createTenantVerifier', () => {
  const hosts = tenantFromHost({
    'acme.api': 'acme',
    'globex.api': 'globex',
    'initech.api': 'initech',
  });
  const at = (host: string, token: string) => req({ host, authorization: `Bearer ${token}` });

  it('refuses a request naming no known tenant with 400 ERR_TENANT_UNKNOWN, recorded without a tenant', async () => {
    const events: AuditEvent[] = [];
    const verifier = createTenantVerifier({
      resolve: hosts,
      tenants: { acme: optionsOf(acme) },
      audit: { sink: (e) => void events.push(e) },
      metrics: false,
    });
    const token = await acme.issueSigned();
    expect(await outcome(verifier.verifyRequest(at('acme.api', token)))).toBe('accepted');
    for (const host of ['globex.api', 'unknown.example', '']) {
      expect(await outcome(verifier.verifyRequest(at(host, token)))).toBe('400 ERR_TENANT_UNKNOWN');
    }
    const refusal = await verifier
      .verifyRequest(at('nowhere.example', token))
      .catch((e: TokenwardError) => e);
    expect((refusal as TokenwardError).challenge).toContain('error="invalid_request"');
    expect(await outcome(verifier.verify(token))).toBe('400 ERR_TENANT_UNKNOWN');
    expect(await outcome(verifier.verify(token, { tenant: 'acme' }))).toBe('accepted');
    expect(await outcome(verifier.verify(token, { tenant: 'globex' }))).toBe(
      '400 ERR_TENANT_UNKNOWN',
    );
    await verifier.close();
    const denials = events.filter(
      (e) => (e as { reason?: string }).reason === 'ERR_TENANT_UNKNOWN',
    );
    // Three hosts, one more request, two verify() calls without a known tenant.
    expect(denials.length).toBe(6);
    for (const e of denials) expect((e as { tenant?: string }).tenant).toBeUndefined();
  });

  it('a resolver that throws names no tenant', async () => {
    const verifier = createTenantVerifier({
      resolve: () => {
        throw new Error('directory down');
      },
      tenants: { acme: optionsOf(acme) },
      metrics: false,
    });
    expect(await outcome(verifier.verifyRequest(at('acme.api', await acme.issueSigned())))).toBe(
      '400 ERR_TENANT_UNKNOWN',
    );
  });

  it('adds, changes and removes tenants at run time', async () => {
    const verifier = createTenantVerifier({ resolve: hosts, tenants: {}, metrics: false });
    const acmeToken = await acme.issueSigned();
    const globexToken = await globex.issueSigned();
    expect(await outcome(verifier.verifyRequest(at('acme.api', acmeToken)))).toBe(
      '400 ERR_TENANT_UNKNOWN',
    );
    verifier.tenants.set('acme', optionsOf(acme));
    verifier.tenants.set('globex', optionsOf(globex));
    expect(verifier.tenants.ids()).toEqual(['acme', 'globex']);
    expect(await outcome(verifier.verifyRequest(at('acme.api', acmeToken)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(at('globex.api', globexToken)))).toBe('accepted');
    // Changed: acme now trusts globex's issuer only; its cache went with its old verifier.
    verifier.tenants.set('acme', optionsOf(globex));
    expect(await outcome(verifier.verifyRequest(at('acme.api', acmeToken)))).toBe(
      '401 ERR_ISSUER_INVALID',
    );
    expect(verifier.tenants.remove('globex')).toBe(true);
    expect(verifier.tenants.remove('globex')).toBe(false);
    expect(verifier.tenants.has('globex')).toBe(false);
    expect(await outcome(verifier.verifyRequest(at('globex.api', globexToken)))).toBe(
      '400 ERR_TENANT_UNKNOWN',
    );
    await verifier.close();
  });

  it('a tenant removed while its request is in flight: the request finishes on the verifier it started on', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const verifier = createTenantVerifier({
      resolve: hosts,
      tenants: {
        acme: optionsOf(acme, {
          keys: undefined,
          // A key lookup that waits: the verification is in flight while the tenant goes.
          getKey: async () => {
            await gate;
            return acme.jwks;
          },
        }),
      },
      metrics: false,
    });
    const pending = outcome(verifier.verifyRequest(at('acme.api', await acme.issueSigned())));
    await new Promise((resolve) => setImmediate(resolve));
    verifier.tenants.remove('acme');
    release();
    expect(await pending).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(at('acme.api', await acme.issueSigned())))).toBe(
      '400 ERR_TENANT_UNKNOWN',
    );
  });

  it('refuses bad ids and options at set(), naming them; the shared options are not per tenant', () => {
    const verifier = createTenantVerifier({ resolve: hosts, tenants: {}, metrics: false });
    expect(() => verifier.tenants.set('../x', optionsOf(acme))).toThrow(/not a tenant id/);
    expect(() => verifier.tenants.set('acme', { ...optionsOf(acme), clockTolerance: -1 })).toThrow(
      /^tenants\.acme\.clockTolerance/,
    );
    expect(() =>
      verifier.tenants.set('acme', {
        ...optionsOf(acme),
        audit: { sink: () => undefined },
      } as TenantOptions),
    ).toThrow(/tenants\.acme\.audit: set on createTenantVerifier/);
    expect(() => createTenantVerifier({ tenants: {} } as never)).toThrow(/resolve/);
    expect(verifier.tenants.ids()).toEqual([]);
  });

  it('health reports every tenant, ready when each is', async () => {
    const verifier = createTenantVerifier({
      resolve: hosts,
      tenants: { acme: optionsOf(acme), globex: optionsOf(globex) },
      metrics: false,
    });
    const health = await verifier.health();
    expect(health.ready).toBe(true);
    expect(Object.keys(health.tenants)).toEqual(['acme', 'globex']);
  });
});

describe('rate limits in a tenant setup', () => {
  it("two tenants trusting one identity provider never share a subject's quota; key 'tenant' counts a whole tenant", async () => {
    // One issuer and key set, two tenants (two audiences): the same `sub` in both.
    const verifier = createTenantVerifier({
      resolve: tenantFromHost({ 'one.api': 'one', 'two.api': 'two' }),
      tenants: {
        one: optionsOf(acme, { audience: 'https://one.api' }),
        two: optionsOf(acme, { audience: 'https://two.api' }),
      },
      metrics: false,
    });
    const auth = async (host: string, aud: string, sub = 'alice') =>
      verifier.verifyRequest(
        req({ host, authorization: `Bearer ${await acme.issueSigned({ sub, aud })}` }),
      );
    const bySubject = rateLimit({ key: 'subject', limits: [{ points: 1, duration: 60 }] });
    const byTenant = rateLimit({ key: 'tenant', limits: [{ points: 2, duration: 60 }] });
    const status = (limit: typeof bySubject, token: Awaited<ReturnType<typeof auth>>) =>
      Promise.resolve()
        .then(() => limit.forRequest(token, req({}), undefined))
        .then(
          () => 200,
          (e: TokenwardError) => e.status,
        );
    const aliceOne = await auth('one.api', 'https://one.api');
    const aliceTwo = await auth('two.api', 'https://two.api');
    expect(await status(bySubject, aliceOne)).toBe(200);
    expect(await status(bySubject, aliceOne)).toBe(429);
    expect(await status(bySubject, aliceTwo)).toBe(200);
    const bob = await auth('one.api', 'https://one.api', 'bob');
    expect([
      await status(byTenant, aliceOne),
      await status(byTenant, bob),
      await status(byTenant, aliceOne),
      await status(byTenant, aliceTwo),
    ]).toEqual([200, 200, 429, 200]);
  });
});
