/**
 * Revocation through the verifier: a revoked token is refused (ERR_TOKEN_REVOKED) from the cache
 * too, by jti, by subject and by client before a time; a list that cannot say is a 503; entries
 * with absurd times or unknown issuers are refused; listing and removal for operators.
 */
import {
  createMemoryRevocationList,
  createVerifier,
  TokenwardError,
  type AccessToken,
  type RevocationList,
} from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
});

const codeOf = (pending: Promise<unknown>) =>
  pending.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? `${e.status} ${e.code}` : Promise.reject(e)),
  );
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('revocation', () => {
  it('refuses a token revoked by jti, also when it is in the verified-token cache', async () => {
    const revocation = createMemoryRevocationList();
    const verifier = createVerifier(issuer.verifierOptions({ revocation, metrics: false }));
    const token = await issuer.issueSigned({ jti: 'tok-1', sub: 'alice' });
    const other = await issuer.issueSigned({ jti: 'tok-2', sub: 'alice' });
    const auth = await verifier.verify(token);
    await verifier.verify(token);
    expect(verifyRequestFromCache(verifier, bearer(token))).toBeDefined();
    await revocation.revokeToken({ issuer: auth.issuer, jti: 'tok-1', expiresAt: auth.expiresAt });
    expect(await codeOf(verifier.verify(token))).toBe('401 ERR_TOKEN_REVOKED');
    expect(await codeOf(verifier.verifyRequest(bearer(token)))).toBe('401 ERR_TOKEN_REVOKED');
    // The synchronous cache path of the adapters does not serve it either.
    expect(verifyRequestFromCache(verifier, bearer(token))).toBeUndefined();
    expect(await codeOf(verifier.verify(other))).toBe('accepted');
  });

  it('revokeSubject refuses what the issuer issued to that subject before the time, not after', async () => {
    const revocation = createMemoryRevocationList();
    const verifier = createVerifier(issuer.verifierOptions({ revocation, metrics: false }));
    const now = Math.floor(Date.now() / 1000);
    const old = await issuer.issueSigned({ sub: 'alice', iat: now - 120 });
    const bob = await issuer.issueSigned({ sub: 'bob', iat: now - 120 });
    await revocation.revokeSubject({
      issuer: issuer.issuer,
      subject: 'alice',
      before: new Date((now - 60) * 1000),
    });
    const fresh = await issuer.issueSigned({ sub: 'alice', iat: now });
    expect(await codeOf(verifier.verify(old))).toBe('401 ERR_TOKEN_REVOKED');
    expect(await codeOf(verifier.verify(fresh))).toBe('accepted');
    expect(await codeOf(verifier.verify(bob))).toBe('accepted');
    // A token without iat cannot show it came after the revocation.
    const noIat = await issuer.issueSigned({ sub: 'alice', iat: undefined });
    expect(await codeOf(verifier.verify(noIat))).toBe('401 ERR_TOKEN_REVOKED');
  });

  it('revokeClient refuses the client’s earlier tokens', async () => {
    const revocation = createMemoryRevocationList();
    const verifier = createVerifier(issuer.verifierOptions({ revocation, metrics: false }));
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.issueSigned({ client_id: 'ci-job', iat: now - 10 });
    await revocation.revokeClient({ issuer: issuer.issuer, clientId: 'ci-job' });
    expect(await codeOf(verifier.verify(token))).toBe('401 ERR_TOKEN_REVOKED');
  });

  it('a list that cannot say is a 503 with Retry-After, never an acceptance', async () => {
    const unknown: RevocationList = {
      ...createMemoryRevocationList(),
      check: () => 'unknown',
    };
    const verifier = createVerifier(
      issuer.verifierOptions({ revocation: unknown, metrics: false }),
    );
    const token = await issuer.issueSigned({});
    const error = (await verifier.verify(token).catch((e: unknown) => e)) as TokenwardError;
    expect(error).toMatchObject({ status: 503, code: 'ERR_REVOCATION_UNAVAILABLE' });
    expect(error.headers).toEqual({ 'Retry-After': '1' });
  });

  it('lists entries with ids; removing one accepts the token again; a revocation is audited', async () => {
    const events: Array<Record<string, unknown>> = [];
    const revocation = createMemoryRevocationList();
    const verifier = createVerifier(
      issuer.verifierOptions({
        revocation,
        metrics: false,
        audit: { sink: (e) => void events.push(e as unknown as Record<string, unknown>) },
      }),
    );
    const token = await issuer.issueSigned({ jti: 'tok-9' });
    const auth: AccessToken = await verifier.verify(token);
    await revocation.revokeToken({ issuer: auth.issuer, jti: 'tok-9', expiresAt: auth.expiresAt });
    await revocation.revokeSubject({ issuer: auth.issuer, subject: 'carol' });
    const listed = await revocation.list();
    expect(listed).toEqual([
      expect.objectContaining({ kind: 'token', jti: 'tok-9', id: expect.any(String) }),
      expect.objectContaining({ kind: 'subject', subject: 'carol', before: expect.any(Date) }),
    ]);
    expect(await codeOf(verifier.verify(token))).toBe('401 ERR_TOKEN_REVOKED');
    expect(await revocation.remove(listed[0]!.id)).toBe(true);
    expect(await revocation.remove(listed[0]!.id)).toBe(false);
    expect(await codeOf(verifier.verify(token))).toBe('accepted');
    await verifier.close();
    expect(events.map((e) => e.reason)).toEqual(['ok', 'ERR_TOKEN_REVOKED', 'ok']);
  });

  it('forgets entries once they expire', async () => {
    const revocation = createMemoryRevocationList();
    await revocation.revokeToken({
      issuer: 'i',
      jti: 'gone',
      expiresAt: new Date(Date.now() + 20),
    });
    await revocation.revokeToken({
      issuer: 'i',
      jti: 'kept',
      expiresAt: new Date(Date.now() + 60_000),
    });
    await new Promise((r) => setTimeout(r, 40));
    expect((await revocation.list()).map((e) => (e.kind === 'token' ? e.jti : ''))).toEqual([
      'kept',
    ]);
  });

  it.each([
    ['no issuer', () => ({ jti: 'x', expiresAt: new Date() }), 'token', /^issuer:/],
    ['an empty jti', () => ({ issuer: 'i', jti: '', expiresAt: new Date() }), 'token', /^jti:/],
    [
      'an invalid date',
      () => ({ issuer: 'i', jti: 'x', expiresAt: new Date('nope') }),
      'token',
      /^expiresAt: expected a valid Date/,
    ],
    [
      'expiresAt years ahead',
      () => ({ issuer: 'i', jti: 'x', expiresAt: new Date(Date.now() + 5 * 365 * 86400e3) }),
      'token',
      /^expiresAt: more than a year ahead/,
    ],
    [
      'before in the future',
      () => ({ issuer: 'i', subject: 's', before: new Date(Date.now() + 3600e3) }),
      'subject',
      /^before: in the future/,
    ],
    [
      'before decades ago',
      () => ({ issuer: 'i', subject: 's', before: new Date(0) }),
      'subject',
      /^before: more than a year ago/,
    ],
    [
      'expiresAt before before',
      () => ({
        issuer: 'i',
        clientId: 'c',
        before: new Date(),
        expiresAt: new Date(Date.now() - 1000),
      }),
      'client',
      /^expiresAt: must be after before/,
    ],
    [
      'a 2,000-character subject',
      () => ({ issuer: 'i', subject: 's'.repeat(2000) }),
      'subject',
      /^subject:/,
    ],
  ])('refuses %s with a TypeError', async (_label, make, kind, message) => {
    const list = createMemoryRevocationList();
    const call =
      kind === 'token'
        ? list.revokeToken(make() as never)
        : kind === 'subject'
          ? list.revokeSubject(make() as never)
          : list.revokeClient(make() as never);
    await expect(call).rejects.toThrow(message);
    expect(await list.list()).toEqual([]);
  });

  it('with issuers set, refuses a revocation for an issuer the API does not trust', async () => {
    const list = createMemoryRevocationList({ issuers: [issuer.issuer] });
    await expect(
      list.revokeSubject({ issuer: 'https://evil.example/', subject: 'alice' }),
    ).rejects.toThrow(/^issuer: not one of the issuers/);
    await expect(
      list.revokeSubject({ issuer: issuer.issuer, subject: 'alice' }),
    ).resolves.toBeUndefined();
  });

  it('refuses a revocation beyond maxEntries, and bad options', async () => {
    const list = createMemoryRevocationList({ maxEntries: 1 });
    await list.revokeClient({ issuer: 'i', clientId: 'a' });
    await expect(list.revokeClient({ issuer: 'i', clientId: 'b' })).rejects.toThrow(RangeError);
    expect(() => createMemoryRevocationList({ maxEntries: 0 })).toThrow(/^maxEntries:/);
    expect(() => createMemoryRevocationList({ maxTokenLifetime: -1 })).toThrow(
      /^maxTokenLifetime:/,
    );
    expect(() => createMemoryRevocationList({ issuers: [] })).toThrow(/^issuers:/);
    expect(() =>
      createVerifier(issuer.verifierOptions({ revocation: {} as RevocationList })),
    ).toThrow(/^revocation: expected a RevocationList/);
  });

  it('a repeated subject revocation keeps the later time', async () => {
    const list = createMemoryRevocationList();
    const t = Date.now();
    await list.revokeSubject({ issuer: 'i', subject: 's', before: new Date(t - 1000) });
    await list.revokeSubject({ issuer: 'i', subject: 's', before: new Date(t - 5000) });
    const [entry] = await list.list();
    expect(entry).toMatchObject({ kind: 'subject', before: new Date(t - 1000) });
  });
});
