/**
 * Tenant isolation (createTenantVerifier): five tenants mixing nested RSA-OAEP, nested ECDH-ES,
 * signed RS256 and ES256, two of them sharing one issuer and its keys with different audiences.
 * Every tenant's valid tokens presented to every other tenant are refused, each at a stated
 * stage before any decryption; no private-key operation ever runs with a tenant's key on another
 * tenant's token (counted at the crypto worker, the one place private-key work happens); no cache
 * entry of one tenant satisfies another; a tenant's hanging JWKS does not hold the others up.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTenantVerifier,
  tenantFromHost,
  TokenwardError,
  type AuditEvent,
  type RequestLike,
  type TenantOptions,
} from '@tokenward/core';
import { verifyRequestFromCache } from '@tokenward/core/internal';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';

// Every private-key step (RSA-OAEP unwrap, ECDH agreement) goes through these two functions:
// wrapped, they say which key was used on which token.
const keyUses: KeyObject[] = [];
jest.mock('../../src/jwe/engines/crypto-worker', () => {
  const actual = jest.requireActual('../../src/jwe/engines/crypto-worker');
  return {
    ...actual,
    decryptOAEP: (key: KeyObject, ...rest: unknown[]) => {
      keyUses.push(key);
      return actual.decryptOAEP(key, ...rest);
    },
    deriveSharedSecret: (key: KeyObject, ...rest: unknown[]) => {
      keyUses.push(key);
      return actual.deriveSharedSecret(key, ...rest);
    },
  };
});

const API = 'https://api.example.com';
const HOOLI_API = 'https://hooli.api.example.com';
const NAMES = ['acme', 'globex', 'initech', 'umbrella', 'hooli'] as const;
type Name = (typeof NAMES)[number];

interface Tenant {
  readonly options: TenantOptions;
  readonly token: () => Promise<string>;
  readonly privateKeys: KeyObject[];
}

let tenants: Record<Name, Tenant>;
let umbrellaIssuer: TestIssuer;
let events: AuditEvent[];
beforeAll(async () => {
  const acme = await createTestIssuer({
    issuer: 'https://acme.example/',
    audience: API,
    signingAlgorithm: 'RS256',
    keyManagementAlgorithm: 'RSA-OAEP-256',
  });
  const globex = await createTestIssuer({
    issuer: 'https://globex.example/',
    audience: API,
    signingAlgorithm: 'ES256',
    keyManagementAlgorithm: false,
  });
  const initech = await createTestIssuer({
    issuer: 'https://initech.example/',
    audience: API,
    signingAlgorithm: 'ES256',
    keyManagementAlgorithm: 'ECDH-ES+A256KW',
  });
  const umbrella = await createTestIssuer({
    issuer: 'https://umbrella.example/',
    audience: API,
    signingAlgorithm: 'RS256',
    keyManagementAlgorithm: false,
  });
  umbrellaIssuer = umbrella;
  const keysOf = (issuer: TestIssuer) =>
    (issuer.decryptionKeys?.keys ?? []).map((jwk) =>
      createPrivateKey({ key: jwk as never, format: 'jwk' }),
    );
  const plain = (issuer: TestIssuer, extra: Partial<TenantOptions> = {}): TenantOptions => {
    const { audit: _a, metrics: _m, ...options } = issuer.verifierOptions({ ...extra });
    return options;
  };
  tenants = {
    acme: {
      options: plain(acme, { encryption: 'required' }),
      token: () => acme.issueNested({ client_id: 'acme-app' }),
      privateKeys: keysOf(acme),
    },
    globex: {
      options: plain(globex),
      token: () => globex.issueSigned({ client_id: 'globex-app' }),
      privateKeys: [],
    },
    initech: {
      options: plain(initech, { encryption: 'required' }),
      token: () => initech.issueNested({ client_id: 'initech-app' }),
      privateKeys: keysOf(initech),
    },
    umbrella: {
      options: plain(umbrella),
      token: () => umbrella.issueSigned({ client_id: 'umbrella-app' }),
      privateKeys: [],
    },
    // Same identity provider, issuer and keys as globex; its own audience.
    hooli: {
      options: plain(globex, { audience: HOOLI_API }),
      token: () => globex.issueSigned({ client_id: 'hooli-app', aud: HOOLI_API }),
      privateKeys: [],
    },
  };
});

const hostOf = (name: string) => `${name}.api.example.com`;
const request = (name: string, token: string): RequestLike => ({
  method: 'GET',
  url: '/messages',
  headers: { host: hostOf(name), authorization: `Bearer ${token}` },
  ip: '192.0.2.1',
});
const make = () => {
  events = [];
  return createTenantVerifier({
    resolve: tenantFromHost(Object.fromEntries(NAMES.map((n) => [hostOf(n), n]))),
    tenants: Object.fromEntries(NAMES.map((n) => [n, tenants[n].options])),
    audit: { sink: (event) => void events.push(event) },
    metrics: false,
  });
};
const outcome = (pending: Promise<unknown>) =>
  pending.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenwardError ? e.code : Promise.reject(e)),
  );

/**
 * Where each cross presentation must be refused (owner's token → presented to), and why:
 * - ERR_JWE_NOT_ALLOWED: a signed-only tenant refuses any JWE before looking at it;
 * - ERR_JWE_REQUIRED: an encrypting tenant refuses a signed-only token;
 * - ERR_JWE_KEY_NOT_FOUND: the JWE's kid names another tenant's key, so none is tried;
 * - ERR_ISSUER_INVALID: a signature-stage refusal of an issuer this tenant does not trust;
 * - ERR_AUDIENCE_INVALID: same issuer and keys, another audience (claims stage).
 */
