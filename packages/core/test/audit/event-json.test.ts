/**
 * The JSON text a text sink (the file sink) is handed: for every kind of event, with and without
 * each place field, with strings that must be escaped, for signed and nested tokens, with and
 * without pseudonyms and a tenant, the text is exactly `JSON.stringify` of the event object; and
 * the facts' JSON rides only on the events of an auditor whose sink takes text.
 */
import { createVerifier, type AccessToken, type AuditEvent } from '@tokenward/core';
import { createTestIssuer } from '@tokenward/testing';
import { WRITE_JSON_LINES, type AuditSink } from '../../src/audit/audit-sink';
import { resolveAuditor } from '../../src/audit/auditor';
import { createEventBuilder, defaultRequestId } from '../../src/audit/event-builder';
import { FACTS_JSON, serializeEvent } from '../../src/audit/event-json';
import { createPseudonymizer } from '../../src/audit/pseudonymize';
import { TokenFactsMemo } from '../../src/audit/token-facts';
import { InsufficientScopeError } from '../../src/errors/errors';
import type { RequestLike } from '../../src/http/request';

const request = (headers: Record<string, string>, ip?: string): RequestLike =>
  ({ method: 'GET', url: '/x', headers, ...(ip !== undefined && { ip }) }) as RequestLike;

describe('serializeEvent', () => {
  let tokens: AccessToken[];
  beforeAll(async () => {
    const issuer = await createTestIssuer();
    const verifier = createVerifier(issuer.verifierOptions());
    tokens = [
      await verifier.verify(await issuer.issueSigned({ scope: 'b a "q"', jti: 'j-1' })),
      await verifier.verify(await issuer.issueNested({ scope: 'read', client_id: 'c\u2028x' })),
      await verifier.verify(await issuer.issueSigned({ sub: 'ünïcödé 😀' })),
    ];
  });

  const places = [
    { stage: 'authentication' as const },
    { stage: 'authentication' as const, request: request({}) },
    { stage: 'authorization' as const, route: '/a/:id', request: request({}, '127.0.0.1') },
    {
      stage: 'authorization' as const,
      route: '/q"uote\\d/\n/😀',
      request: request({ 'x-request-id': 'r-1"2' }, '::ffff:10.0.0.1'),
    },
    { stage: 'authentication' as const, route: '/r', request: request({}, '192.0.2.1') },
  ];

  it.each([
    ['pseudonyms, no tenant', true, undefined],
    ['no pseudonyms, a tenant', false, 'ten"ant'],
  ])('equals JSON.stringify for every decision and place (%s)', (_, keyed, tenant) => {
    const memo = new TokenFactsMemo(keyed ? createPseudonymizer('k'.repeat(32)) : undefined);
    const builder = createEventBuilder(defaultRequestId, tenant, true);
    let checked = 0;
    for (const token of tokens) {
      for (const place of places) {
        const facts = memo.of(token);
        for (const event of [
          builder.decision(place, 'authn_token_valid', 'allow', 'ok', 200, facts, undefined),
          builder.decision(place, 'authz_fail', 'deny', 'ERR_SCOPE_MISSING', 403, facts, undefined),
          // An error code is quoted like any string (an application's error could carry any).
          builder.decision(place, 'authz_fail', 'deny', 'ERR_"X\\' as never, 403, facts, undefined),
          builder.decision(
            place,
            'authn_token_invalid',
            'deny',
            'ERR_TOKEN_EXPIRED',
            401,
            undefined,
            'https://i/',
          ),
          builder.anomaly(
            place,
            {
              event: 'anomaly_detected',
              action: 'report',
              blocked: false,
              count: 3,
              threshold: 2,
              window: 60,
            } as never,
            facts,
            token.issuer,
          ),
        ]) {
          expect(serializeEvent(event)).toBe(JSON.stringify(event));
          checked += 1;
        }
        // Twice: the second event of a place is a copy of the template the first one made.
        const again = builder.decision(
          place,
          'authz_success',
          'allow',
          'ok',
          200,
          facts,
          undefined,
        );
        expect(FACTS_JSON in again).toBe(true);
        expect(serializeEvent(again)).toBe(JSON.stringify(again));
      }
    }
    expect(checked).toBe(tokens.length * places.length * 5);
  });

  it('an auditor hands a text sink the text of its events, and other sinks no facts JSON', async () => {
    const texts: string[] = [];
    const objects: AuditEvent[] = [];
    const textSink = {
      write: () => {
        throw new Error('a text sink is handed text');
      },
      [WRITE_JSON_LINES]: async (jsons: string, count: number) => {
        const lines = jsons.split('\n');
        expect(lines).toHaveLength(count);
        texts.push(...lines);
      },
    } as AuditSink;
    const options = { pseudonymizationKey: 'k'.repeat(32), requestId: defaultRequestId };
    const toText = resolveAuditor({ ...options, sink: textSink })!;
    const toObjects = resolveAuditor({ ...options, sink: (e) => void objects.push(e) })!;
    for (const auditor of [toText, toObjects]) {
      for (const token of tokens) {
        auditor.allow({ stage: 'authentication', route: '/m', request: request({}, '::1') }, token);
        auditor.deny(
          { stage: 'authorization', route: '/m' },
          new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs x'),
          token.issuer,
          token,
        );
      }
      await auditor.flush();
    }
    expect(objects.some((e) => FACTS_JSON in e)).toBe(false);
    const withoutTime = (text: string) => text.replace(/"time":"[^"]+"/, '"time":""');
    expect(texts.map(withoutTime)).toEqual(objects.map((e) => withoutTime(JSON.stringify(e))));
    expect(texts).toHaveLength(tokens.length * 2);
  });
});
