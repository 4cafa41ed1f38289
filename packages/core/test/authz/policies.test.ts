/**
 * Authorization policies (authz/policies.ts): a satisfied policy returns, an unsatisfied one
 * throws InsufficientScopeError (403 insufficient_scope, RFC 6750 §3.1).
 */
import {
  allOf,
  anyOf,
  scopesOf,
  InsufficientScopeError,
  requireAnyRole,
  requireAnyScope,
  requireClaim,
  requireRoles,
  requireScopes,
  runPolicies,
  TokenwardError,
  type AccessToken,
  type Policy,
} from '@tokenward/core';
import { claims, mint, NOW, verifier } from '../helpers/keys';

function accessToken(
  options: { scopes?: string[]; roles?: string[]; claims?: Record<string, unknown> } = {},
): AccessToken {
  return Object.freeze({
    token: 'not-a-real-token',
    claims: Object.freeze({ iss: 'https://issuer.example.com/', ...options.claims }),
    header: Object.freeze({ alg: 'RS256', typ: 'at+jwt' }),
    issuer: 'https://issuer.example.com/',
    binding: { scheme: 'bearer' } as const,
    audience: ['https://api.example.com'],
    scopes: new Set(options.scopes ?? []),
    roles: new Set(options.roles ?? []),
    expiresAt: new Date(NOW.getTime() + 3600_000),
  });
}

/** Runs a policy that must pass (synchronously or not). */
async function passes(result: void | Promise<void>): Promise<void> {
  expect(await result).toBeUndefined();
}

async function failure(policy: Policy, token: AccessToken): Promise<InsufficientScopeError> {
  try {
    await policy(token);
  } catch (error) {
    expect(error).toBeInstanceOf(InsufficientScopeError);
    const e = error as InsufficientScopeError;
    expect(e.status).toBe(403);
    expect(e.error).toBe('insufficient_scope');
    expect(e.toJSON()).toEqual({ error: 'insufficient_scope', error_description: e.message });
    return e;
  }
  throw new Error('expected the policy to fail');
}

describe('requireScopes', () => {
  const policy = requireScopes('orders:read', 'orders:write');

  it('passes when every scope is granted', async () => {
    await passes(policy(accessToken({ scopes: ['orders:write', 'orders:read', 'x'] })));
  });

  it('fails with 403 and scope="…" listing every required scope when one is missing', async () => {
    const error = await failure(policy, accessToken({ scopes: ['orders:read'] }));
    expect(error.code).toBe('ERR_SCOPE_MISSING');
    expect(error.requiredScopes).toEqual(['orders:read', 'orders:write']);
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", ' +
        'error_description="the token lacks a required scope (needs all of: orders:read orders:write)", ' +
        'scope="orders:read orders:write"',
    );
  });

  it('does not count roles as scopes', async () => {
    const error = await failure(policy, accessToken({ roles: ['orders:read', 'orders:write'] }));
    expect(error.code).toBe('ERR_SCOPE_MISSING');
  });
});

describe('requireAnyScope', () => {
  const policy = requireAnyScope('orders:read', 'orders:admin');

  it('passes when one of the scopes is granted', async () => {
    await passes(policy(accessToken({ scopes: ['orders:admin'] })));
  });

  it('fails with scope="…" listing the alternatives when none is', async () => {
    const error = await failure(policy, accessToken({ scopes: ['orders:write'] }));
    expect(error.code).toBe('ERR_SCOPE_MISSING');
    expect(error.message).toContain('needs one of');
    expect(error.headers['WWW-Authenticate']).toMatch(/, scope="orders:read orders:admin"$/);
  });
});

describe('requireRoles and requireAnyRole', () => {
  it('requireRoles passes with every role and fails with one missing', async () => {
    const policy = requireRoles('admin', 'auditor');
    await passes(policy(accessToken({ roles: ['auditor', 'admin'] })));
    const error = await failure(policy, accessToken({ roles: ['admin'], scopes: ['auditor'] }));
    expect(error.code).toBe('ERR_ROLE_MISSING');
    expect(error.message).toContain('needs all of: admin auditor');
    // Roles are not OAuth scopes: the challenge advertises none.
    expect(error.requiredScopes).toEqual([]);
    expect(error.headers['WWW-Authenticate']).not.toContain('scope=');
  });

  it('requireAnyRole passes with one role and fails with none', async () => {
    const policy = requireAnyRole('admin', 'auditor');
    await passes(policy(accessToken({ roles: ['auditor'] })));
    const error = await failure(policy, accessToken({ roles: ['user'] }));
    expect(error.code).toBe('ERR_ROLE_MISSING');
    expect(error.message).toContain('needs one of: admin auditor');
    expect(error.headers['WWW-Authenticate']).not.toContain('scope=');
  });
});

