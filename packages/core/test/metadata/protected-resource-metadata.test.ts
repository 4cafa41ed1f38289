/**
 * RFC 9728 protected resource metadata from the verifier's configuration: every member, the
 * metadata URL of §3.1, the validation of `resource` and of the caller's input, and the
 * `resource_metadata` parameter on the verifier's challenges (§5.1).
 */
import {
  createVerifier,
  InsufficientScopeError,
  MissingTokenError,
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadataDocument,
  protectedResourceMetadataUrl,
  TokenwardError,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import { presentRejection } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

const RESOURCE = 'https://api.example.com';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ signingAlgorithm: 'ES256', keyManagementAlgorithm: false });
});

const make = (overrides: Partial<VerifierOptions> = {}): Verifier =>
  createVerifier(issuer.verifierOptions({ resource: RESOURCE, metrics: false, ...overrides }));

const refusal = async (verifier: Verifier, headers: Record<string, string> = {}) => {
  const error = await verifier.verifyRequest({ method: 'GET', headers }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TokenwardError);
  return error as TokenwardError;
};

describe('the metadata document', () => {
  it('has resource, the issuer as authorization server and the header method by default', () => {
    expect(protectedResourceMetadataDocument(make())).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
    });
  });

  it('lists every configured issuer, in order, leaving out names that are no issuer URL', () => {
    const verifier = make({
      issuer: ['https://a.example.com', 'not-a-url', 'https://b.example.com/tenant', 'https://c?x'],
    });
    expect(protectedResourceMetadataDocument(verifier).authorization_servers).toEqual([
      'https://a.example.com',
      'https://b.example.com/tenant',
    ]);
  });

  it('lists the issuers of the issuers option', () => {
    const verifier = make({
      issuer: undefined,
      keys: undefined,
      issuers: [
        { issuer: 'https://one.example.com', keys: issuer.jwks },
        { issuer: 'https://two.example.com', keys: issuer.jwks },
      ],
    });
    expect(protectedResourceMetadataDocument(verifier).authorization_servers).toEqual([
      'https://one.example.com',
      'https://two.example.com',
    ]);
  });

  it('leaves authorization_servers out when no issuer is a URL', () => {
    const document = protectedResourceMetadataDocument(make({ issuer: 'legacy-issuer' }));
    expect(document).not.toHaveProperty('authorization_servers');
  });

  it.each([
    [{}, ['header']],
    [{ body: true }, ['header', 'body']],
    [{ query: true }, ['header', 'query']],
    [{ body: true, query: true }, ['header', 'body', 'query']],
    [{ body: false, query: false }, ['header']],
  ])('bearer_methods_supported follows tokenSources %j', (tokenSources, methods) => {
    expect(
      protectedResourceMetadataDocument(make({ tokenSources })).bearer_methods_supported,
    ).toEqual(methods);
  });

  it('has no DPoP member without the dpop option', () => {
    const document = protectedResourceMetadataDocument(make());
    expect(document).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(document).not.toHaveProperty('dpop_bound_access_tokens_required');
  });

  it('lists the DPoP algorithms, in configuration order, and says bound tokens are optional', () => {
    const document = protectedResourceMetadataDocument(
      make({ dpop: { algorithms: ['EdDSA', 'ES256'] } }),
    );
    expect(document.dpop_signing_alg_values_supported).toEqual(['EdDSA', 'ES256']);
    expect(document.dpop_bound_access_tokens_required).toBe(false);
  });

  it('says bound tokens are required with dpop.required', () => {
    const document = protectedResourceMetadataDocument(make({ dpop: { required: true } }));
    expect(document.dpop_bound_access_tokens_required).toBe(true);
    expect(document.dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'ES384',
      'PS256',
      'RS256',
      'EdDSA',
      'Ed25519',
    ]);
  });

  it('claims certificate-bound tokens only with the mtls option', () => {
    expect(protectedResourceMetadataDocument(make())).not.toHaveProperty(
      'tls_client_certificate_bound_access_tokens',
    );
    expect(
      protectedResourceMetadataDocument(make({ mtls: {} }))
        .tls_client_certificate_bound_access_tokens,
    ).toBe(true);
  });

  it('never lists the token algorithms as resource signing algorithms (it signs no response)', () => {
    const document = protectedResourceMetadataDocument(make({ dpop: {}, mtls: {} }));
    expect(document).not.toHaveProperty('resource_signing_alg_values_supported');
    expect(document).not.toHaveProperty('jwks_uri');
  });

  it('adds the scopes (first-seen order, no duplicates), the name and the documentation', () => {
    const document = protectedResourceMetadataDocument(make(), {
      scopesSupported: ['messages:write', 'messages:read', 'messages:write'],
      resourceName: 'Messages API',
      resourceDocumentation: 'https://docs.example.com/messages',
    });
    expect(document).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['messages:write', 'messages:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Messages API',
      resource_documentation: 'https://docs.example.com/messages',
    });
    // Members in the order RFC 9728 §2 lists them.
    expect(Object.keys(document)).toEqual([
      'resource',
      'authorization_servers',
      'scopes_supported',
      'bearer_methods_supported',
      'resource_name',
      'resource_documentation',
    ]);
    expect(Object.isFrozen(document)).toBe(true);
  });

  it('leaves scopes_supported out for an empty list', () => {
    expect(protectedResourceMetadataDocument(make(), { scopesSupported: [] })).not.toHaveProperty(
      'scopes_supported',
    );
  });

  it.each([
    [{ scopesSupported: 'read' }, /^scopesSupported: expected an array/],
    [{ scopesSupported: ['a b'] }, /^scopesSupported: "a b" is not a scope token/],
    [{ scopesSupported: [''] }, /^scopesSupported: "" is not a scope token/],
    [{ scopesSupported: ['say"hi'] }, /^scopesSupported: .* is not a scope token/],
    [{ scopesSupported: [42] }, /^scopesSupported: 42 is not a scope token/],
    [{ resourceName: '' }, /^resourceName: expected a non-empty string/],
    [{ resourceName: 'x'.repeat(257) }, /^resourceName/],
    [{ resourceDocumentation: 'docs' }, /^resourceDocumentation: expected an absolute https URL/],
    [
      { resourceDocumentation: 'http://docs.example.com' },
      /^resourceDocumentation: it must use https/,
    ],
    [
      { resourceDocumentation: 'https://docs.example.com/#x' },
      /^resourceDocumentation: .*fragment/,
    ],
  ])('refuses the input %j with a TypeError', (input, message) => {
    expect(() => protectedResourceMetadataDocument(make(), input as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });

  it('refuses a verifier without resource, and a hand-written one', () => {
    const plain = createVerifier(issuer.verifierOptions({ metrics: false }));
    expect(() => protectedResourceMetadataDocument(plain)).toThrow(TypeError);
    expect(protectedResourceMetadataUrl(plain)).toBeUndefined();
    const handWritten = { ...plain } as Verifier;
    expect(() => protectedResourceMetadataDocument(handWritten)).toThrow(/no `resource` option/);
  });

  it('survives copying the verifier with spread', () => {
    const copy: Verifier = { ...make() };
    expect(protectedResourceMetadataDocument(copy).resource).toBe(RESOURCE);
  });
});

