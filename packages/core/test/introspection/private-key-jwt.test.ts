/**
 * `private_key_jwt` at the introspection endpoint (RFC 7523 §2.2): the server verifies the
 * client assertion with the client's public key (jose, independent of the code under test) and
 * checks every claim; a fresh assertion per request; bad options are TypeErrors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { createVerifier, type VerifierOptions } from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

let issuer: TestIssuer;
let server: Server;
let endpoint: string;
const seen: Array<Record<string, unknown>> = [];
let publicKey: KeyObject;
let privateKey: KeyObject;

beforeAll(async () => {
  issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  ({ publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void (async () => {
        const form = new URLSearchParams(body);
        const reply = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        try {
          if (req.headers.authorization !== undefined)
            throw new Error('no Basic with an assertion');
          if (
            form.get('client_assertion_type') !==
            'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
          ) {
            throw new Error('client_assertion_type');
          }
          const { payload, protectedHeader } = await jwtVerify(
            form.get('client_assertion') ?? '',
            publicKey,
            {
              issuer: 'orders-api',
              subject: 'orders-api',
              audience: endpoint,
              algorithms: ['ES256'],
              maxTokenAge: 120,
            },
          );
          if (form.get('client_id') !== 'orders-api' || typeof payload.jti !== 'string')
            throw new Error('claims');
          seen.push({ ...payload, kid: protectedHeader.kid });
          const now = Math.floor(Date.now() / 1000);
          reply(200, {
            active: true,
            iss: issuer.issuer,
            aud: issuer.audience,
            sub: 'u1',
            exp: now + 300,
            scope: 'read',
          });
        } catch (error) {
          reply(401, { error: 'invalid_client', detail: String(error) });
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
});
afterAll(() => new Promise((r) => server.close(r)));

const withIntrospection = (introspection: Record<string, unknown>) =>
  issuer.verifierOptions({
    metrics: false,
    introspection: { endpoint, clientId: 'orders-api', ...introspection },
  } as Partial<VerifierOptions>);

describe('private_key_jwt', () => {
  it('sends a client assertion the server verifies; a new jti each request; the kid of a JWK', async () => {
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'rs-key-1' };
    const verifier = createVerifier(
      withIntrospection({
        clientAuthentication: 'private_key_jwt',
        privateKey: jwk,
        maxCacheAge: 0,
      }),
    );
    await expect(verifier.verify('opaque-one')).resolves.toMatchObject({ subject: 'u1' });
    await expect(verifier.verify('opaque-two')).resolves.toMatchObject({ subject: 'u1' });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      iss: 'orders-api',
      sub: 'orders-api',
      aud: endpoint,
      kid: 'rs-key-1',
    });
    expect(seen[0]!.jti).not.toBe(seen[1]!.jti);
    expect((seen[0]!.exp as number) - (seen[0]!.iat as number)).toBe(60);
  });

  it('another key: the server refuses the assertion, the verifier answers 503 (never active)', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const verifier = createVerifier(
      withIntrospection({ clientAuthentication: 'private_key_jwt', privateKey: other }),
    );
    await expect(verifier.verify('opaque-three')).rejects.toMatchObject({
      status: 503,
      code: 'ERR_INTROSPECTION_UNAVAILABLE',
    });
  });

  it.each([
    [
      { clientAuthentication: 'private_key_jwt' },
      /^introspection\.privateKey: required by private_key_jwt/,
    ],
    [
      { clientAuthentication: 'private_key_jwt', privateKey: 'not a key' },
      /^introspection\.privateKey: not a usable private key/,
    ],
    [
      { clientAuthentication: 'private_key_jwt', privateKey: 'x', clientSecret: 's' },
      /^introspection\.clientSecret: not used by private_key_jwt/,
    ],
    [
      { clientAuthentication: 'client_secret_basic', clientSecret: 's', privateKey: 'x' },
      /^introspection\.privateKey: only with clientAuthentication/,
    ],
    [
      { clientAuthentication: 'private_key_jwt', privateKey: 'EC', signingAlgorithm: 'RS256' },
      /^introspection\.signingAlgorithm: RS256 does not fit/,
    ],
    [
      { clientAuthentication: 'private_key_jwt', privateKey: 'EC', signingAlgorithm: 'HS256' },
      /^introspection\.signingAlgorithm: HS256 does not fit/,
    ],
  ])('refuses %j with a TypeError naming the member', (options, message) => {
    const resolved = { ...options } as Record<string, unknown>;
    if (resolved.privateKey === 'EC') resolved.privateKey = privateKey;
    expect(() => createVerifier(withIntrospection(resolved))).toThrow(message);
  });

  it('picks the algorithm from the key: RS256 for RSA, EdDSA for Ed25519', () => {
    for (const type of ['rsa', 'ed25519'] as const) {
      const key =
        type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
          : generateKeyPairSync('ed25519').privateKey;
      expect(() =>
        createVerifier(
          withIntrospection({ clientAuthentication: 'private_key_jwt', privateKey: key }),
        ),
      ).not.toThrow();
    }
  });
});
