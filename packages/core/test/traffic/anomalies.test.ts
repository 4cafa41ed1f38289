/**
 * The `anomalies` option through the verifier: each detector's audit event (once per threshold
 * crossing), its optional block (token 401, client or address 403, ending after its TTL, on
 * cache hits and the synchronous path too), the risk score and `requireRiskBelow`, a failing
 * store (blocks nothing; the risk requirement answers 503), and option validation.
 */
import {
  assessRisk,
  createMemoryAnomalyStore,
  createMemoryRevocationList,
  createVerifier,
  requireRiskBelow,
  requireScopes,
  type AnomalyStore,
  type AuditEvent,
  type RequestLike,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { runRouteStep, verifyRequestFromCache } from '@tokenward/core/internal';
import {
  createDPoPKey,
  createDPoPProof,
  createTestIssuer,
  type TestIssuer,
} from '@tokenward/testing';
import { outcome } from './outcome';

const KEY = 'k'.repeat(32);
const settle = () => new Promise((resolve) => setImmediate(resolve));

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const from = (ip: string, token: string): RequestLike => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}` },
  ip,
});
const at = (ms: number) => ({ currentDate: new Date(ms) });

function make(anomalies: VerifierOptions['anomalies'], extra: Partial<VerifierOptions> = {}) {
  const events: AuditEvent[] = [];
  const verifier = createVerifier(
    issuer.verifierOptions({
      anomalies,
      metrics: false,
      cache: { admission: 'always' },
      audit: { sink: (event) => void events.push(event), pseudonymizationKey: KEY },
      ...extra,
    }),
  );
  const anomalyEvents = async () => {
    await settle();
    return events.filter((e) => e.event.startsWith('anomaly_') || e.event === 'authn_token_reuse');
  };
  return { verifier, events, anomalyEvents };
}

/** The route step with `policies`, as the adapters run it. */
const routeStep = async (
  verifier: Verifier,
  request: RequestLike,
  policies = [requireScopes('admin')],
) => {
  const token = await verifier.verifyRequest(request);
  return outcome(
    Promise.resolve().then(() => runRouteStep(verifier, token, policies, request, '/r')),
  );
};

describe('tokenSpread', () => {
  it('reports a token used from more than `addresses` addresses once per window, without the token or raw ids', async () => {
    const { verifier, anomalyEvents } = make({ tokenSpread: { addresses: 2, window: 60 } });
    const token = await issuer.issueSigned({ jti: 'spread-1', client_id: 'web-app' });
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.1', '192.0.2.2']) {
      expect(await outcome(verifier.verifyRequest(from(ip, token)))).toBe('accepted');
    }
    expect(await anomalyEvents()).toEqual([]);
    expect(await outcome(verifier.verifyRequest(from('192.0.2.3', token)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(from('192.0.2.4', token)))).toBe('accepted');
    const detected = await anomalyEvents();
    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({
      event: 'anomaly_token_spread',
      action: 'alert',
      count: 3,
      threshold: 2,
      window: 60,
      ip: '192.0.2.3',
      issuer: issuer.issuer,
    });
    const line = JSON.stringify(detected[0]);
    expect(line).not.toContain(token);
    expect(line).not.toContain('spread-1');
    expect(line).not.toContain('web-app');
    expect(typeof (detected[0] as { tokenId?: unknown }).tokenId).toBe('string');
  });

  it('an IPv6 /64 and an IPv4-mapped address count as one address each', async () => {
    const { verifier, anomalyEvents } = make({ tokenSpread: { addresses: 1 } });
    const token = await issuer.issueSigned({ jti: 'spread-v6' });
    for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::ffff', '2001:db8:1:2:abcd::9']) {
      await verifier.verifyRequest(from(ip, token));
    }
    expect(await anomalyEvents()).toEqual([]);
    await verifier.verifyRequest(from('::ffff:192.0.2.9', token));
    await verifier.verifyRequest(from('192.0.2.9', token));
    expect((await anomalyEvents()).map((e) => e.event)).toEqual(['anomaly_token_spread']);
  });

  it('with block: quarantines the token (401 ERR_TOKEN_QUARANTINED) everywhere until the block ends; other tokens are served', async () => {
    const { verifier, anomalyEvents } = make({
      tokenSpread: { addresses: 1, window: 60, block: 120 },
    });
    const now = Date.now();
    const token = await issuer.issueSigned({ jti: 'spread-2', client_id: 'web-app' });
    const fresh = await issuer.issueSigned({ jti: 'spread-3', client_id: 'web-app' });
    await verifier.verifyRequest(from('192.0.2.1', token), at(now));
    // The second address is accepted: the detection follows it, and blocks the next request.
    expect(await outcome(verifier.verifyRequest(from('192.0.2.2', token), at(now)))).toBe(
      'accepted',
    );
    expect((await anomalyEvents())[0]).toMatchObject({
      action: 'block',
      blocked: 'token',
      blockSeconds: 120,
    });
    for (const ip of ['192.0.2.1', '192.0.2.2']) {
      expect(await outcome(verifier.verifyRequest(from(ip, token), at(now + 1000)))).toBe(
        '401 ERR_TOKEN_QUARANTINED',
      );
      expect(verifyRequestFromCache(verifier, from(ip, token), at(now + 1000))).toBeUndefined();
    }
    expect(await outcome(verifier.verify(token, at(now + 1000)))).toBe('401 ERR_TOKEN_QUARANTINED');
    expect(await outcome(verifier.verifyRequest(from('192.0.2.1', fresh), at(now + 1000)))).toBe(
      'accepted',
    );
    expect(await outcome(verifier.verifyRequest(from('192.0.2.1', token), at(now + 121_000)))).toBe(
      'accepted',
    );
  });
});

describe('denialBurst', () => {
  it('reports more than `denials` refusals of one client once, and with block refuses the client (403, Retry-After) until it ends', async () => {
    const { verifier, anomalyEvents } = make({
      denialBurst: { denials: 3, window: 60, block: 30 },
    });
    const probing = await issuer.issueSigned({ client_id: 'prober', scope: 'read' });
    const sibling = await issuer.issueSigned({ client_id: 'prober', scope: 'admin' });
    const other = await issuer.issueSigned({ client_id: 'honest', scope: 'admin' });
    for (let i = 0; i < 3; i++) {
      expect(await routeStep(verifier, from('192.0.2.5', probing))).toBe('403 ERR_SCOPE_MISSING');
    }
    expect(await anomalyEvents()).toEqual([]);
    expect(await routeStep(verifier, from('192.0.2.5', probing))).toBe('403 ERR_SCOPE_MISSING');
    const detected = await anomalyEvents();
    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({
      event: 'anomaly_denial_burst',
      action: 'block',
      blocked: 'client',
      blockSeconds: 30,
      count: 4,
      threshold: 3,
    });
    // Every token of the client is refused, from any address; another client is not.
    const refusal = await verifier
      .verifyRequest(from('198.51.100.1', sibling))
      .catch((e: unknown) => e);
    expect(refusal).toMatchObject({ status: 403, code: 'ERR_ANOMALY_BLOCKED' });
    expect((refusal as { headers: Record<string, string> }).headers['Retry-After']).toMatch(
      /^(29|30)$/,
    );
    expect(await routeStep(verifier, from('198.51.100.1', other))).toBe('accepted');
    // The blocked requests themselves do not count again: still one event.
    await verifier.verifyRequest(from('198.51.100.1', sibling)).catch(() => undefined);
    expect(await anomalyEvents()).toHaveLength(1);
    expect(
      await outcome(verifier.verifyRequest(from('198.51.100.1', sibling), at(Date.now() + 31_000))),
    ).toBe('accepted');
  });

  it('does not count refusals of unverified tokens (no client is known)', async () => {
    const { verifier, anomalyEvents } = make({ denialBurst: { denials: 1 } });
    for (let i = 0; i < 5; i++) {
      await verifier.verifyRequest(from('192.0.2.5', 'not.a.token')).catch(() => undefined);
    }
    expect(await anomalyEvents()).toEqual([]);
  });
});

describe('revokedTokenUse', () => {
  it('reports every presentation of a revoked token as authn_token_reuse, and with block refuses the address (403)', async () => {
    const revocation = createMemoryRevocationList();
    const { verifier, anomalyEvents } = make({ revokedTokenUse: { block: 60 } }, { revocation });
    const stolen = await issuer.issueSigned({ jti: 'revoked-1' });
    const valid = await issuer.issueSigned({ jti: 'valid-1' });
    const auth = await verifier.verify(stolen);
    await revocation.revokeToken({
      issuer: auth.issuer,
      jti: 'revoked-1',
      expiresAt: auth.expiresAt,
    });
    expect(await outcome(verifier.verifyRequest(from('203.0.113.7', stolen)))).toBe(
      '401 ERR_TOKEN_REVOKED',
    );
    expect(await anomalyEvents()).toMatchObject([
      { event: 'authn_token_reuse', action: 'block', blocked: 'address', ip: '203.0.113.7' },
    ]);
    expect(await outcome(verifier.verifyRequest(from('203.0.113.7', valid)))).toBe(
      '403 ERR_ANOMALY_BLOCKED',
    );
    expect(await outcome(verifier.verifyRequest(from('203.0.113.8', valid)))).toBe('accepted');
  });

  it('alerts only by default', async () => {
    const revocation = createMemoryRevocationList();
    const { verifier, anomalyEvents } = make({ revokedTokenUse: true }, { revocation });
    const stolen = await issuer.issueSigned({ jti: 'revoked-2' });
    const auth = await verifier.verify(stolen);
    await revocation.revokeToken({
      issuer: auth.issuer,
      jti: 'revoked-2',
      expiresAt: auth.expiresAt,
    });
    await verifier.verifyRequest(from('203.0.113.7', stolen)).catch(() => undefined);
    await verifier.verifyRequest(from('203.0.113.7', stolen)).catch(() => undefined);
    expect(
      (await anomalyEvents()).map((e) => [e.event, (e as { action?: string }).action]),
    ).toEqual([
      ['authn_token_reuse', 'alert'],
      ['authn_token_reuse', 'alert'],
    ]);
  });
});

describe('replayedProof', () => {
  it('reports a replayed DPoP proof and with block quarantines the token, even with a fresh proof', async () => {
    const ORIGIN = 'https://api.example.com';
    const key = await createDPoPKey('ES256');
    const { verifier, anomalyEvents } = make(
      { replayedProof: { block: 60 } },
      { dpop: { origin: ORIGIN } },
    );
    const token = await issuer.issueSigned({ jti: 'bound-1', cnf: { jkt: key.jkt } });
    const proofRequest = (proof: string): RequestLike => ({
      method: 'GET',
      url: '/messages',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
      rawHeaders: ['Authorization', `DPoP ${token}`, 'DPoP', proof],
      ip: '192.0.2.44',
    });
    const proof = () =>
      createDPoPProof(key, { method: 'GET', url: `${ORIGIN}/messages`, accessToken: token });
    const once = await proof();
    expect(await outcome(verifier.verifyRequest(proofRequest(once)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(proofRequest(once)))).toBe('401 ERR_DPOP_REPLAYED');
    expect(await anomalyEvents()).toMatchObject([
      { event: 'anomaly_proof_replay', action: 'block', blocked: 'token' },
    ]);
    expect(await outcome(verifier.verifyRequest(proofRequest(await proof())))).toBe(
      '401 ERR_TOKEN_QUARANTINED',
    );
  });
});

describe('risk score', () => {
  it('combines the signals as documented: 1 − Π(1 − wᵢ·sᵢ), in whole points', async () => {
    const { verifier } = make({ tokenSpread: { addresses: 3 }, denialBurst: { denials: 10 } });
    const token = await issuer.issueSigned({ jti: 'risk-1', client_id: 'risky', scope: 'read' });
    const first = await verifier.verifyRequest(from('192.0.2.1', token));
    expect(assessRisk(first, from('192.0.2.1', token))).toBe(0);
    await verifier.verifyRequest(from('192.0.2.2', token));
    await settle();
    // Spread: 2 addresses of 3 → s = (2 − 1) / 3; 0.5 · 1/3 → 17.
    expect(assessRisk(first)).toBe(17);
    for (let i = 0; i < 5; i++) await routeStep(verifier, from('192.0.2.1', token));
    await settle();
    // Denials: 5 of 10 → s = 0.5; 1 − (1 − 1/6)(1 − 0.15) = 0.2917 → 29.
    expect(assessRisk(first)).toBe(29);
    await verifier.verifyRequest(from('192.0.2.3', token));
    await verifier.verifyRequest(from('192.0.2.4', token));
    await settle();
    // The spread detector fired: the token is flagged → 100.
    expect(assessRisk(first)).toBe(100);
  });

  it('requireRiskBelow refuses at or above its limit (403 ERR_RISK_TOO_HIGH), as a route requirement and as a plain policy', async () => {
    const { verifier } = make({ tokenSpread: { addresses: 1 } });
    const token = await issuer.issueSigned({ jti: 'risk-2', scope: 'read' });
    expect(await routeStep(verifier, from('192.0.2.1', token), [requireRiskBelow(50)])).toBe(
      'accepted',
    );
    await verifier.verifyRequest(from('192.0.2.2', token));
    await settle();
    expect(await routeStep(verifier, from('192.0.2.1', token), [requireRiskBelow(50)])).toBe(
      '403 ERR_RISK_TOO_HIGH',
    );
    const auth = await verifier.verifyRequest(from('192.0.2.1', token));
    expect(() => requireRiskBelow(100)(auth)).toThrow(
      expect.objectContaining({ code: 'ERR_RISK_TOO_HIGH' }),
    );
  });

  it('requireRiskBelow answers 503 ERR_RISK_UNAVAILABLE when the verifier has no anomalies option', async () => {
    const verifier = createVerifier(issuer.verifierOptions({ metrics: false }));
    const token = await issuer.issueSigned({ scope: 'read' });
    expect(await routeStep(verifier, from('192.0.2.1', token), [requireRiskBelow(50)])).toBe(
      '503 ERR_RISK_UNAVAILABLE',
    );
    expect(assessRisk(await verifier.verify(token))).toBeUndefined();
  });

  it.each([0, 101, 2.5, NaN, '50'])('requireRiskBelow(%p) is a TypeError', (limit) => {
    expect(() => requireRiskBelow(limit as number)).toThrow(TypeError);
  });
});

describe('a failing store', () => {
  const failing = (mode: 'throw' | 'reject'): AnomalyStore => {
    const fail = () => {
      if (mode === 'throw') throw new Error('store down');
      return Promise.reject(new Error('store down'));
    };
    return { addDistinct: fail, countEvent: fail, block: fail, blockedFor: fail } as AnomalyStore;
  };

  it.each(['throw', 'reject'] as const)(
    'that %ss blocks nothing, and makes requireRiskBelow answer 503',
    async (mode) => {
      const { verifier, anomalyEvents } = make({
        tokenSpread: { addresses: 1, block: 60 },
        denialBurst: { denials: 1, block: 60 },
        store: failing(mode),
      });
      const token = await issuer.issueSigned({ jti: `failing-${mode}`, scope: 'read' });
      for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
        expect(await outcome(verifier.verifyRequest(from(ip, token)))).toBe('accepted');
      }
      await settle();
      expect(await anomalyEvents()).toEqual([]);
      expect(await routeStep(verifier, from('192.0.2.1', token), [requireRiskBelow(100)])).toBe(
        '503 ERR_RISK_UNAVAILABLE',
      );
    },
  );
});

describe('createMemoryAnomalyStore', () => {
  it('reports each new member once, stops counting at 256 members, and forgets a window that ended', () => {
    const store = createMemoryAnomalyStore();
    expect(store.addDistinct('k', 'a', 1000, 0)).toBe(1);
    expect(store.addDistinct('k', 'a', 1000, 10)).toBe(0);
    expect(store.addDistinct('k', 'b', 1000, 20)).toBe(2);
    for (let i = 0; i < 300; i++) store.addDistinct('k', `m${i}`, 1000, 30);
    expect(store.addDistinct('k', 'late', 1000, 40)).toBe(0);
    expect(store.addDistinct('k', 'a', 1000, 1000)).toBe(1);
  });

  it('clock jumps: back, a block never outlasts its length and a window starts afresh; forward, both end', () => {
    const store = createMemoryAnomalyStore();
    const t = 1_000_000_000;
    store.block('b', 60_000, t);
    expect(store.blockedFor('b', t - 3_600_000)).toBe(60_000);
    expect(store.blockedFor('b', t + 3_600_000)).toBe(0);
    expect(store.countEvent('c', 60_000, t)).toBe(1);
    expect(store.countEvent('c', 60_000, t - 3_600_000)).toBe(1);
    expect(store.countEvent('c', 60_000, t - 3_600_000 + 1)).toBe(2);
    expect(store.countEvent('c', 60_000, t + 3_600_000)).toBe(1);
  });

  it('is bounded: beyond maxEntries the least recent key is forgotten', () => {
    const store = createMemoryAnomalyStore({ maxEntries: 2 });
    store.block('a', 1000, 0);
    store.block('b', 1000, 0);
    store.block('c', 1000, 0);
    expect(store.blockedFor('a', 1)).toBe(0);
    expect(store.blockedFor('c', 1)).toBe(999);
    expect(() => createMemoryAnomalyStore({ maxEntries: 0 })).toThrow(TypeError);
  });
});

describe('option validation', () => {
  it.each<[unknown, RegExp]>([
    [{}, /at least one detector/],
    [null, /expected an object/],
    [{ tokenSpreads: true }, /anomalies\.tokenSpreads: unknown option/],
    [{ tokenSpread: { addresses: 0 } }, /tokenSpread\.addresses/],
    [{ tokenSpread: { addresses: 101 } }, /tokenSpread\.addresses/],
    [{ tokenSpread: { window: -1 } }, /tokenSpread\.window/],
    [{ denialBurst: { block: 0 } }, /denialBurst\.block/],
    [{ denialBurst: { block: 86_401 } }, /denialBurst\.block/],
    [{ revokedTokenUse: { blok: 5 } }, /revokedTokenUse\.blok: unknown option/],
    [{ replayedProof: 'yes' }, /replayedProof: expected true or an object/],
    [{ tokenSpread: true, store: {} }, /anomalies\.store/],
  ])('%j is a TypeError', (anomalies, message) => {
    expect(() =>
      createVerifier(
        issuer.verifierOptions({ anomalies: anomalies as VerifierOptions['anomalies'] }),
      ),
    ).toThrow(message);
  });
});
