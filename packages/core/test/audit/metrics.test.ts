/**
 * The `metrics` option with a real OpenTelemetry SDK: decisions by outcome, reason, stage and
 * issuer; verification duration; cache look-ups (one per request); key fetches; bounded labels
 * (a forged issuer is `other`, never a subject, client or token).
 */
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { createTenantVerifier, createVerifier, tenantFromHost } from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: unknown;
}

async function points(reader: TestReader): Promise<Map<string, Point[]>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  const byName = new Map<string, Point[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    expect(scope.scope.name).toBe('tokenward');
    for (const metric of scope.metrics) {
      byName.set(
        metric.descriptor.name,
        metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      );
    }
  }
  return byName;
}

describe('verifier metrics (OpenTelemetry)', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    await issuer.start();
  });
  afterAll(() => issuer.stop());

  it('counts decisions, cache look-ups and full verifications with bounded labels', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: `${issuer.issuer}/.well-known/jwks.json`,
      metrics: { meterProvider },
      cache: { admission: 'always' },
    });
    const token = await issuer.issueSigned({ sub: 'alice-subject', client_id: 'client-xyz' });
    const req = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } };
    // A miss through the adapters' path (counted once, by verifyRequest), then two hits.
    expect(verifyRequestFromCache(verifier, req)).toBeUndefined();
    await verifier.verifyRequest(req);
    await verifier.verifyRequest(req);
    await verifier.verify(token);
    await expect(
      verifier.verify(await issuer.issueSigned({ iss: 'https://forged.example' })),
    ).rejects.toThrow();
    await expect(verifier.verifyRequest({ headers: {} })).rejects.toThrow();

    const metrics = await points(reader);
    const decisions = metrics.get('tokenward.decisions') ?? [];
    const count = (attrs: Record<string, string>) =>
      decisions
        .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
        .reduce((n, p) => n + (p.value as number), 0);
    expect(count({ 'tokenward.outcome': 'allow', 'tokenward.issuer': issuer.issuer })).toBe(3);
    expect(count({ 'tokenward.outcome': 'deny', 'tokenward.issuer': 'other' })).toBe(1);
    expect(
      count({
        'tokenward.outcome': 'deny',
        'tokenward.reason': 'ERR_TOKEN_MISSING',
        'tokenward.issuer': 'none',
      }),
    ).toBe(1);
    const lookups = metrics.get('tokenward.cache.lookups') ?? [];
    const lookup = (result: string) => lookups.find((p) => p.attributes.result === result)?.value;
    expect(lookup('miss')).toBe(2); // the first request, and the forged token
    expect(lookup('hit')).toBe(2);
    const durations = metrics.get('tokenward.verification.duration') ?? [];
    const allowHistogram = durations.find((p) => p.attributes.outcome === 'allow')?.value as {
      count: number;
    };
    expect(allowHistogram.count).toBe(1);
    expect(metrics.get('tokenward.key.fetches')?.[0]?.attributes.result).toBe('ok');

    const labels = JSON.stringify([...metrics.values()].flat().map((p) => p.attributes));
    expect(labels).not.toContain('alice-subject');
    expect(labels).not.toContain('client-xyz');
    expect(labels).not.toContain('forged.example');
    expect(labels).not.toContain(token.slice(0, 20));
  });

  it('counts remote key fetch failures, and metrics: false records nothing', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: 'http://127.0.0.1:9/jwks.json',
      remoteKeys: { timeout: 1 },
      metrics: { meterProvider },
    });
    await expect(verifier.verify(await issuer.issueSigned())).rejects.toMatchObject({
      status: 503,
    });
    const fetches = (await points(reader)).get('tokenward.key.fetches') ?? [];
    expect(fetches).toEqual([{ attributes: { result: 'error' }, value: 1 }]);

    expect(() => createVerifier(issuer.verifierOptions({ metrics: false }))).not.toThrow();
    expect(() =>
      createVerifier(issuer.verifierOptions({ metrics: { provider: 1 } as never })),
    ).toThrow(/metrics\.provider: unknown option/);
    expect(() => createVerifier(issuer.verifierOptions({ metrics: 'on' as never }))).toThrow(
      /metrics: expected/,
    );
  });

  it('counts anomaly detections by event and action', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const verifier = createVerifier({
      ...issuer.verifierOptions(),
      metrics: { meterProvider },
      anomalies: { tokenSpread: { addresses: 1, block: 60 } },
    });
    const token = await issuer.issueSigned({ jti: 'metrics-spread' });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      await verifier
        .verifyRequest({ headers: { authorization: `Bearer ${token}` }, ip })
        .catch(() => undefined);
    }
    expect((await points(reader)).get('tokenward.anomalies')).toEqual([
      { attributes: { event: 'anomaly_token_spread', action: 'block' }, value: 1 },
    ]);
  });

  it("counts a tenant verifier's refusal of an unknown tenant as a decision without an issuer", async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { audit: _a, metrics: _m, ...acme } = issuer.verifierOptions();
    const verifier = createTenantVerifier({
      resolve: tenantFromHost({ 'acme.api': 'acme' }),
      tenants: { acme },
      metrics: { meterProvider },
    });
    const token = await issuer.issueSigned();
    await verifier.verifyRequest({
      headers: { host: 'acme.api', authorization: `Bearer ${token}` },
    });
    await expect(
      verifier.verifyRequest({ headers: { host: 'other.api', authorization: `Bearer ${token}` } }),
    ).rejects.toThrow();
    const decisions = (await points(reader)).get('tokenward.decisions') ?? [];
    const of = (reason: string) =>
      decisions
        .filter((p) => p.attributes['tokenward.reason'] === reason)
        .reduce((n, p) => n + (p.value as number), 0);
    expect(of('ERR_TENANT_UNKNOWN')).toBe(1);
    expect(of('ok')).toBe(1);
    expect(
      decisions.find((p) => p.attributes['tokenward.reason'] === 'ERR_TENANT_UNKNOWN')?.attributes[
        'tokenward.issuer'
      ],
    ).toBe('none');
  });
});