const EXPECTED: Record<Name, Record<Name, string>> = {
  acme: {
    acme: 'accepted',
    globex: 'ERR_JWE_NOT_ALLOWED',
    initech: 'ERR_JWE_KEY_NOT_FOUND',
    umbrella: 'ERR_JWE_NOT_ALLOWED',
    hooli: 'ERR_JWE_NOT_ALLOWED',
  },
  globex: {
    acme: 'ERR_JWE_REQUIRED',
    globex: 'accepted',
    initech: 'ERR_JWE_REQUIRED',
    umbrella: 'ERR_ISSUER_INVALID',
    hooli: 'ERR_AUDIENCE_INVALID',
  },
  initech: {
    acme: 'ERR_JWE_KEY_NOT_FOUND',
    globex: 'ERR_JWE_NOT_ALLOWED',
    initech: 'accepted',
    umbrella: 'ERR_JWE_NOT_ALLOWED',
    hooli: 'ERR_JWE_NOT_ALLOWED',
  },
  umbrella: {
    acme: 'ERR_JWE_REQUIRED',
    globex: 'ERR_ISSUER_INVALID',
    initech: 'ERR_JWE_REQUIRED',
    umbrella: 'accepted',
    hooli: 'ERR_ISSUER_INVALID',
  },
  hooli: {
    acme: 'ERR_JWE_REQUIRED',
    globex: 'ERR_AUDIENCE_INVALID',
    initech: 'ERR_JWE_REQUIRED',
    umbrella: 'ERR_ISSUER_INVALID',
    hooli: 'accepted',
  },
};

