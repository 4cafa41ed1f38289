/**
 * The introspection instruments with a real OpenTelemetry SDK, against the real test
 * authorization server: `tokenward.introspection.requests` by outcome (active, inactive, error,
 * rejected_open while the endpoint is backed off), `tokenward.introspection.cache.lookups` by
 * result (one per verification, also through the adapters' synchronous path), and labels that
 * never carry a token, subject or client.
 */
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { opaqueToken, outcome, useSetup, type Setup } from './fixtures';

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

/** The value of the point of `name` whose `key` attribute is `value` (undefined: none). */
const valueOf = (
  metrics: Map<string, Point[]>,
  name: string,
  key: string,
  value: string,
): unknown => metrics.get(name)?.find((p) => p.attributes[key] === value)?.value;

const setup: Setup = useSetup();
afterEach(() => {
  setup.as.failWith = undefined;
});

describe('introspection metrics (OpenTelemetry)', () => {
  it('counts requests by outcome and cache look-ups by result, with bounded labels', async () => {
    const { as } = setup;
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const verifier = setup.verifier(
      { failureThreshold: 2, minBackoff: 30 },
      { metrics: { meterProvider } },
    );
    const active = opaqueToken();
    as.answer(active, setup.active({ sub: 'alice-subject', client_id: 'client-xyz' }));
    const inactive = opaqueToken();
    const viaAdapter = opaqueToken();
    as.answer(viaAdapter, setup.active());

    // active: a miss and a request, then two hits (one on the adapters' synchronous path).
    expect(await outcome(verifier.verify(active))).toBe('accepted');
    expect(await outcome(verifier.verify(active))).toBe('accepted');
    const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    expect(verifyRequestFromCache(verifier, request(active))?.subject).toBe('alice-subject');
    // inactive: a miss and a request, then a hit (the cached inactive answer).
    expect(await outcome(verifier.verify(inactive))).toBe('401 ERR_TOKEN_INACTIVE');
    expect(await outcome(verifier.verify(inactive))).toBe('401 ERR_TOKEN_INACTIVE');
    // The adapters' synchronous path misses, then verifyRequest asks: one miss, not two.
    expect(verifyRequestFromCache(verifier, request(viaAdapter))).toBeUndefined();
    await verifier.verifyRequest(request(viaAdapter));
    // Two failures open the breaker; the third introspection is not sent.
    as.failWith = 500;
    for (let i = 0; i < 3; i += 1) {
      expect(await outcome(verifier.verify(opaqueToken()))).toBe(
        '503 ERR_INTROSPECTION_UNAVAILABLE',
      );
    }
    // A cache hit while backed off.
    expect(await outcome(verifier.verify(active))).toBe('accepted');

    const metrics = await points(reader);
    const requests = (value: string) =>
      valueOf(metrics, 'tokenward.introspection.requests', 'outcome', value);
    expect(requests('active')).toBe(2);
    expect(requests('inactive')).toBe(1);
    expect(requests('error')).toBe(2);
    expect(requests('rejected_open')).toBe(1);
    expect(as.requests(active) + as.requests(inactive) + as.requests(viaAdapter)).toBe(3);
    const lookups = (value: string) =>
      valueOf(metrics, 'tokenward.introspection.cache.lookups', 'result', value);
    expect(lookups('hit')).toBe(4);
    expect(lookups('miss')).toBe(6);
    for (const point of [
      ...(metrics.get('tokenward.introspection.requests') ?? []),
      ...(metrics.get('tokenward.introspection.cache.lookups') ?? []),
    ]) {
      expect(Object.keys(point.attributes)).toHaveLength(1);
    }

    const labels = JSON.stringify([...metrics.values()].flat().map((p) => p.attributes));
    for (const secret of ['alice-subject', 'client-xyz', active, inactive, viaAdapter]) {
      expect(labels).not.toContain(secret);
    }
  });

  it("mode 'always': a verified JWT's introspection is one look-up per verification", async () => {
    const { as, issuer } = setup;
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const verifier = setup.verifier({ mode: 'always' }, { metrics: { meterProvider } });
    const jwt = await issuer.issueSigned();
    as.answer(jwt, setup.active());
    expect(await outcome(verifier.verify(jwt))).toBe('accepted');
    expect(await outcome(verifier.verify(jwt))).toBe('accepted');
    const metrics = await points(reader);
    expect(valueOf(metrics, 'tokenward.introspection.requests', 'outcome', 'active')).toBe(1);
    expect(valueOf(metrics, 'tokenward.introspection.cache.lookups', 'result', 'miss')).toBe(1);
    expect(valueOf(metrics, 'tokenward.introspection.cache.lookups', 'result', 'hit')).toBe(1);
  });
});
