/**
 * The `audit` option at the verifier: one event per decision, allow and deny, on a miss and on a
 * cache hit; the documented fields only; pseudonyms keyed and omitted without a key; never the
 * token or another claim; a forged issuer never copied.
 */
import { createHmac } from 'node:crypto';
import {
  AUDIT_SCHEMA,
  createVerifier,
  type AuditDecisionEvent,
  type AuditEvent,
  type VerifierOptions,
} from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

const KEY = 'k'.repeat(32);

/** Lets the queue's setImmediate batch run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const FIELDS = new Set([
  'schema',
  'time',
  'event',
  'stage',
  'outcome',
  'reason',
  'status',
  'method',
  'route',
  'issuer',
  'client',
  'subject',
  'tokenId',
  'scopes',
  'encryption',
  'binding',
  'signingKeyId',
  'decryptionKeyId',
  'signingAlg',
  'lifetime',
  'ip',
  'requestId',
  'tenant',
]);

describe('audit events from the verifier', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });

  const make = (audit: Partial<NonNullable<VerifierOptions['audit']>> = {}) => {
    const events: AuditEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({
        audit: { sink: (event) => void events.push(event), pseudonymizationKey: KEY, ...audit },
      }),
    );
    return { verifier, events };
  };
  const request = (token: string | undefined, extra: Record<string, unknown> = {}) => ({
    method: 'GET',
    url: '/messages/42?x=1',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ip: '203.0.113.9',
    ...extra,
  });

  it('records an allowed nested token with every documented field, and pseudonyms keyed per kind', async () => {
    const { verifier, events } = make();
    const token = await issuer.issueNested({
      sub: 'alice',
      client_id: 'app-1',
      jti: 'token-1',
      scope: 'messages:read messages:write',
      secret_claim: 'do-not-log',
    });
    await verifier.verifyRequest(request(token, { id: 'req-7' }), { route: '/messages/:id' });
    await settle();
    expect(events).toHaveLength(1);
    const event = events[0] as AuditDecisionEvent;
    const pseudonym = (kind: string, value: string) =>
      createHmac('sha256', KEY)
        .update(kind)
        .update('\0')
        .update(value)
        .digest('base64url')
        .slice(0, 22);
    expect(event).toMatchObject({
      schema: AUDIT_SCHEMA,
      event: 'authn_token_valid',
      stage: 'authentication',
      outcome: 'allow',
      reason: 'ok',
      status: 200,
      method: 'GET',
      route: '/messages/:id',
      issuer: issuer.issuer,
      subject: pseudonym('sub', 'alice'),
      client: pseudonym('client', 'app-1'),
      tokenId: pseudonym('jti', 'token-1'),
      scopes: ['messages:read', 'messages:write'],
      encryption: { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
      binding: 'bearer',
      signingAlg: 'RS256',
      lifetime: 300,
      ip: '203.0.113.9',
      requestId: 'req-7',
    });
    expect(typeof event.signingKeyId).toBe('string');
    expect(typeof event.decryptionKeyId).toBe('string');
    expect(new Date(event.time).toISOString()).toBe(event.time);
    for (const key of Object.keys(event)) expect(FIELDS.has(key)).toBe(true);
    const text = JSON.stringify(events);
    for (const secret of [
      token,
      'alice',
      'app-1',
      'token-1',
      'do-not-log',
      '/messages/42',
      'x=1',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('omits subject, client and token id without a pseudonymization key (never hashed bare)', async () => {
    const { verifier, events } = make({ pseudonymizationKey: undefined });
    const token = await issuer.issueSigned({ sub: 'alice', jti: 'j-1' });
    await verifier.verify(token);
    await settle();
    const event = events[0] as AuditDecisionEvent;
    expect(event.outcome).toBe('allow');
    expect(event.encryption).toBe('none');
    expect(event).not.toHaveProperty('subject');
    expect(event).not.toHaveProperty('client');
    expect(event).not.toHaveProperty('tokenId');
  });

  it('records cache hits too: one event per decision', async () => {
    const { verifier, events } = make();
    const token = await issuer.issueSigned();
    for (let i = 0; i < 4; i++) await verifier.verifyRequest(request(token));
    await settle();
    expect(events.map((e) => e.event)).toEqual(Array(4).fill('authn_token_valid'));
  });

  it.each([
    ['missing token', undefined, 'authn_token_missing', 'ERR_TOKEN_MISSING', 401],
    ['malformed request', 'a b', 'authn_request_invalid', 'ERR_REQUEST_MALFORMED', 400],
  ])('records a %s', async (_label, header, name, reason, status) => {
    const { verifier, events } = make();
    const req = request(
      undefined,
      header === undefined ? {} : { headers: { authorization: `Bearer ${header}` } },
    );
    await expect(verifier.verifyRequest(req)).rejects.toMatchObject({ status });
    await settle();
    expect(events).toEqual([
      expect.objectContaining({
        event: name,
        outcome: 'deny',
        reason,
        status,
        stage: 'authentication',
      }),
    ]);
  });

  it('records an invalid token with the configured issuer it named, and never copies a forged issuer', async () => {
    const { verifier, events } = make();
    const expired = await issuer.issueSigned({ exp: Math.floor(Date.now() / 1000) - 3600 });
    const forged = await issuer.issueSigned({ iss: 'https://evil.example/<script>' });
    await expect(verifier.verify(expired)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ status: 401 });
    await settle();
    expect(events[0]).toMatchObject({
      event: 'authn_token_invalid',
      reason: 'ERR_TOKEN_EXPIRED',
      issuer: issuer.issuer,
    });
    expect(events[1]).toMatchObject({ event: 'authn_token_invalid', outcome: 'deny' });
    expect(events[1]).not.toHaveProperty('issuer');
    expect(JSON.stringify(events)).not.toContain('evil.example');
    // A denied token is never described beyond its configured issuer.
    expect(events[0]).not.toHaveProperty('scopes');
    expect(events[0]).not.toHaveProperty('subject');
  });

  it('takes a valid X-Request-Id, refuses a malformed one, and honours requestId: false', async () => {
    const { verifier, events } = make();
    const token = await issuer.issueSigned();
    await verifier.verifyRequest(
      request(token, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'abc-123' } }),
    );
    await verifier.verifyRequest(
      request(token, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'bad id\n' } }),
    );
    const off = make({ requestId: false });
    await off.verifier.verifyRequest(request(token, { id: 'fastify-1' }));
    await settle();
    expect((events[0] as AuditDecisionEvent).requestId).toBe('abc-123');
    expect(events[1]).not.toHaveProperty('requestId');
    expect(off.events[0]).not.toHaveProperty('requestId');
  });

  it('refuses bad audit options with a TypeError naming them', () => {
    const base = issuer.verifierOptions();
    const bad: Array<[unknown, RegExp]> = [
      [{}, /audit\.sink/],
      [{ sink: 42 }, /audit\.sink/],
      [
        { sink: () => undefined, pseudonymizationKey: 'short' },
        /audit\.pseudonymizationKey: must be at least 32 bytes/,
      ],
      [{ sink: () => undefined, maxQueuedEvents: 0 }, /audit\.maxQueuedEvents/],
      [{ sink: () => undefined, batchSize: 1.5 }, /audit\.batchSize/],
      [{ sink: () => undefined, writeTimeout: 0 }, /audit\.writeTimeout/],
      [{ sink: () => undefined, requestId: 'x-id' }, /audit\.requestId/],
      [{ sink: () => undefined, retention: 1 }, /audit\.retention: unknown option/],
      ['on', /audit: expected an options object/],
    ];
    for (const [audit, message] of bad) {
      expect(() => createVerifier({ ...base, audit } as VerifierOptions)).toThrow(message);
    }
  });

  it('a throwing request-id function costs the event its request id, not the request', async () => {
    const { verifier, events } = make({
      requestId: () => {
        throw new Error('boom');
      },
    });
    const token = await issuer.issueSigned();
    await expect(verifier.verifyRequest(request(token))).resolves.toBeDefined();
    await settle();
    expect(events[0]).toMatchObject({ outcome: 'allow' });
    expect(events[0]).not.toHaveProperty('requestId');
  });

  it('names a 403 at authentication authz_fail and a 429 excess_rate_limit_exceeded, never a token failure', async () => {
    const events: AuditEvent[] = [];
    const verifier = createVerifier(
      issuer.verifierOptions({
        audit: { sink: (event) => void events.push(event) },
        clientNetworks: { 'app-1': ['10.0.0.0/8'] },
        failureBudget: { failures: 1, window: 60 },
      }),
    );
    const token = await issuer.issueSigned({ client_id: 'app-1' });
    await verifier.verifyRequest(request(token)).catch(() => undefined);
    await verifier.verifyRequest(request('garbage', { ip: '198.51.100.1' })).catch(() => undefined);
    await verifier.verifyRequest(request(token, { ip: '198.51.100.1' })).catch(() => undefined);
    await settle();
    expect(
      events.map((e) => [(e as AuditDecisionEvent).event, (e as AuditDecisionEvent).reason]),
    ).toEqual([
      ['authz_fail', 'ERR_IP_NOT_ALLOWED'],
      ['authn_token_invalid', 'ERR_TOKEN_MALFORMED'],
      ['excess_rate_limit_exceeded', 'ERR_FAILURE_BUDGET_EXHAUSTED'],
    ]);
  });
});
