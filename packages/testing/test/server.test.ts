import { createVerifier, type JSONWebKeySet } from '@tokenward/core';
import {
  createTestIssuer,
  DEFAULT_TEST_ISSUER,
  JWKS_PATH,
  OAUTH_METADATA_PATH,
  OPENID_CONFIGURATION_PATH,
  type TestIssuer,
} from '@tokenward/testing';

const NOW = new Date('2025-01-15T12:00:00Z');

describe('the test issuer server (real HTTP on 127.0.0.1)', () => {
  let testIssuer: TestIssuer;
  let url: string;
  beforeAll(async () => {
    testIssuer = await createTestIssuer({ signingAlgorithm: 'ES256' });
    expect(testIssuer.issuer).toBe(DEFAULT_TEST_ISSUER);
    url = await testIssuer.start();
  });
  afterAll(() => testIssuer.stop());

  it('listens on 127.0.0.1 with an OS-chosen port, which becomes the issuer', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
    expect(testIssuer.url).toBe(url);
    expect(testIssuer.issuer).toBe(url);
    expect(testIssuer.jwksUri).toBe(`${url}/.well-known/jwks.json`);
  });

  it('start() again returns the same URL', async () => {
    await expect(testIssuer.start()).resolves.toBe(url);
  });

  it('serves the public JWK Set', async () => {
    const before = testIssuer.requests.jwks;
    const response = await fetch(`${url}${JWKS_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(body).toEqual(testIssuer.jwks);
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(body.keys[0]).not.toHaveProperty('d');
    // The resource server's encryption key is not the issuer's to publish.
    expect(JSON.stringify(body)).not.toContain(testIssuer.encryptionKey?.kid as string);
    expect(testIssuer.requests.jwks).toBe(before + 1);
  });

  it.each([
    [OPENID_CONFIGURATION_PATH, 'openidConfiguration'],
    [OAUTH_METADATA_PATH, 'oauthAuthorizationServer'],
  ] as const)(
    'serves metadata at %s (issuer equals the URL it is fetched under)',
    async (path, counter) => {
      const before = testIssuer.requests[counter];
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const metadata = (await response.json()) as Record<string, unknown>;
      // RFC 8414 §3.3 / OIDC Discovery §4.3: `issuer` must be identical to the issuer URL.
      expect(metadata.issuer).toBe(url);
      expect(metadata.jwks_uri).toBe(`${url}${JWKS_PATH}`);
      expect(metadata.access_token_signing_alg_values_supported).toEqual(['ES256']);
      expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);
      expect(metadata.response_types_supported).toEqual([]);
      expect(testIssuer.requests[counter]).toBe(before + 1);
    },
  );

  it('answers HEAD without a body', async () => {
    const response = await fetch(`${url}${JWKS_PATH}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const missing = await fetch(`${url}/token`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    const post = await fetch(`${url}${JWKS_PATH}`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('publishes rotated keys at once', async () => {
    await testIssuer.rotateSigningKey();
    const body = (await (await fetch(`${url}${JWKS_PATH}`)).json()) as { keys: unknown[] };
    expect(body.keys).toHaveLength(2);
    expect(body).toEqual(testIssuer.jwks);
  });

  it('tokens minted after start() carry the server URL as iss and verify with the served keys', async () => {
    const jwks = (await (await fetch(`${url}${JWKS_PATH}`)).json()) as JSONWebKeySet;
    const verifier = createVerifier({
      ...testIssuer.verifierOptions({ keys: jwks }),
      encryption: 'required',
    });
    const token = await testIssuer.issueNested({ scope: 'messages:read' }, { currentDate: NOW });
    const accessToken = await verifier.verify(token, { currentDate: NOW });
    expect(accessToken.issuer).toBe(url);
    expect(accessToken.scopes.has('messages:read')).toBe(true);
  });
});

describe('test issuer server lifecycle', () => {
  it('stop() closes the port; stop() twice and before start() is harmless', async () => {
    const testIssuer = await createTestIssuer({ keyManagementAlgorithm: false });
    await testIssuer.stop();
    const url = await testIssuer.start();
    // A kept-alive connection must not hold stop() open.
    await (await fetch(`${url}${JWKS_PATH}`)).json();
    await testIssuer.stop();
    await testIssuer.stop();
    expect(testIssuer.url).toBe(url);
    await expect(fetch(`${url}${JWKS_PATH}`)).rejects.toThrow();
  });

  it('a fixed issuer stays the issuer (and the metadata says so) after start()', async () => {
    const testIssuer = await createTestIssuer({
      issuer: 'https://login.example.com',
      keyManagementAlgorithm: false,
    });
    const url = await testIssuer.start();
    try {
      expect(testIssuer.issuer).toBe('https://login.example.com');
      const metadata = (await (await fetch(`${url}${OAUTH_METADATA_PATH}`)).json()) as Record<
        string,
        unknown
      >;
      expect(metadata.issuer).toBe('https://login.example.com');
      expect(metadata.jwks_uri).toBe(`https://login.example.com${JWKS_PATH}`);
    } finally {
      await testIssuer.stop();
    }
  });
});