describe('the resource option', () => {
  it.each([
    ['https://api.example.com', `https://api.example.com${PROTECTED_RESOURCE_METADATA_PATH}`],
    ['https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    [
      'https://api.example.com/mcp',
      'https://api.example.com/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://api.example.com/v1/mcp/',
      'https://api.example.com/.well-known/oauth-protected-resource/v1/mcp/',
    ],
    [
      'https://api.example.com:8443/x',
      'https://api.example.com:8443/.well-known/oauth-protected-resource/x',
    ],
    ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp'],
    ['http://localhost:3000', 'http://localhost:3000/.well-known/oauth-protected-resource'],
  ])('%s has its metadata at %s (RFC 9728 §3.1)', (resource, url) => {
    const verifier = make({ resource });
    expect(protectedResourceMetadataUrl(verifier)).toBe(url);
    // The document names the identifier exactly as configured (RFC 9728 §3.3).
    expect(protectedResourceMetadataDocument(verifier).resource).toBe(resource);
  });

  it.each([
    ['a number', 42, /^resource: expected the API's resource identifier/],
    ['an empty string', '', /^resource: expected the API's resource identifier/],
    ['a relative URL', '/api', /^resource: expected an absolute https URL/],
    ['plain http', 'http://api.example.com', /^resource: it must use https/],
    ['another scheme', 'urn:example:api', /^resource: it must use https/],
    ['a fragment', 'https://api.example.com/#top', /^resource: it must not have a fragment/],
    ['an empty fragment', 'https://api.example.com/x#', /^resource: it must not have a fragment/],
    ['a query', 'https://api.example.com/x?tenant=a', /^resource: it must not have a query/],
    ['credentials', 'https://user:pw@api.example.com', /^resource: it must not carry credentials/],
    [
      'an upper-case host',
      'https://API.example.com',
      /^resource: expected its canonical form "https:\/\/api\.example\.com"/,
    ],
    ['a default port', 'https://api.example.com:443/x', /^resource: expected its canonical form/],
    ['dot segments', 'https://api.example.com/a/../b', /^resource: expected its canonical form/],
    ['an unencoded path', 'https://api.example.com/é', /^resource: expected its canonical form/],
    ['too long', `https://api.example.com/${'a'.repeat(2048)}`, /^resource: expected/],
  ])('refuses %s with a TypeError', (_name, resource, message) => {
    expect(() => make({ resource: resource as string })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });
});

describe('resource_metadata on challenges (RFC 9728 §5.1)', () => {
  const metadata = `resource_metadata="${RESOURCE}/.well-known/oauth-protected-resource"`;

  it('is on a missing-token 401, which still has no error attribute (RFC 6750 §3.1)', async () => {
    const error = await refusal(make());
    expect(error).toBeInstanceOf(MissingTokenError);
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe(`Bearer realm="api", ${metadata}`);
    expect(error.headers['WWW-Authenticate']).not.toMatch(/error=/);
    expect(error.toJSON()).toEqual({});
  });

  it('is on an invalid-token 401, beside its error', async () => {
    const error = await refusal(make(), { authorization: 'Bearer not.a.token' });
    expect(error.headers['WWW-Authenticate']).toMatch(
      new RegExp(
        `^Bearer realm="api", ${metadata.replace(/[.?]/g, '\\$&')}, error="invalid_token"`,
      ),
    );
  });

  it('is on both the Bearer and the DPoP challenge', async () => {
    const error = await refusal(make({ dpop: { algorithms: ['ES256'] } }));
    expect(error.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", ${metadata}, DPoP realm="api", ${metadata}, algs="ES256"`,
    );
  });

  it('is on the DPoP challenge when DPoP is required', async () => {
    const error = await refusal(make({ dpop: { required: true, algorithms: ['ES256'] } }));
    expect(error.headers['WWW-Authenticate']).toBe(`DPoP realm="api", ${metadata}, algs="ES256"`);
  });

  it('is on the route step failures the adapters present', async () => {
    const verifier = make();
    const presented = presentRejection(
      verifier,
      new InsufficientScopeError('ERR_SCOPE_MISSING', 'scope missing', ['write']),
    ) as TokenwardError;
    expect(presented.headers['WWW-Authenticate']).toContain(metadata);
    expect(presented.headers['WWW-Authenticate']).toContain('scope="write"');
  });

  it('is absent without the resource option', async () => {
    const error = await refusal(createVerifier(issuer.verifierOptions({ metrics: false })));
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="api"');
    expect(error.resourceMetadata).toBeUndefined();
  });

  it('is added by withResourceMetadata as a copy, and survives terse() and withRealm()', () => {
    const original = new MissingTokenError();
    const url = 'https://api.example.com/.well-known/oauth-protected-resource';
    const copy = original.withResourceMetadata(url);
    expect(original.challenge).toBe('Bearer realm="api"');
    expect(copy.resourceMetadata).toBe(url);
    expect(copy.withResourceMetadata(url)).toBe(copy);
    expect(copy.withRealm('other').terse().challenge).toBe(
      `Bearer realm="other", resource_metadata="${url}"`,
    );
    expect(copy.withResourceMetadata(undefined).challenge).toBe('Bearer realm="api"');
  });
});
