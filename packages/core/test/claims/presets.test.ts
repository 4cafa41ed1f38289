/**
 * Claims presets (claims/presets.ts) and claim mapping (claims/map-claims.ts): for each identity
 * provider, a token shaped like its real access tokens yields the right scopes, roles and client
 * id, and the same provider's ID token (or refresh token) is not accepted as an access token.
 *
 * Token shapes follow each vendor's published reference, cited above each block. Values are
 * made up; only the claim names, types, nesting and header `typ` matter here.
 */
import { createVerifier, PRESET_NAMES, type VerifierOptions } from '@tokenward/core';
import { readClaim } from '../../src/claims/claim-path';
import { mapClaims } from '../../src/claims/map-claims';
import { resolveClaimsProfile } from '../../src/claims/presets';
import {
  anAccessToken,
  mint,
  NOW,
  NOW_S,
  rejection,
  testKey,
  type MintHeader,
} from '../helpers/keys';

async function verifierFor(options: Omit<VerifierOptions, 'keys'>) {
  const { publicJwk } = await testKey();
  return createVerifier({ keys: publicJwk, ...options });
}

async function verify(
  options: Omit<VerifierOptions, 'keys'>,
  payload: Record<string, unknown>,
  header: MintHeader,
) {
  const v = await verifierFor(options);
  return v.verify(await mint(payload, header), { currentDate: NOW });
}

async function failure(
  options: Omit<VerifierOptions, 'keys'>,
  payload: Record<string, unknown>,
  header: MintHeader,
) {
  const error = await rejection(verify(options, payload, header));
  expect(error.status).toBe(401);
  expect(error.error).toBe('invalid_token');
  return error;
}

const iat = NOW_S - 120;
const exp = NOW_S + 3600;

it('exports every preset name', () => {
  expect([...PRESET_NAMES].sort()).toEqual(
    ['auth0', 'azure', 'cognito', 'keycloak', 'okta', 'rfc9068'].sort(),
  );
});