describe('requireClaim', () => {
  it('compares a value strictly', async () => {
    const policy = requireClaim('tenant', 'acme');
    await passes(policy(accessToken({ claims: { tenant: 'acme' } })));
    const error = await failure(policy, accessToken({ claims: { tenant: 'Acme' } }));
    expect(error.code).toBe('ERR_CLAIM_MISMATCH');
    expect(error.claim).toBe('tenant');
    expect(error.requiredScopes).toEqual([]);
    // The message names the claim, never its value or the expected one.
    expect(error.message).not.toMatch(/acme/i);
    await failure(requireClaim('level', 1), accessToken({ claims: { level: '1' } }));
  });

  it('passes when an array claim contains the value', async () => {
    const policy = requireClaim('amr', 'mfa');
    await passes(policy(accessToken({ claims: { amr: ['pwd', 'mfa'] } })));
    await failure(policy, accessToken({ claims: { amr: ['pwd'] } }));
  });

  it('fails when the claim is absent', async () => {
    await failure(requireClaim('tenant', 'acme'), accessToken());
  });

  it('calls a predicate with the value and the token, passing only on true', async () => {
    const predicate = jest.fn((value: unknown) => value === 'gold');
    const token = accessToken({ claims: { tier: 'gold' } });
    await passes(requireClaim('tier', predicate)(token));
    expect(predicate).toHaveBeenCalledWith('gold', token);
    await failure(requireClaim('tier', predicate), accessToken({ claims: { tier: 'silver' } }));
    // A truthy non-boolean is not a pass.
    await failure(
      requireClaim('tier', () => 1 as unknown as boolean),
      accessToken({ claims: { tier: 'gold' } }),
    );
  });

  it('reads a nested dotted path', async () => {
    const policy = requireClaim('org.region', 'eu');
    await passes(policy(accessToken({ claims: { org: { region: 'eu' } } })));
    const error = await failure(policy, accessToken({ claims: { org: { region: 'us' } } }));
    expect(error.claim).toBe('org.region');
    await failure(policy, accessToken({ claims: { 'org.region': 'eu' } }));
  });

  it('reads an array path for claim names containing dots', async () => {
    const policy = requireClaim(['https://example.com/tier'], 'gold');
    await passes(policy(accessToken({ claims: { 'https://example.com/tier': 'gold' } })));
  });

  it('does not read inherited properties', async () => {
    await failure(
      requireClaim('constructor', (v: unknown) => v !== undefined),
      accessToken(),
    );
  });

  it('works on a verified token', async () => {
    const v = await verifier();
    const token = await v.verify(await mint(claims({ tenant: 'acme', scope: 'a b' })), {
      currentDate: NOW,
    });
    await passes(allOf(requireClaim('tenant', 'acme'), requireScopes('a', 'b'))(token));
    await failure(requireScopes('c'), token);
  });
});

describe('allOf', () => {
  it('passes when every policy passes', async () => {
    const policy = allOf(requireScopes('a'), requireRoles('r'), async () => undefined);
    await passes(policy(accessToken({ scopes: ['a'], roles: ['r'] })));
  });

  it('throws the first failure in order and stops there', async () => {
    const later = jest.fn();
    const policy = allOf(requireScopes('a'), requireRoles('r'), later);
    const error = await failure(policy, accessToken({ scopes: ['a'] }));
    expect(error.code).toBe('ERR_ROLE_MISSING');
    expect(later).not.toHaveBeenCalled();
  });

  it('awaits asynchronous policies', async () => {
    const slow: Policy = async () => {
      await Promise.resolve();
      throw new InsufficientScopeError('ERR_CLAIM_MISMATCH', 'async says no');
    };
    const error = await failure(allOf(requireScopes('a'), slow), accessToken({ scopes: ['a'] }));
    expect(error.message).toBe('async says no');
  });
});

describe('anyOf', () => {
  it('passes when one policy passes, without running the rest', async () => {
    const later = jest.fn();
    const policy = anyOf(requireRoles('admin'), requireScopes('orders:admin'), later);
    await passes(policy(accessToken({ scopes: ['orders:admin'] })));
    expect(later).not.toHaveBeenCalled();
  });

  it('throws the first failure when none passes', async () => {
    const policy = anyOf(requireScopes('orders:admin'), requireRoles('admin'));
    const error = await failure(policy, accessToken());
    expect(error.code).toBe('ERR_SCOPE_MISSING');
    expect(error.headers['WWW-Authenticate']).toMatch(/scope="orders:admin"$/);
  });

  it('rethrows an unexpected error instead of trying the next policy', async () => {
    const broken: Policy = () => {
      throw new RangeError('bug in a policy');
    };
    const policy = anyOf(broken, requireScopes('a'));
    await expect(policy(accessToken({ scopes: ['a'] }))).rejects.toThrow(RangeError);
  });

  it('nests with allOf', async () => {
    const policy = anyOf(allOf(requireScopes('a'), requireRoles('r')), requireRoles('admin'));
    await passes(policy(accessToken({ scopes: ['a'], roles: ['r'] })));
    await passes(policy(accessToken({ roles: ['admin'] })));
    const error = await failure(policy, accessToken({ scopes: ['a'] }));
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error.code).toBe('ERR_ROLE_MISSING');
  });
});

