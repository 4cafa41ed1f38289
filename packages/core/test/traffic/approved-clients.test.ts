/**
 * The `approvedClients` option through the verifier: only approved clients' tokens are accepted,
 * on every request (cache hits and the adapters' synchronous path included); withdrawal takes
 * effect at once; a list that cannot say is a 503; a token without client id is refused.
 */
import {
  AccessDeniedError,
  ClientApprovalUnavailableError,
  ClientNotApprovedError,
  createMemoryApprovedClients,
  createVerifier,
  ServiceUnavailableError,
  TokenwardError,
  type ApprovedClientList,
  type VerifierOptions,
} from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { outcome } from './outcome';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const bearer = (token: string) => ({
  headers: { authorization: `Bearer ${token}` },
  ip: '192.0.2.1',
});
const verifierWith = (approvedClients: VerifierOptions['approvedClients']) =>
  createVerifier(
    issuer.verifierOptions({ approvedClients, metrics: false, cache: { admission: 'always' } }),
  );

describe('approvedClients', () => {
  it('accepts approved clients and refuses the others with 403 ERR_CLIENT_NOT_APPROVED', async () => {
    const verifier = verifierWith(['web-app', 'payments-svc']);
    const web = await issuer.issueSigned({ client_id: 'web-app' });
    const rogue = await issuer.issueSigned({ client_id: 'rogue' });
    expect(await outcome(verifier.verify(web))).toBe('accepted');
    expect(await outcome(verifier.verifyRequest(bearer(web)))).toBe('accepted');
    expect(await outcome(verifier.verify(rogue))).toBe('403 ERR_CLIENT_NOT_APPROVED');
    expect(await outcome(verifier.verifyRequest(bearer(rogue)))).toBe(
      '403 ERR_CLIENT_NOT_APPROVED',
    );
  });

  it('refuses a token without a client id', async () => {
    const verifier = verifierWith(['web-app']);
    const anonymous = await issuer.issueSigned({ client_id: undefined });
    expect(await outcome(verifier.verify(anonymous))).toBe('403 ERR_CLIENT_NOT_APPROVED');
  });

  it('a withdrawal refuses the client at once, cache hits and the synchronous path included', async () => {
    const approved = createMemoryApprovedClients(['web-app']);
    const verifier = verifierWith(approved);
    const token = await issuer.issueSigned({ client_id: 'web-app' });
    expect(await outcome(verifier.verifyRequest(bearer(token)))).toBe('accepted');
    expect(verifyRequestFromCache(verifier, bearer(token))?.clientId).toBe('web-app');

    approved.withdraw('web-app');
    expect(approved.list()).toEqual([]);
    expect(verifyRequestFromCache(verifier, bearer(token))).toBeUndefined();
    expect(await outcome(verifier.verifyRequest(bearer(token)))).toBe(
      '403 ERR_CLIENT_NOT_APPROVED',
    );
    expect(await outcome(verifier.verify(token))).toBe('403 ERR_CLIENT_NOT_APPROVED');

    approved.approve('web-app', 'cli');
    expect(approved.list()).toEqual(['web-app', 'cli']);
    expect(verifyRequestFromCache(verifier, bearer(token))?.clientId).toBe('web-app');
  });

  it('a list that cannot say (or throws, or answers a promise) is a 503, never an acceptance', async () => {
    const token = await issuer.issueSigned({ client_id: 'web-app' });
    const lists: ApprovedClientList[] = [
      { isApproved: () => 'unknown' },
      {
        isApproved: () => {
          throw new Error('store down');
        },
      },
      { isApproved: () => Promise.resolve(true) as never },
    ];
    for (const list of lists) {
      const verifier = verifierWith(list);
      const error = (await verifier.verify(token).catch((e: unknown) => e)) as TokenwardError;
      expect(error).toBeInstanceOf(ClientApprovalUnavailableError);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ status: 503, code: 'ERR_CLIENT_APPROVAL_UNAVAILABLE' });
      expect(error.headers).toEqual({ 'Retry-After': '1' });
      expect(verifyRequestFromCache(verifier, bearer(token))).toBeUndefined();
    }
  });

  it('hands the store the client id and the verified token', async () => {
    const seen: Array<[string, string]> = [];
    const verifier = verifierWith({
      isApproved: (clientId, token) => {
        seen.push([clientId, token.issuer]);
        return true;
      },
    });
    await verifier.verify(await issuer.issueSigned({ client_id: 'web-app' }));
    expect(seen).toEqual([['web-app', issuer.issuer]]);
  });

  it('answers 403 without blaming the token', async () => {
    const verifier = verifierWith(['web-app']);
    const rogue = await issuer.issueSigned({ client_id: 'rogue' });
    const error = (await verifier.verify(rogue).catch((e: unknown) => e)) as TokenwardError;
    expect(error).toBeInstanceOf(ClientNotApprovedError);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.error).toBeUndefined();
    expect(error.headers).toEqual({});
    expect(error.toJSON()).toEqual({ error_description: expect.any(String) });
  });

  it('refuses bad options at configuration', () => {
    expect(() => verifierWith([])).toThrow(/^approvedClients: expected at least one/);
    expect(() => verifierWith(['ok', ''])).toThrow(/^approvedClients: expected non-empty/);
    expect(() => verifierWith({} as never)).toThrow(/^approvedClients: expected an array/);
    expect(() => createMemoryApprovedClients(['a']).approve('')).toThrow(TypeError);
  });
});