describe('rfc9068', () => {
  // RFC 9068 §2.1 (header typ "at+jwt"), §2.2 (iss, exp, aud, sub, client_id, iat, jti; scope
  // per §2.2.3) and §2.2.3.1 (groups, roles, entitlements from SCIM).
  const issuer = 'https://as.example.com';
  const options = { issuer, audience: 'https://rs.example.com', claims: 'rfc9068' as const };
  const header = { typ: 'at+jwt' };
  const accessToken = {
    iss: issuer,
    exp,
    aud: 'https://rs.example.com',
    sub: '5ba552d67',
    client_id: 's6BhdRkqt3',
    iat,
    jti: 'dbe39bf3a3ba4238a513f51d6e1691c4',
    auth_time: iat - 60,
    acr: 'urn:mace:incommon:iap:silver',
    scope: 'openid profile reademail',
    groups: ['engineering'],
    roles: ['admin'],
    entitlements: ['premium'],
  };

  it('maps scope, roles (not groups nor entitlements) and client_id', async () => {
    const token = await verify(options, accessToken, header);
    expect([...token.scopes]).toEqual(['openid', 'profile', 'reademail']);
    expect([...token.roles]).toEqual(['admin']);
    expect(token.clientId).toBe('s6BhdRkqt3');
    expect(token.subject).toBe('5ba552d67');
  });

  it('ignores vendor claims such as scp and azp', async () => {
    const token = await verify(
      options,
      { ...accessToken, scope: undefined, client_id: undefined, scp: ['x'], azp: 'y' },
      header,
    );
    expect(token.scopes.size).toBe(0);
    expect(token).not.toHaveProperty('clientId');
  });

  it('rejects an OpenID Connect ID token (typ JWT) of the same issuer', async () => {
    // OpenID Connect Core §2: an ID token; RFC 9068 §2.1 exists to tell the two apart.
    const idToken = {
      iss: issuer,
      sub: '5ba552d67',
      aud: 'https://rs.example.com',
      exp,
      iat,
      auth_time: iat - 60,
      nonce: 'n-0S6_WzA2Mj',
      at_hash: 'MTIzNDU2Nzg5MDEyMzQ1Ng',
    };
    const error = await failure(options, idToken, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });
});

describe('auth0', () => {
  // Auth0 docs, "Access Token Profiles": the Auth0 profile (header typ "JWT", `azp`, `aud` array
  // with the /userinfo audience, space-delimited `scope`) and the RFC 9068 profile (typ "at+jwt",
  // `client_id`, `jti`); the "_authz" dialects add the RBAC `permissions` array.
  const issuer = 'https://my-domain.auth0.com/';
  const audience = 'https://example.com/health-api';
  const options = { issuer, audience, claims: 'auth0' as const };
  const auth0Profile = {
    iss: issuer,
    sub: 'auth0|123456',
    aud: [audience, 'https://my-domain.auth0.com/userinfo'],
    azp: 'my_client_id',
    exp,
    iat,
    scope: 'openid profile read:patients read:admin',
    permissions: ['read:patients', 'read:admin'],
    my_custom_claim: 'my_custom_value',
  };

  it('maps the Auth0 token profile (typ JWT, azp, permissions)', async () => {
    const token = await verify(options, auth0Profile, { typ: 'JWT' });
    expect([...token.scopes]).toEqual(['openid', 'profile', 'read:patients', 'read:admin']);
    expect([...token.roles]).toEqual(['read:patients', 'read:admin']);
    expect(token.clientId).toBe('my_client_id');
    expect(token.audience).toEqual(auth0Profile.aud);
  });

  it('maps the RFC 9068 token profile (typ at+jwt, client_id)', async () => {
    const rfc9068Profile = {
      ...auth0Profile,
      azp: undefined,
      client_id: 'my_client_id',
      jti: '73WakrfVbNJBaAmhQtEeDv',
    };
    const token = await verify(options, rfc9068Profile, { typ: 'at+jwt' });
    expect(token.clientId).toBe('my_client_id');
    expect(token.roles.has('read:admin')).toBe(true);
  });

  it('maps a client-credentials token (sub "<client>@clients", gty)', async () => {
    const m2m = {
      iss: issuer,
      sub: 'my_client_id@clients',
      aud: audience,
      azp: 'my_client_id',
      gty: 'client-credentials',
      exp,
      iat,
      scope: 'read:patients',
    };
    const token = await verify(options, m2m, { typ: 'JWT' });
    expect(token.clientId).toBe('my_client_id');
    expect(token.roles.size).toBe(0);
  });

  it('reads namespaced role claims through an array path', async () => {
    // Auth0 Actions must namespace custom claims with a URL, which contains dots.
    const payload = { ...auth0Profile, 'https://example.com/roles': ['doctor', 'admin'] };
    const custom = {
      issuer,
      audience,
      claims: { preset: 'auth0' as const, roles: ['https://example.com/roles'] },
    };
    const token = await verify(custom, payload, { typ: 'JWT' });
    expect([...token.roles]).toEqual(['doctor', 'admin']);
  });

  it('rejects an Auth0 ID token (nonce, aud = client id)', async () => {
    // Auth0 docs, "ID Token Structure": typ "JWT", `aud` is the application's client id, and
    // `nonce` echoes the authorization request.
    const idToken = {
      iss: issuer,
      sub: 'auth0|123456',
      aud: 'my_client_id',
      exp,
      iat,
      nonce: 'abc123',
      sid: 'sess-1',
      name: 'Jane Doe',
      email: 'jane@example.com',
    };
    const error = await failure(options, idToken, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain('auth0 access token');
  });

  it.each(['at_hash', 'c_hash'])('rejects a token carrying %s', async (claim) => {
    const error = await failure(options, { ...auth0Profile, [claim]: 'aGFzaA' }, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });
});

describe('okta', () => {
  // Okta developer docs, "Access token claims" (custom authorization server): header has `kid`
  // and `alg` only; claims `ver` 1, `jti` "AT.…", `cid`, `uid`, `scp` array, optional `groups`.
  // Okta ID tokens ("ID token claims") carry no `cid`, have `aud` = client id and `at_hash`.
  const issuer = 'https://dev-123456.okta.com/oauth2/default';
  const options = { issuer, audience: 'api://default', claims: 'okta' as const };
  const accessToken = {
    ver: 1,
    jti: 'AT.MNAoEQ_jbKqoinrQo1D0XKjMX28U5d7ZszBceot7-Ts',
    iss: issuer,
    aud: 'api://default',
    sub: 'jane@example.com',
    iat,
    exp,
    cid: '0oa1abcdEFGHijklm357',
    uid: '00u1abcdEFGHijklm357',
    scp: ['openid', 'profile', 'orders:read'],
    auth_time: iat - 60,
    groups: ['Everyone', 'Admins'],
  };

  it('maps scp, groups and cid (no typ header)', async () => {
    const token = await verify(options, accessToken, { typ: undefined });
    expect([...token.scopes]).toEqual(['openid', 'profile', 'orders:read']);
    expect([...token.roles]).toEqual(['Everyone', 'Admins']);
    expect(token.clientId).toBe('0oa1abcdEFGHijklm357');
  });

  it('also accepts typ JWT', async () => {
    await expect(verify(options, accessToken, { typ: 'JWT' })).resolves.toMatchObject(
      anAccessToken,
    );
  });

  it('rejects an Okta ID token', async () => {
    const idToken = {
      sub: '00u1abcdEFGHijklm357',
      name: 'Jane Doe',
      email: 'jane@example.com',
      ver: 1,
      iss: issuer,
      aud: '0oa1abcdEFGHijklm357',
      iat,
      exp,
      jti: 'ID.radCQMOQUmyvcTBmmIL0J6BaS60apUEiC7-vI7pOmkw',
      amr: ['pwd'],
      idp: '00o1abcdEFGHijklm357',
      preferred_username: 'jane@example.com',
      auth_time: iat - 60,
      at_hash: 'fPlsvVszI29LU2UhDyJ9vg',
    };
    const error = await failure(options, idToken, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('rejects a token without cid even if its audience matches', async () => {
    const error = await failure(options, { ...accessToken, cid: undefined }, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain('cid');
  });

  it('rejects typ at+jwt unless tokenType says otherwise', async () => {
    expect((await failure(options, accessToken, { typ: 'at+jwt' })).code).toBe(
      'ERR_TOKEN_TYPE_INVALID',
    );
    await expect(
      verify({ ...options, tokenType: 'at+jwt' }, accessToken, { typ: 'at+jwt' }),
    ).resolves.toMatchObject(anAccessToken);
  });
});

describe('azure', () => {
  // Microsoft identity platform, "Access token claims reference": header typ "JWT" (v1 tokens
  // also carry `x5t`); v1.0 tokens have `ver` "1.0", iss https://sts.windows.net/{tid}/ and
  // `appid`; v2.0 tokens have `ver` "2.0", iss https://login.microsoftonline.com/{tid}/v2.0,
  // `aud` = the API's application id and `azp`. Delegated scopes are in `scp` (space-delimited),
  // app roles in `roles`.
  const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const apiAppId = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
  const clientAppId = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
  const v2Issuer = `https://login.microsoftonline.com/${tid}/v2.0`;
  const v1Issuer = `https://sts.windows.net/${tid}/`;
  const options = {
    issuer: [v1Issuer, v2Issuer],
    audience: [apiAppId, 'api://orders'],
    claims: 'azure' as const,
  };
  const v2 = {
    aud: apiAppId,
    iss: v2Issuer,
    iat,
    nbf: iat,
    exp,
    aio: 'AXQAi/8UAAAAqxsuB+R4D2rFQqOETO4YdXbLD9kZ8xfXadeAM0Q2NkNT5izfg3uwbWSXhuSSj6UT5hy2D8Ej',
    azp: clientAppId,
    azpacr: '0',
    name: 'Abe Lincoln',
    oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
    preferred_username: 'abeli@microsoft.com',
    rh: 'I',
    scp: 'access_as_user Orders.Read',
    roles: ['Orders.Admin'],
    sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ',
    tid,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
  };

  it('maps a v2.0 token (scp string, roles, azp)', async () => {
    const token = await verify(options, v2, { typ: 'JWT' });
    expect([...token.scopes]).toEqual(['access_as_user', 'Orders.Read']);
    expect([...token.roles]).toEqual(['Orders.Admin']);
    expect(token.clientId).toBe(clientAppId);
  });

  it('maps a v1.0 token (appid, x5t header)', async () => {
    const v1 = {
      aud: 'api://orders',
      iss: v1Issuer,
      iat,
      nbf: iat,
      exp,
      acr: '1',
      aio: 'AVQAq/8TAAAA',
      amr: ['pwd'],
      appid: clientAppId,
      appidacr: '0',
      family_name: 'Lincoln',
      given_name: 'Abe',
      ipaddr: '192.0.2.1',
      name: 'Abe Lincoln',
      oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
      rh: 'I',
      scp: 'user_impersonation',
      sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ',
      tid,
      unique_name: 'abeli@microsoft.com',
      upn: 'abeli@microsoft.com',
      uti: 'fqiBqXLPj0eQa82S-IYFAA',
      ver: '1.0',
    };
    const token = await verify(options, v1, { typ: 'JWT', x5t: 'i6lGk3FZzxRcUb2C3nEQ7syHJlY' });
    expect([...token.scopes]).toEqual(['user_impersonation']);
    expect(token.roles.size).toBe(0);
    expect(token.clientId).toBe(clientAppId);
    expect(token.issuer).toBe(v1Issuer);
  });

  it('maps an app-only (client credentials) token: roles, no scp', async () => {
    const appOnly = { ...v2, scp: undefined, name: undefined, preferred_username: undefined };
    const token = await verify(
      options,
      { ...appOnly, roles: ['Orders.Read.All'], idtyp: 'app' },
      { typ: 'JWT' },
    );
    expect(token.scopes.size).toBe(0);
    expect([...token.roles]).toEqual(['Orders.Read.All']);
  });

  it('rejects a v2.0 ID token (nonce, aud = client id)', async () => {
    // "ID token claims reference": aud is the client's application id; nonce echoes the request.
    const idToken = {
      aud: clientAppId,
      iss: v2Issuer,
      iat,
      nbf: iat,
      exp,
      aio: 'Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY',
      name: 'Abe Lincoln',
      nonce: '123523',
      oid: '00000000-0000-0000-66f3-3332eca7ea81',
      preferred_username: 'AbeLi@microsoft.com',
      rh: 'I',
      sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ',
      tid,
      uti: 'AbeLiQ',
      ver: '2.0',
    };
    const error = await failure(options, idToken, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('rejects a token without typ', async () => {
    expect((await failure(options, v2, { typ: undefined })).code).toBe('ERR_TOKEN_TYPE_INVALID');
  });
});

describe('keycloak', () => {
  // Keycloak access tokens (server admin guide, "Role scope mappings"; token as served by
  // /realms/{realm}/protocol/openid-connect/token): header typ "JWT"; claim `typ` "Bearer",
  // `azp` = the client, realm roles in `realm_access.roles`, client roles in
  // `resource_access.<client>.roles`. ID tokens say `typ` "ID", refresh tokens "Refresh".
  const issuer = 'https://kc.example.com/realms/acme';
  const options = { issuer, audience: 'orders-api', claims: 'keycloak' as const };
  const accessToken = {
    exp,
    iat,
    auth_time: iat - 10,
    jti: 'onrtac:5e6d7b39-6a5c-4b4a-9d27-1c1f2e9c4d21',
    iss: issuer,
    aud: ['orders-api', 'account'],
    sub: 'f3c1c7d6-2f5e-4f0e-9b8c-3a5e0b1a2c3d',
    typ: 'Bearer',
    azp: 'web-app',
    sid: 'a1b2c3d4',
    acr: '1',
    'allowed-origins': ['https://app.example.com'],
    realm_access: { roles: ['default-roles-acme', 'offline_access', 'user'] },
    resource_access: {
      'orders-api': { roles: ['orders:admin'] },
      account: { roles: ['manage-account', 'view-profile'] },
    },
    scope: 'openid profile email',
    email_verified: true,
    preferred_username: 'jane',
  };

  it('maps realm roles only (client roles are another namespace)', async () => {
    const token = await verify(options, accessToken, { typ: 'JWT' });
    expect(new Set(token.roles)).toEqual(new Set(['default-roles-acme', 'offline_access', 'user']));
    expect(token.roles.has('orders:admin')).toBe(false);
    expect(token.roles.has('manage-account')).toBe(false);
    expect([...token.scopes]).toEqual(['openid', 'profile', 'email']);
    expect(token.clientId).toBe('web-app');
  });

  it('reads client roles mapped by path segments, for a client id containing dots', async () => {
    const payload = {
      ...accessToken,
      aud: 'orders.api',
      resource_access: { 'orders.api': { roles: ['dotted'] } },
    };
    const clientRoles = {
      ...options,
      audience: 'orders.api',
      claims: { preset: 'keycloak' as const, roles: ['resource_access', 'orders.api', 'roles'] },
    };
    const token = await verify(clientRoles, payload, { typ: 'JWT' });
    expect(token.roles.has('dotted')).toBe(true);
  });

  it('rejects a Keycloak ID token (typ "ID")', async () => {
    const idToken = {
      exp,
      iat,
      auth_time: iat - 10,
      jti: '3c4d5e6f-0000-4000-8000-000000000001',
      iss: issuer,
      aud: 'web-app',
      sub: accessToken.sub,
      typ: 'ID',
      azp: 'web-app',
      nonce: 'n-0S6',
      sid: 'a1b2c3d4',
      at_hash: 'x8y7z6',
      acr: '1',
      email_verified: true,
      preferred_username: 'jane',
    };
    const error = await failure({ ...options, audience: 'web-app' }, idToken, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain('keycloak access token');
  });

  it('rejects a Keycloak refresh token (typ "Refresh")', async () => {
    // Real refresh tokens are HMAC-signed with the realm key and have aud = the realm URL, so
    // they also fail on the algorithm and the audience; here only the typ claim differs.
    const refresh = {
      exp,
      iat,
      jti: '7a8b9c0d-0000-4000-8000-000000000002',
      iss: issuer,
      aud: 'orders-api',
      sub: accessToken.sub,
      typ: 'Refresh',
      azp: 'web-app',
      sid: 'a1b2c3d4',
      scope: 'openid profile email',
    };
    const error = await failure(options, refresh, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it('rejects a token without the typ claim', async () => {
    const error = await failure(options, { ...accessToken, typ: undefined }, { typ: 'JWT' });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });
});

describe('cognito', () => {
  // Amazon Cognito developer guide, "Understanding the access token": header `kid` and `alg`
  // only; claims `token_use` "access", `client_id` (no `aud`), `scope` string,
  // `cognito:groups`, `username`, `version` 2. The ID token ("Understanding the identity (ID)
  // token") has `aud` = the app client id and `token_use` "id".
  const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE';
  const appClientId = '1example23456789';
  const options = { issuer, audience: appClientId, claims: 'cognito' as const };
  const accessToken = {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    'cognito:groups': ['admin', 'readers'],
    iss: issuer,
    version: 2,
    client_id: appClientId,
    origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    event_id: 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff',
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin openid profile orders/read',
    auth_time: iat - 5,
    exp,
    iat,
    jti: 'cccccccc-dddd-eeee-ffff-000000000000',
    username: 'jane',
  };

  it('maps scope, cognito:groups and client_id, matching the audience on client_id', async () => {
    const token = await verify(options, accessToken, { typ: undefined });
    expect(token.scopes.has('orders/read')).toBe(true);
    expect([...token.roles]).toEqual(['admin', 'readers']);
    expect(token.clientId).toBe(appClientId);
    expect(token.audience).toEqual([appClientId]);
  });

  it('rejects an access token for another app client', async () => {
    const error = await failure(
      options,
      { ...accessToken, client_id: 'another-client' },
      { typ: undefined },
    );
    expect(error.code).toBe('ERR_AUDIENCE_INVALID');
  });

  it('rejects a token with neither aud nor a string client_id', async () => {
    const error = await failure(
      options,
      { ...accessToken, client_id: undefined },
      { typ: undefined },
    );
    expect(error.code).toBe('ERR_CLAIM_MISSING');
    expect(error.claim).toBe('aud');
  });

  it('rejects a Cognito ID token (token_use "id")', async () => {
    const idToken = {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['admin'],
      email_verified: true,
      iss: issuer,
      'cognito:username': 'jane',
      origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      aud: appClientId,
      event_id: 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff',
      token_use: 'id',
      auth_time: iat - 5,
      exp,
      iat,
      jti: 'dddddddd-eeee-ffff-0000-111111111111',
      email: 'jane@example.com',
    };
    const error = await failure(options, idToken, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
    expect(error.message).toContain('token_use');
  });

  it('rejects a token with a typ header', async () => {
    expect((await failure(options, accessToken, { typ: 'JWT' })).code).toBe(
      'ERR_TOKEN_TYPE_INVALID',
    );
  });

  it('does not fall back to client_id outside the cognito preset', async () => {
    const error = await failure({ issuer, audience: appClientId, tokenType: '' }, accessToken, {
      typ: undefined,
    });
    expect(error.code).toBe('ERR_CLAIM_MISSING');
  });
});

describe('default mapping', () => {
  const issuer = 'https://issuer.example.com/';
  const options = { issuer, audience: 'urn:api' };
  const base = { iss: issuer, aud: 'urn:api', sub: 'u', iat, exp };

  it('merges scope and scp; roles come from roles only', async () => {
    const token = await verify(
      options,
      {
        ...base,
        scope: 'a b',
        scp: ['c'],
        roles: ['r1'],
        permissions: ['p1'],
        groups: ['g1'],
        client_id: 'cid-1',
      },
      { typ: 'at+jwt' },
    );
    expect(new Set(token.scopes)).toEqual(new Set(['a', 'b', 'c']));
    expect([...token.roles]).toEqual(['r1']);
    expect(token.clientId).toBe('cid-1');
  });

  it.each([
    [{ client_id: 'A', azp: 'B', cid: 'C', appid: 'D' }, 'A'],
    [{ azp: 'B', cid: 'C', appid: 'D' }, 'B'],
    [{ cid: 'C', appid: 'D' }, 'C'],
    [{ appid: 'D' }, 'D'],
  ])('takes the first present client id claim of %j', async (ids, expected) => {
    const token = await verify(options, { ...base, ...ids }, { typ: 'at+jwt' });
    expect(token.clientId).toBe(expected);
  });

  it('drops empty items from a space-delimited scope', async () => {
    const token = await verify(options, { ...base, scope: ' a  b ' }, { typ: 'at+jwt' });
    expect([...token.scopes]).toEqual(['a', 'b']);
  });

  it('treats a single role string as one role, not a list', async () => {
    const token = await verify(options, { ...base, roles: 'admin user' }, { typ: 'at+jwt' });
    expect([...token.roles]).toEqual(['admin user']);
  });

  it('requires typ at+jwt', async () => {
    expect((await failure(options, base, { typ: 'JWT' })).code).toBe('ERR_TOKEN_TYPE_INVALID');
  });
});

describe('custom mapping', () => {
  const issuer = 'https://issuer.example.com/';
  const base = { iss: issuer, aud: 'urn:api', sub: 'u', iat, exp };
  const header = { typ: 'at+jwt' };
  const withClaims = (claims: VerifierOptions['claims']) => ({
    issuer,
    audience: 'urn:api',
    claims,
  });

  it('reads a dotted string path', async () => {
    const token = await verify(
      withClaims({ roles: 'realm_access.roles', scopes: ['authz.scopes'] }),
      { ...base, realm_access: { roles: ['admin'] }, authz: { scopes: ['x:read'] } },
      header,
    );
    expect([...token.roles]).toEqual(['admin']);
    expect([...token.scopes]).toEqual(['x:read']);
  });

  it('reads an array path for claim names containing dots', async () => {
    const payload = { ...base, 'https://example.com/roles': ['editor'] };
    const byArray = await verify(
      withClaims({ roles: ['https://example.com/roles'] }),
      payload,
      header,
    );
    expect([...byArray.roles]).toEqual(['editor']);
    // The same name as a dotted string means https://example → com/roles, which is absent.
    const byString = await verify(
      withClaims({ roles: 'https://example.com/roles' }),
      payload,
      header,
    );
    expect(byString.roles.size).toBe(0);
  });

  it('replaces only the lists it names and keeps the preset token rules', async () => {
    const options = withClaims({ preset: 'okta', roles: 'app_roles', clientId: ['client'] });
    const token = await verify(
      options,
      { ...base, cid: 'okta-cid', client: 'custom', scp: ['s'], groups: ['g'], app_roles: ['r'] },
      { typ: undefined },
    );
    expect([...token.scopes]).toEqual(['s']);
    expect([...token.roles]).toEqual(['r']);
    expect(token.clientId).toBe('custom');
    // The okta access-token check (cid) still applies.
    const error = await failure(options, { ...base, client: 'custom' }, { typ: undefined });
    expect(error.code).toBe('ERR_TOKEN_TYPE_INVALID');
  });

  it.each([
    ['a number scope', { scope: 42 }, 'scope'],
    ['an object scope', { scope: { read: true } }, 'scope'],
    ['a mixed scp array', { scp: ['read', 1] }, 'scp'],
    ['a null scope', { scope: null }, 'scope'],
    ['an object roles', { roles: { admin: true } }, 'roles'],
    ['a boolean roles', { roles: true }, 'roles'],
    ['a nested array of roles', { roles: [['admin']] }, 'roles'],
    ['a number client_id', { client_id: 7 }, 'client_id'],
  ])('rejects %s with ERR_CLAIM_INVALID', async (_, bad, claim) => {
    const error = await failure(withClaims(undefined), { ...base, ...bad }, header);
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe(claim);
    // The message names the claim, never its value.
    expect(error.message).toContain(`the ${claim} claim must be`);
  });

  it('names the dotted path of a mistyped nested claim', async () => {
    const error = await failure(
      withClaims({ roles: ['realm_access', 'roles'] }),
      { ...base, realm_access: { roles: [{ name: 'admin' }] } },
      header,
    );
    expect(error.code).toBe('ERR_CLAIM_INVALID');
    expect(error.claim).toBe('realm_access.roles');
  });

  it.each([
    ['an empty string', ''],
    ['an empty segment', 'a..b'],
    ['a leading dot', '.roles'],
    ['a trailing dot', 'roles.'],
    ['an empty array', []],
    ['an array with an empty segment', ['a', '']],
    ['an array with a number', ['a', 1]],
  ])('rejects a claim path that is %s with a TypeError', async (_, path) => {
    for (const list of ['scopes', 'roles', 'clientId'] as const) {
      // roles names one claim path; scopes and clientId take a list of them.
      const claims = {
        [list]: list === 'roles' ? path : [path],
      } as unknown as VerifierOptions['claims'];
      await expect(verifierFor(withClaims(claims))).rejects.toThrow(TypeError);
      await expect(verifierFor(withClaims(claims))).rejects.toThrow(`claims.${list}:`);
    }
  });

  it('rejects an unknown preset with a TypeError listing the presets', async () => {
    const claims = 'google' as unknown as VerifierOptions['claims'];
    await expect(verifierFor(withClaims(claims))).rejects.toThrow(
      /claims: unknown preset "google".*auth0/,
    );
    await expect(
      verifierFor(withClaims({ preset: 'Auth0' } as unknown as VerifierOptions['claims'])),
    ).rejects.toThrow(TypeError);
  });
});

describe('readClaim and mapClaims (internal)', () => {
  it('never walks into prototypes or arrays', () => {
    const claims = { groups: ['a', 'b'], nested: { x: 1 } };
    expect(readClaim(claims, ['constructor'])).toBeUndefined();
    expect(readClaim(claims, ['__proto__'])).toBeUndefined();
    expect(readClaim(claims, ['nested', 'toString'])).toBeUndefined();
    expect(readClaim(claims, ['groups', '0'])).toBeUndefined();
    expect(readClaim(claims, ['groups', 'length'])).toBeUndefined();
    expect(readClaim(claims, ['nested', 'x'])).toBe(1);
    expect(readClaim(claims, ['nested', 'x', 'y'])).toBeUndefined();
  });

  it('maps per a resolved profile', () => {
    const profile = resolveClaimsProfile({ roles: 'a.b', scopes: [['s']] }, ['urn:api']);
    expect(profile.name).toBe('default');
    expect(profile.roles).toEqual(['a', 'b']);
    const mapped = mapClaims({ a: { b: ['r'] }, s: 'x y', client_id: 'c' }, profile);
    expect([...mapped.roles]).toEqual(['r']);
    expect([...mapped.scopes]).toEqual(['x', 'y']);
    expect(mapped.clientId).toBe('c');
  });

  it('reads keycloak realm roles whatever the configured audiences', () => {
    const profile = resolveClaimsProfile('keycloak', ['one', 'two.api']);
    expect(profile.roles).toEqual(['realm_access', 'roles']);
    expect(profile.tokenTypes).toEqual(['jwt', 'at+jwt']);
  });
});