describe('configuration mistakes throw a TypeError when the policy is built', () => {
  it.each([
    ['requireScopes()', () => requireScopes()],
    ["requireScopes('')", () => requireScopes('')],
    ["requireScopes('a', '')", () => requireScopes('a', '')],
    ['requireScopes(1)', () => requireScopes(1 as unknown as string)],
    ['requireAnyScope()', () => requireAnyScope()],
    ['requireRoles()', () => requireRoles()],
    ["requireAnyRole('')", () => requireAnyRole('')],
    ["requireClaim('', 'x')", () => requireClaim('', 'x')],
    ["requireClaim('a..b', 'x')", () => requireClaim('a..b', 'x')],
    ["requireClaim([], 'x')", () => requireClaim([], 'x')],
    ["requireClaim([''], 'x')", () => requireClaim([''], 'x')],
    ['allOf()', () => allOf()],
    ['anyOf()', () => anyOf()],
  ])('%s', (_, build) => {
    expect(build).toThrow(TypeError);
  });

  // `requireClaim('tenant', process.env.TENANT)` with the variable unset must not become a
  // policy that every token without a tenant claim passes (undefined === undefined).
  it('refuses an undefined expected value, which would pass every token lacking the claim', async () => {
    expect(() => requireClaim('tenant', undefined)).toThrow(/^requireClaim:/);
  });

  it('names the function', () => {
    expect(() => requireScopes()).toThrow(/^requireScopes:/);
    expect(() => requireAnyRole()).toThrow(/^requireAnyRole:/);
    expect(() => requireClaim('', 1)).toThrow(/^requireClaim:/);
    expect(() => anyOf()).toThrow(/^anyOf:/);
  });
});

describe('runPolicies (for adapters)', () => {
  const token = accessToken({ scopes: ['read'], roles: ['member'] });

  it('runs synchronous policies synchronously: undefined when all pass', () => {
    const order: string[] = [];
    const outcome = runPolicies(token, [
      (t) => void order.push(`a:${[...t.scopes].join()}`),
      requireScopes('read'),
      () => void order.push('b'),
    ]);
    expect(outcome).toBeUndefined();
    expect(order).toEqual(['a:read', 'b']);
  });

  it('throws the first synchronous failure and runs nothing after it', () => {
    const after = jest.fn();
    expect(() => runPolicies(token, [requireRoles('admin'), after])).toThrow(
      InsufficientScopeError,
    );
    expect(after).not.toHaveBeenCalled();
  });

  it('awaits an asynchronous policy, then runs the rest in order', async () => {
    const order: string[] = [];
    const slow: Policy = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push('slow');
    };
    const pending = runPolicies(token, [
      () => void order.push('first'),
      slow,
      () => void order.push('last'),
    ]);
    expect(pending).toBeInstanceOf(Promise);
    expect(order).toEqual(['first']);
    await pending;
    expect(order).toEqual(['first', 'slow', 'last']);
  });

  it('rejects with a failure after an asynchronous policy (a later policy still gets its say)', async () => {
    const pending = runPolicies(token, [async () => undefined, requireScopes('write')]);
    await expect(pending).rejects.toBeInstanceOf(InsufficientScopeError);
    const rejected = runPolicies(token, [() => Promise.reject(new Error('revocation store down'))]);
    await expect(rejected).rejects.toThrow('revocation store down');
  });

  it('waits for any thenable, not only native promises', async () => {
    let settled = false;
    const thenable = {
      then(resolve: () => void) {
        setImmediate(() => {
          settled = true;
          resolve();
        });
      },
    };
    const pending = runPolicies(token, [(() => thenable) as unknown as Policy]);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(settled).toBe(true);
  });
});

describe('scopesOf', () => {
  it('names the scopes of requireScopes and requireAnyScope, inside compositions too, each once', () => {
    expect(scopesOf(requireScopes('a', 'b'))).toEqual(['a', 'b']);
    expect(
      scopesOf(allOf(requireScopes('a'), anyOf(requireAnyScope('b', 'c'), requireScopes('a')))),
    ).toEqual(['a', 'b', 'c']);
    expect(scopesOf(requireRoles('admin'))).toEqual([]);
    expect(scopesOf(() => undefined)).toEqual([]);
  });
});