describe('tenant isolation', () => {
  it("every tenant's token is refused by every other tenant, at the stated stage, with no private-key use", async () => {
    const verifier = make();
    const seen: Record<string, Record<string, string>> = {};
    keyUses.length = 0;
    for (const owner of NAMES) {
      const token = await tenants[owner].token();
      seen[owner] = {};
      for (const presented of NAMES) {
        if (presented === owner) continue;
        (seen[owner] as Record<string, string>)[presented] = await outcome(
          verifier.verifyRequest(request(presented, token)),
        );
      }
    }
    const crossOnly = Object.fromEntries(
      NAMES.map((o) => [
        o,
        Object.fromEntries(NAMES.filter((p) => p !== o).map((p) => [p, EXPECTED[o][p]])),
      ]),
    );
    expect(seen).toEqual(crossOnly);
    // Not one private-key operation: every refusal came before decryption.
    expect(keyUses).toEqual([]);
    await verifier.close();
  });

  it('a JWE that names no key is refused before any key is tried, even when its algorithm fits the tenant', async () => {
    const verifier = make();
    // Another party's RSA key, the tenant's algorithm, no kid: without the tenant rule the
    // tenant's own key would be tried on it.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const inner = await umbrellaIssuer.issueSigned();
    const jwe = await new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' })
      .encrypt(publicKey);
    keyUses.length = 0;
    expect(await outcome(verifier.verifyRequest(request('acme', jwe)))).toBe(
      'ERR_JWE_KEY_NOT_FOUND',
    );
    expect(keyUses).toEqual([]);
    await verifier.close();
  });

  it('each tenant accepts its own tokens with its own keys only, and says which tenant on the token and the audit event', async () => {
    const verifier = make();
    for (const owner of NAMES) {
      keyUses.length = 0;
      const auth = await verifier.verifyRequest(request(owner, await tenants[owner].token()));
      expect(auth.tenant).toBe(owner);
      const own = tenants[owner].privateKeys;
      expect(keyUses.length).toBe(own.length === 0 ? 0 : 1);
      for (const used of keyUses) expect(own.some((k) => k.equals(used))).toBe(true);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => (e as { tenant?: string }).tenant)).toEqual([...NAMES]);
    await verifier.close();
  });

  it('no cache entry of one tenant satisfies another: a token cached by globex is refused by hooli (same issuer and keys)', async () => {
    const verifier = make();
    const token = await tenants.globex.token();
    await verifier.verifyRequest(request('globex', token));
    await verifier.verifyRequest(request('globex', token));
    expect(verifyRequestFromCache(verifier, request('globex', token))?.tenant).toBe('globex');
    expect(verifyRequestFromCache(verifier, request('hooli', token))).toBeUndefined();
    expect(await outcome(verifier.verifyRequest(request('hooli', token)))).toBe(
      'ERR_AUDIENCE_INVALID',
    );
    await verifier.close();
  });

  it('a tenant whose JWKS hangs holds up only its own requests', async () => {
    const hanging: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as AddressInfo;
    try {
      const globexOptions = tenants.globex.options;
      const verifier = createTenantVerifier({
        resolve: tenantFromHost({ [hostOf('stuck')]: 'stuck', [hostOf('globex')]: 'globex' }),
        tenants: {
          globex: globexOptions,
          stuck: {
            issuer: 'http://127.0.0.1/stuck',
            audience: API,
            jwksUri: `http://127.0.0.1:${port}/jwks`,
            remoteKeys: { timeout: 2 },
          },
        },
        metrics: false,
      });
      // Names the stuck tenant's issuer: verifying it needs that tenant's (hanging) key set.
      const stuckToken = await umbrellaIssuer.issueSigned({ iss: 'http://127.0.0.1/stuck' });
      let stuckSettled = false;
      const stuck = outcome(verifier.verifyRequest(request('stuck', stuckToken))).finally(() => {
        stuckSettled = true;
      });
      const flood = Array.from({ length: 50 }, () =>
        outcome(verifier.verifyRequest(request('stuck', stuckToken))),
      );
      expect(
        await outcome(verifier.verifyRequest(request('globex', await tenants.globex.token()))),
      ).toBe('accepted');
      expect(stuckSettled).toBe(false);
      expect(await stuck).toBe('ERR_KEYS_UNAVAILABLE');
      expect(new Set(await Promise.all(flood))).toEqual(new Set(['ERR_KEYS_UNAVAILABLE']));
      await verifier.close();
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });
});
