/**
 * Roles come from ONE claim per claims preset (or the one the `claims.roles` mapping names):
 * `groups`, `permissions` or `entitlements` never turn into roles unless that claim is the
 * configured one, so a group called "admin" cannot satisfy `requireRoles('admin')`.
 */
import { createVerifier, requireRoles, type VerifierOptions } from '@tokenward/core';
import { resolveClaimsProfile } from '../../src/claims/presets';
import { mint, NOW, NOW_S, rejection, testKey } from '../helpers/keys';

const issuer = 'https://issuer.example.com/';
const audience = 'urn:api';
const base = { iss: issuer, aud: audience, sub: 'u', iat: NOW_S, exp: NOW_S + 600 };
// Every claim some IdP uses for roles, each with a distinct value.
const everyRoleClaim = {
  roles: ['from-roles'],
  groups: ['admin'],
  permissions: ['from-permissions'],
  entitlements: ['from-entitlements'],
  'cognito:groups': ['from-cognito'],
  realm_access: { roles: ['from-realm'] },
  resource_access: { [audience]: { roles: ['from-client'] } },
};

async function rolesOf(
  options: Partial<VerifierOptions>,
  extra: Record<string, unknown> = {},
  header: Record<string, unknown> = { typ: 'at+jwt' },
): Promise<string[]> {
  const { publicJwk } = await testKey();
  const verifier = createVerifier({ issuer, audience, keys: publicJwk, ...options });
  const token = await verifier.verify(
    await mint({ ...base, ...everyRoleClaim, ...extra }, header),
    {
      currentDate: NOW,
    },
  );
  return [...token.roles];
}

describe('one roles claim per preset', () => {
  it.each([
    ['default', {}, {}, { typ: 'at+jwt' }, ['from-roles']],
    ['rfc9068', { claims: 'rfc9068' as const }, {}, { typ: 'at+jwt' }, ['from-roles']],
    ['auth0', { claims: 'auth0' as const }, {}, { typ: 'JWT' }, ['from-permissions']],
    ['okta', { claims: 'okta' as const }, { cid: 'c' }, { typ: undefined }, ['admin']],
    ['azure', { claims: 'azure' as const }, {}, { typ: 'JWT' }, ['from-roles']],
    [
      'keycloak',
      { claims: 'keycloak' as const },
      { typ: 'Bearer' },
      { typ: 'JWT' },
      ['from-realm'],
    ],
    [
      'cognito',
      { claims: 'cognito' as const },
      { token_use: 'access' },
      { typ: undefined },
      ['from-cognito'],
    ],
  ])('%s reads exactly one claim', async (_name, options, extra, header, expected) => {
    await expect(rolesOf(options, extra, header)).resolves.toEqual(expected);
  });

  it('a group named "admin" does not satisfy requireRoles("admin") by default', async () => {
    const { publicJwk } = await testKey();
    const verifier = createVerifier({ issuer, audience, keys: publicJwk });
    const token = await verifier.verify(await mint({ ...base, groups: ['admin'] }), {
      currentDate: NOW,
    });
    const error = await rejection(Promise.resolve().then(() => requireRoles('admin')(token)));
    expect(error).toMatchObject({ code: 'ERR_ROLE_MISSING', status: 403 });
    expect(error.headers['WWW-Authenticate']).toContain('error="insufficient_scope"');
  });
});

describe('claims.roles names the one claim', () => {
  it('accepts a claim name', async () => {
    await expect(rolesOf({ claims: { roles: 'groups' } })).resolves.toEqual(['admin']);
  });

  it('accepts a dotted path and keeps the preset for everything else', async () => {
    await expect(
      rolesOf(
        { claims: { preset: 'okta', roles: 'realm_access.roles' } },
        { cid: 'c' },
        { typ: undefined },
      ),
    ).resolves.toEqual(['from-realm']);
  });

  it('accepts path segments, for claim names with dots', async () => {
    await expect(
      rolesOf({ claims: { roles: ['resource_access', audience, 'roles'] } }),
    ).resolves.toEqual(['from-client']);
    await expect(
      rolesOf(
        { claims: { roles: ['https://example.com/roles'] } },
        {
          'https://example.com/roles': ['namespaced'],
        },
      ),
    ).resolves.toEqual(['namespaced']);
  });

  it.each([
    ['an empty string', ''],
    ['a list of paths (one claim only)', [['realm_access', 'roles']]],
    ['a number', 7],
  ])('refuses %s at creation with a TypeError naming claims.roles', async (_name, roles) => {
    expect(() => resolveClaimsProfile({ roles } as never, [audience])).toThrow(
      /^claims\.roles: .* is not a claim path$/,
    );
  });
});
