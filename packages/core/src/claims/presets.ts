/**
 * Where each identity provider puts scopes, roles and the client id in its access tokens, and
 * how its access tokens differ from its ID tokens. Shapes are taken from each vendor's published
 * token reference (cited per preset); the tests mint tokens of the same shape.
 */

/** Claims presets for common authorization servers. */
export type ClaimsPresetName = 'auth0' | 'okta' | 'azure' | 'keycloak' | 'cognito' | 'rfc9068';

/**
 * A claim location: a dotted path (`'realm_access.roles'`) or, for claim names that contain dots
 * (Auth0 namespaced claims such as `https://example.com/roles`), an array of path segments.
 */
export type ClaimPath = string | readonly string[];

/** Where to read scopes, roles and the client id from, optionally starting from a preset. */
export interface ClaimsMapping {
  /** Start from this preset; the fields below replace the preset's lists. */
  preset?: ClaimsPresetName;
  /** Claims holding scopes: space-delimited strings or arrays of strings. */
  scopes?: readonly ClaimPath[];
  /**
   * The ONE claim holding roles: a claim name, a dotted path (`'realm_access.roles'`) or an
   * array of path segments (`['https://example.com/roles']`). Its value is an array of strings
   * (a single string is one role). Replaces the preset's roles claim; other claims (`groups`,
   * `permissions`) are never merged in.
   */
  roles?: ClaimPath;
  /** Claims holding the OAuth client id; the first present one wins. */
  clientId?: readonly ClaimPath[];
  /**
   * Claims holding the authentication context class reference(s) (`acr`, a string or an array of
   * strings), read by `requireStepUp`; the values of every listed claim count. Replaces the
   * preset's list.
   */
  acr?: readonly ClaimPath[];
  /** The claim holding the time of the user's authentication (`auth_time`), read by `requireStepUp`. */
  authTime?: ClaimPath;
}

/** The resolved claim profile the verifier runs with. */
export interface ClaimsProfile {
  readonly name: ClaimsPresetName | 'default';
  readonly scopes: readonly (readonly string[])[];
  /** The one roles claim, as path segments. */
  readonly roles: readonly string[];
  readonly clientId: readonly (readonly string[])[];
  /**
   * The claims holding authentication context class references, as path segments (set by
   * {@link resolveClaimsProfile}; optional so profiles derived elsewhere need not repeat it).
   */
  readonly acr?: readonly (readonly string[])[];
  /** The claim holding the authentication time, as path segments (see {@link ClaimsProfile.acr}). */
  readonly authTime?: readonly string[];
  /** Accepted header `typ` values, lower-cased without `application/`; `''` means no `typ`. */
  readonly tokenTypes: readonly string[];
  /** Returns why a token is not this IdP's access token (an ID or refresh token, say), if it is not. */
  readonly accessTokenCheck?: (claims: Record<string, unknown>) => string | undefined;
  /** A claim to match `audience` against when the token has no `aud` (Cognito's `client_id`). */
  readonly audienceFallback?: string;
}

/** Splits a {@link ClaimPath} into segments. */
export const toSegments = (path: ClaimPath): readonly string[] =>
  typeof path === 'string' ? path.split('.') : path;

// OpenID Connect Core §2 / §3.1.3.6: these claims belong to ID tokens, never to access tokens.
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'] as const;
const notAnIDToken = (claims: Record<string, unknown>): string | undefined =>
  ID_TOKEN_CLAIMS.some((claim) => claims[claim] !== undefined)
    ? 'it carries ID-token claims (nonce, at_hash or c_hash); an ID token is not an access token'
    : undefined;

type PresetDefinition = Omit<
  ClaimsProfile,
  'name' | 'scopes' | 'roles' | 'clientId' | 'acr' | 'authTime'
> & {
  scopes: ClaimPath[];
  /** The one claim roles are read from (see the table in the core README). */
  roles: ClaimPath;
  clientId: ClaimPath[];
  /** Where the IdP puts `acr` (docs/step-up.md); the standard claim unless set. */
  acr?: ClaimPath[];
  /** Where the IdP puts `auth_time`; the standard claim unless set. */
  authTime?: ClaimPath;
};

// OpenID Connect Core §2 and RFC 9068 §2.2.1: `acr` (a string) and `auth_time` (a NumericDate).
const STANDARD_ACR: ClaimPath[] = ['acr'];
const STANDARD_AUTH_TIME: ClaimPath = 'auth_time';

const DEFAULT_PROFILE: PresetDefinition = {
  scopes: ['scope', 'scp'],
  // RFC 9068 §2.2.3.1 (SCIM core, RFC 7643 §4.1.2): `roles`. `groups` and `entitlements` are
  // other attributes with other meanings; merging them would let a group name grant a role.
  roles: 'roles',
  clientId: ['client_id', 'azp', 'cid', 'appid'],
  tokenTypes: ['at+jwt'],
};

