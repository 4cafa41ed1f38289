/**
 * The `clientNetworks` option through the verifier: a client's tokens are accepted only from its
 * networks, on every request (fresh verification, verified-token cache hit, the adapters'
 * synchronous path); `default` covers unlisted clients; no address where a list applies is a
 * refusal; bad lists are refused at configuration.
 */
import {
  AccessDeniedError,
  createVerifier,
  IpNotAllowedError,
  requireNetwork,
  runPolicies,
  TokenwardError,
  type RequestLike,
  type VerifierOptions,
} from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { outcome } from './outcome';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const from = (ip: string | undefined, token: string): RequestLike => ({
  headers: { authorization: `Bearer ${token}` },
  ...(ip !== undefined && { ip }),
});
const verifierWith = (clientNetworks: VerifierOptions['clientNetworks'], extra = {}) =>
  createVerifier(
    issuer.verifierOptions({
      clientNetworks,
      metrics: false,
      cache: { admission: 'always' },
      ...extra,
    }),
  );

describe('clientNetworks', () => {
  it('accepts a listed client from its networks and refuses it from elsewhere (403)', async () => {
    const verifier = verifierWith({ 'payments-svc': ['10.0.0.0/8', '2001:db8::/32'] });
    const token = await issuer.issueSigned({ client_id: 'payments-svc' });
    expect(await outcome(verifier.verifyRequest(from('10.1.2.3', token)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(from('2001:db8::7', token)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(from('::ffff:10.9.9.9', token)))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(from('192.0.2.1', token)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
    expect(await outcome(verifier.verifyRequest(from('2001:db9::7', token)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
  });

  it('refuses on a verified-token cache hit, and the synchronous path does not serve it', async () => {
    const verifier = verifierWith({ 'payments-svc': ['10.0.0.0/8'] });
    const token = await issuer.issueSigned({ client_id: 'payments-svc' });
    // First request verifies and caches (admission 'always'); the next ones are cache hits.
    expect(await outcome(verifier.verifyRequest(from('10.0.0.1', token)))).toBe('accepted');
    expect(verifyRequestFromCache(verifier, from('10.0.0.1', token))?.clientId).toBe(
      'payments-svc',
    );
    expect(verifyRequestFromCache(verifier, from('192.0.2.1', token))).toBeUndefined();
    expect(await outcome(verifier.verifyRequest(from('192.0.2.1', token)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
    expect(verifyRequestFromCache(verifier, from(undefined, token))).toBeUndefined();
  });

  it('fails closed: no address, a zone id or garbage is outside every list', async () => {
    const verifier = verifierWith({ 'payments-svc': ['0.0.0.0/0', '::/0'] });
    const token = await issuer.issueSigned({ client_id: 'payments-svc' });
    for (const ip of [undefined, 'fe80::1%eth0', 'not-an-ip', '']) {
      expect(await outcome(verifier.verifyRequest(from(ip, token)))).toBe('403 ERR_IP_NOT_ALLOWED');
    }
    // verify(token) has no request, so no address: a restricted client is refused there.
    expect(await outcome(verifier.verify(token))).toBe('403 ERR_IP_NOT_ALLOWED');
  });

  it('leaves unlisted clients unrestricted without `default`, restricted with it', async () => {
    const open = verifierWith({ 'payments-svc': ['10.0.0.0/8'] });
    const other = await issuer.issueSigned({ client_id: 'web-app' });
    const none = await issuer.issueSigned({ client_id: undefined });
    expect(await outcome(open.verifyRequest(from('192.0.2.1', other)))).toBe('accepted');
    expect(await outcome(open.verifyRequest(from('192.0.2.1', none)))).toBe('accepted');

    const closed = verifierWith({ 'payments-svc': ['10.0.0.0/8'], default: ['172.16.0.0/12'] });
    expect(await outcome(closed.verifyRequest(from('192.0.2.1', other)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
    expect(await outcome(closed.verifyRequest(from('192.0.2.1', none)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
    expect(await outcome(closed.verifyRequest(from('172.16.5.5', other)))).toBe('accepted');
    // A listed client is held to its own list, not to `default`.
    const payments = await issuer.issueSigned({ client_id: 'payments-svc' });
    expect(await outcome(closed.verifyRequest(from('172.16.5.5', payments)))).toBe(
      '403 ERR_IP_NOT_ALLOWED',
    );
  });

  it('answers 403 without blaming the token: no challenge, no error attribute', async () => {
    const verifier = verifierWith({ 'payments-svc': ['10.0.0.0/8'] });
    const token = await issuer.issueSigned({ client_id: 'payments-svc' });
    const error = (await verifier
      .verifyRequest(from('192.0.2.1', token))
      .catch((e: unknown) => e)) as TokenwardError;
    expect(error).toBeInstanceOf(IpNotAllowedError);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.error).toBeUndefined();
    expect(error.headers).toEqual({});
    expect(error.toJSON()).toEqual({ error_description: expect.any(String) });
    // The description names neither the address nor the client.
    expect(error.toJSON().error_description).not.toMatch(/192\.0\.2\.1|payments/);
  });

  it('is audited as an authentication denial with its reason', async () => {
    const events: Array<Record<string, unknown>> = [];
    const verifier = verifierWith(
      { 'payments-svc': ['10.0.0.0/8'] },
      { audit: { sink: (e: unknown) => void events.push(e as Record<string, unknown>) } },
    );
    const token = await issuer.issueSigned({ client_id: 'payments-svc' });
    await outcome(verifier.verifyRequest(from('192.0.2.1', token)));
    await verifier.close();
    expect(events.map((e) => [e.stage, e.outcome, e.reason, e.status])).toEqual([
      ['authentication', 'deny', 'ERR_IP_NOT_ALLOWED', 403],
    ]);
  });

  it('refuses a bad list at configuration, naming the client', () => {
    expect(() => verifierWith({ 'payments-svc': ['10.0.0.1/8'] })).toThrow(
      /^clientNetworks\.payments-svc: "10\.0\.0\.1\/8" is not a CIDR block/,
    );
    expect(() => verifierWith({ svc: ['nonsense'] })).toThrow(TypeError);
    expect(() => verifierWith(['10.0.0.0/8'] as never)).toThrow(/^clientNetworks: expected/);
    expect(() => verifierWith({ svc: '10.0.0.0/8' } as never)).toThrow(
      /^clientNetworks\.svc: expected/,
    );
  });
});

describe('requireNetwork (the route-level allowlist)', () => {
  it('passes a request from a listed network, refuses any other, and refuses without a request', async () => {
    const token = await createVerifier(issuer.verifierOptions()).verify(await issuer.issueSigned());
    const internal = requireNetwork('10.0.0.0/8', '2001:db8::/32');
    const from = (ip: string | undefined) =>
      Promise.resolve()
        .then(() => internal.forRequest(token, { headers: {}, ip } as RequestLike, undefined))
        .then(
          () => 'allowed',
          (e: unknown) => (e instanceof IpNotAllowedError ? `${e.status} ${e.code}` : 'other'),
        );
    expect(await from('10.9.8.7')).toBe('allowed');
    expect(await from('::ffff:10.9.8.7')).toBe('allowed');
    expect(await from('2001:db8:1::5')).toBe('allowed');
    expect(await from('192.0.2.1')).toBe('403 ERR_IP_NOT_ALLOWED');
    expect(await from(undefined)).toBe('403 ERR_IP_NOT_ALLOWED');
    expect(await from('10.0.0.1%eth0')).toBe('403 ERR_IP_NOT_ALLOWED');
    // As a plain policy there is no address to check: refused.
    expect(() => runPolicies(token, [internal])).toThrow(IpNotAllowedError);
    expect(() => requireNetwork('10.0.0.1/8')).toThrow(/requireNetwork/);
  });
});
