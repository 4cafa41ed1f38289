/**
 * Sends every case of the attack corpus (corpus.ts) through a real Express 5 app with
 * `@tokenward/express` and a real Nest app with `AccessTokenGuard`, and asserts the exact status,
 * the RFC 6750 `error` attribute in both the `WWW-Authenticate` challenge and the JSON body, and
 * the stable error `code` (exposed by the test apps only, see helpers/apps.ts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  CONTROLS,
  CORPUS,
  corpusVerifierOptions,
  type AttackRequest,
  type CorpusContext,
  type CorpusGroup,
} from './corpus';
import {
  CODE_HEADER,
  frozenVerifier,
  startExpressApp,
  startNestApp,
  type RunningApp,
} from './helpers/apps';
import { generateKeys, NOW } from './helpers/craft';

let ctx: CorpusContext;
let apps: RunningApp[];
let attackerServer: Server;
const attackerRequests: string[] = [];

beforeAll(async () => {
  // The attacker's key server: it would serve the attacker's JWKS to anyone who followed a
  // jku/x5u. It records every request, and the corpus must leave it untouched.
  attackerServer = createServer((req: IncomingMessage, res) => {
    attackerRequests.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [ctx.keys.attackerRsa.publicJwk] }));
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  const keys = await generateKeys();
  ctx = {
    keys,
    attackerUrl: `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`,
  };
  const options = corpusVerifierOptions(keys);
  const verifier = frozenVerifier(options, NOW);
  const queryVerifier = frozenVerifier({ ...options, tokenSources: { query: true } }, NOW);
  apps = [
    await startExpressApp(verifier, queryVerifier),
    await startNestApp(verifier, queryVerifier),
  ];
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  attackerServer.closeAllConnections();
  await new Promise((resolve) => attackerServer.close(resolve));
});

/** Sends `spec` to `app` with supertest; repeated header names become repeated header lines. */
async function send(app: RunningApp, spec: AttackRequest): Promise<request.Response> {
  let req = request(app.url).get(spec.path ?? '/api/me');
  const grouped = new Map<string, string[]>();
  for (const [name, value] of spec.headers ?? []) {
    grouped.set(name, [...(grouped.get(name) ?? []), value]);
  }
  for (const [name, values] of grouped) {
    // superagent hands an array to Node's setHeader, which writes one header line per value.
    req = req.set(name, (values.length === 1 ? values[0] : values) as string);
  }
  if (spec.query !== undefined) req = req.query(spec.query as Record<string, string | string[]>);
  return req;
}

/** The value of attribute `name` in a `WWW-Authenticate: Bearer …` challenge. */
function challengeAttribute(challenge: string, name: string): string | undefined {
  const match = new RegExp(`[ ,]${name}="([^"]*)"`).exec(challenge);
  return match?.[1];
}

const APPS = ['express', 'nest'] as const;

describe('the corpus itself', () => {
  test('holds at least 60 malicious or malformed requests, each named once', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    const names = CORPUS.map((c) => `${c.group}: ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  test('covers every group of the checklist', () => {
    const groups = new Set<CorpusGroup>(CORPUS.map((c) => c.group));
    expect([...groups].sort()).toEqual(
      [
        'algorithms and keys',
        'claims',
        'encryption',
        'signatures and encoding',
        'transport',
      ].sort(),
    );
  });
});

describe.each(APPS)('%s: requests that must be accepted', (appName) => {
  test.each(CONTROLS.map((c) => [c.name, c] as const))('%s', async (_name, control) => {
    const app = apps.find((a) => a.name === appName) as RunningApp;
    const response = await send(app, await control.build(ctx));
    expect({ status: response.status, code: response.headers[CODE_HEADER] }).toEqual({
      status: 200,
      code: undefined,
    });
    expect(response.body).toMatchObject({ subject: expect.any(String) });
  });
});

describe.each(APPS)('%s: the attack corpus', (appName) => {
  test.each(CORPUS.map((c) => [`${c.group}: ${c.name}`, c] as const))(
    '%s',
    async (_name, attack) => {
      const app = apps.find((a) => a.name === appName) as RunningApp;
      const response = await send(app, await attack.build(ctx));
      const challenge = response.headers['www-authenticate'] as string | undefined;

      expect({ status: response.status, code: response.headers[CODE_HEADER] }).toEqual({
        status: attack.status,
        code: attack.code,
      });
      expect(challenge).toMatch(/^Bearer realm="api"/);
      expect(challengeAttribute(challenge as string, 'error')).toBe(attack.error);
      if (attack.error === undefined) {
        // RFC 6750 §3.1: a request without credentials gets a bare challenge and no error body.
        expect(challenge).toBe('Bearer realm="api"');
        expect(response.body).toEqual({});
      } else {
        expect(response.body).toEqual({
          error: attack.error,
          error_description: expect.any(String),
        });
        expect(challengeAttribute(challenge as string, 'error_description')).toBe(
          response.body.error_description,
        );
      }
      expect(challengeAttribute(challenge as string, 'scope')).toBe(attack.scope);
    },
  );
});

test('no case made tokenward contact the attacker server (jku, x5u are never followed)', async () => {
  // Runs after the corpus (Jest runs a file's tests in order), which sent jku and x5u tokens.
  expect(attackerRequests).toEqual([]);
  // The server was up and listening all along: a request does reach it.
  const res = await fetch(`${ctx.attackerUrl}/jwks.json`);
  expect(res.status).toBe(200);
  expect(attackerRequests).toEqual(['GET /jwks.json']);
});