const PRESETS: Record<ClaimsPresetName, PresetDefinition> = {
  // RFC 9068 §2.2: `client_id`, `scope`; §2.2.3.1: `roles` (not `groups` nor `entitlements`).
  rfc9068: {
    scopes: ['scope'],
    roles: 'roles',
    clientId: ['client_id'],
    tokenTypes: ['at+jwt'],
  },
  // Auth0 "Access Token Profiles": typ "JWT" (Auth0 profile) or "at+jwt" (RFC 9068 profile);
  // `scope` string, RBAC `permissions` array, `azp` or `client_id`. With RBAC's "Add
  // Permissions in the Access Token", `permissions` is the only authorization list Auth0 itself
  // puts in access tokens (role names need a custom, namespaced claim: map it with `roles`).
  auth0: {
    scopes: ['scope'],
    roles: 'permissions',
    clientId: ['client_id', 'azp'],
    tokenTypes: ['at+jwt', 'jwt'],
    accessTokenCheck: notAnIDToken,
  },
  // Okta custom authorization server access tokens: no typ header, `scp` array, `cid`,
  // optional `groups` claim. Okta ID tokens carry no `cid`.
  okta: {
    scopes: ['scp'],
    // Okta's groups claim (a custom claim named `groups` on the authorization server).
    roles: 'groups',
    clientId: ['cid'],
    tokenTypes: ['', 'jwt'],
    accessTokenCheck: (claims) =>
      notAnIDToken(claims) ??
      (typeof claims.cid === 'string'
        ? undefined
        : 'it has no cid claim, which every Okta access token carries'),
  },
  // Microsoft identity platform access tokens (v1 and v2): typ "JWT", `scp` space-delimited
  // string for delegated scopes, `roles` array for app roles, `azp` (v2) or `appid` (v1).
  azure: {
    scopes: ['scp'],
    roles: 'roles',
    clientId: ['azp', 'appid'],
    // Access token claims reference: `acrs`, a JSON array of the Conditional Access
    // authentication context ids (`c1`…) the bearer satisfied, the claim meant for step-up.
    acr: ['acrs'],
    tokenTypes: ['jwt'],
    accessTokenCheck: notAnIDToken,
  },
  // Keycloak: typ "JWT" header, `typ: "Bearer"` claim (ID tokens say "ID", refresh tokens
  // "Refresh"), realm roles in `realm_access.roles`. Client roles (`resource_access.<client>.roles`)
  // are another namespace: map them with `roles: ['resource_access', '<client>', 'roles']`.
  keycloak: {
    scopes: ['scope'],
    roles: 'realm_access.roles',
    clientId: ['azp', 'client_id'],
    tokenTypes: ['jwt', 'at+jwt'],
    accessTokenCheck: (claims) =>
      claims.typ === 'Bearer'
        ? undefined
        : 'its typ claim is not "Bearer" (Keycloak ID and refresh tokens say otherwise)',
  },
  // Amazon Cognito user pool access tokens: no typ header, `token_use: "access"`, `client_id`,
  // `scope` string, `cognito:groups`, and no `aud` claim (the app client id stands in for it).
  cognito: {
    scopes: ['scope'],
    roles: 'cognito:groups',
    clientId: ['client_id'],
    tokenTypes: [''],
    accessTokenCheck: (claims) =>
      claims.token_use === 'access' ? undefined : 'its token_use claim is not "access"',
    audienceFallback: 'client_id',
  },
};

/** Names of every preset, for validating options. */
export const PRESET_NAMES = Object.keys(PRESETS) as ClaimsPresetName[];

/**
 * Resolves the `claims` option.
 *
 * @param option A preset name or a mapping, as given to `createVerifier`.
 * @param _audiences The configured audiences (kept for callers; no preset reads them).
 * @throws TypeError naming the bad part of the option.
 * @example
 * ```ts
 * resolveClaimsProfile({ preset: 'okta', roles: 'app_roles' }, ['api://orders']).roles // ['app_roles']
 * ```
 */
export function resolveClaimsProfile(
  option: ClaimsPresetName | ClaimsMapping | undefined,
  _audiences: readonly string[] = [],
): ClaimsProfile {
  const mapping: ClaimsMapping = typeof option === 'string' ? { preset: option } : (option ?? {});
  if (mapping.preset !== undefined && !PRESET_NAMES.includes(mapping.preset)) {
    throw new TypeError(
      `claims: unknown preset ${JSON.stringify(mapping.preset)}; expected one of ${PRESET_NAMES.join(', ')}`,
    );
  }
  const base = mapping.preset === undefined ? DEFAULT_PROFILE : PRESETS[mapping.preset];
  const segmentsOf = (path: ClaimPath, option: string) => {
    const segments = typeof path === 'string' || Array.isArray(path) ? toSegments(path) : [];
    if (segments.length === 0 || segments.some((s) => typeof s !== 'string' || s === '')) {
      throw new TypeError(`claims.${option}: ${JSON.stringify(path)} is not a claim path`);
    }
    return segments;
  };
  const paths = (list: readonly ClaimPath[], option: string) => {
    if (!Array.isArray(list))
      throw new TypeError(`claims.${option}: expected an array of claim paths`);
    return list.map((path) => segmentsOf(path, option));
  };
  return {
    name: mapping.preset ?? 'default',
    scopes: paths(mapping.scopes ?? base.scopes, 'scopes'),
    roles: segmentsOf(mapping.roles ?? base.roles, 'roles'),
    clientId: paths(mapping.clientId ?? base.clientId, 'clientId'),
    acr: paths(mapping.acr ?? base.acr ?? STANDARD_ACR, 'acr'),
    authTime: segmentsOf(mapping.authTime ?? base.authTime ?? STANDARD_AUTH_TIME, 'authTime'),
    tokenTypes: base.tokenTypes,
    ...(base.accessTokenCheck && { accessTokenCheck: base.accessTokenCheck }),
    ...(base.audienceFallback && { audienceFallback: base.audienceFallback }),
  };
}
