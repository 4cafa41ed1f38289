/**
 * Property-based tests of parsing and verification with fast-check: mutants of valid tokens
 * (signed and nested) are never accepted unless they decode to the same token, nothing but a
 * TokenwardError is ever thrown, no promise is left rejecting unhandled, and every call settles
 * within a generous bound.
 *
 * Seeded and small by default so CI runs it in seconds. `pnpm fuzz` (scripts/fuzz.ts) runs the
 * same properties long, through these environment variables:
 * - `FUZZ_RUNS`: runs per property (default 300);
 * - `FUZZ_SEED`: the fast-check seed (default 20250115), printed on failure with the path to
 *   replay the counterexample;
 * - `FUZZ_REPORT`: a file to write a JSON summary to (runs, accepted, rejection codes, slowest).
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  createVerifier,
  TokenwardError,
  type AccessToken,
  type RequestLike,
  type Verifier,
} from '@tokenward/core';
import { corpusVerifierOptions } from '../security/corpus';
import {
  claims,
  encryptJWE,
  generateKeys,
  NOW,
  signJWS,
  type Keys,
} from '../security/helpers/craft';
import { mutation, tokenLikeString } from './mutations';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20250115);
/** A call that has not settled after this long is a failure (a hang, not a slow machine). */
const SETTLE_BOUND_MS = 10_000;

let keys: Keys;
let verifier: Verifier;
let signed: string[];
let inner: string[];
let nested: string[];
let donors: string[];

interface Stats {
  runs: number;
  accepted: number;
  codes: Record<string, number>;
  slowestMs: number;
}
const report: Record<string, Stats> = {};

beforeAll(async () => {
  keys = await generateKeys();
  verifier = createVerifier(corpusVerifierOptions(keys));
  signed = [
    signJWS(claims(), keys.issuerRsa),
    signJWS(claims({ scope: 'admin:write', aud: ['x', 'https://api.example.com'] }), keys.issuerEc),
    signJWS(claims(), keys.issuerRsa2, { kid: undefined }),
  ];
  inner = [signJWS(claims({ sub: 'nested-user' }), keys.issuerRsa), signed[1] as string];
  nested = [
    encryptJWE(inner[0] as string, keys.apiRsa),
    encryptJWE(inner[1] as string, keys.apiEc),
  ];
  donors = [
    ...signed,
    ...nested,
    signJWS(claims({ sub: 'admin' }), keys.attackerRsa, { kid: 'rsa-1' }),
    signJWS(claims({ sub: 'admin' }), new Uint8Array(32).fill(7), { kid: 'rsa-1' }),
    encryptJWE(JSON.stringify(claims({ sub: 'admin' })), keys.apiRsa),
  ];
  // Every base token is valid: otherwise "never accepted" would be vacuous.
  for (const token of [...signed, ...nested]) {
    await expect(verifier.verify(token, { currentDate: NOW })).resolves.toBeDefined();
  }
});

afterAll(() => {
  if (process.env.FUZZ_REPORT) {
    writeFileSync(
      process.env.FUZZ_REPORT,
      JSON.stringify({ seed: SEED, runsPerProperty: RUNS, properties: report }, null, 2),
    );
  }
});

type Outcome = { ok: true; token: AccessToken } | { ok: false; error: unknown };

/** Runs `call`, failing if it has not settled within {@link SETTLE_BOUND_MS}. */
async function settle(property: string, call: () => Promise<AccessToken>): Promise<Outcome> {
  const stats = (report[property] ??= { runs: 0, accepted: 0, codes: {}, slowestMs: 0 });
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const outcome = await Promise.race<Outcome | 'timeout'>([
    call().then(
      (token) => ({ ok: true as const, token }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SETTLE_BOUND_MS);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout')
    throw new Error(`the call did not settle within ${SETTLE_BOUND_MS} ms`);
  stats.runs++;
  stats.slowestMs = Math.max(stats.slowestMs, performance.now() - started);
  if (outcome.ok) stats.accepted++;
  else {
    const code = outcome.error instanceof TokenwardError ? outcome.error.code : 'NOT_TOKENWARD';
    stats.codes[code] = (stats.codes[code] ?? 0) + 1;
  }
  return outcome;
}

/** A rejection must be a TokenwardError answering 400/401 that does not echo the token. */
function assertProperRejection(error: unknown, token: string): void {
  if (!(error instanceof TokenwardError)) {
    throw new Error(`not a TokenwardError: ${String(error)}`, { cause: error });
  }
  expect([400, 401]).toContain(error.status);
  if (token.length >= 16) {
    expect(error.message).not.toContain(token);
    expect(error.challenge).not.toContain(token);
  }
}

/**
 * What "the same token" means: the same verified header and claims, and the same outer JWE
 * header unless the test re-encrypted the token itself (a fresh `epk` or another `alg` then).
 */
const decoded = (t: AccessToken, withEncryption: boolean) => ({
  header: t.header,
  claims: t.claims,
  ...(withEncryption && { encryption: t.encryption }),
});

async function expectRejectedOrSame(
  property: string,
  original: string,
  mutant: string,
  compareEncryption = true,
) {
  const outcome = await settle(property, () => verifier.verify(mutant, { currentDate: NOW }));
  if (outcome.ok) {
    const reference = await verifier.verify(original, { currentDate: NOW });
    expect(decoded(outcome.token, compareEncryption)).toEqual(
      decoded(reference, compareEncryption),
    );
  } else {
    assertProperRejection(outcome.error, mutant);
  }
}

const params = () => ({ numRuns: RUNS, seed: SEED, endOnFailure: true });

test('mutants of signed tokens are rejected unless they decode to the same token', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(), mutation(donors), async (pick, mutate) => {
      const original = signed[pick % signed.length] as string;
      await expectRejectedOrSame('signed mutants', original, mutate(original));
    }),
    params(),
  );
});

test('mutants of nested tokens (outer JWE) are rejected unless they decode to the same token', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat(), mutation(donors), async (pick, mutate) => {
      const original = nested[pick % nested.length] as string;
      await expectRejectedOrSame('nested mutants', original, mutate(original));
    }),
    params(),
  );
});

test('a mutated inner JWS, re-encrypted with our public key, is rejected unless unchanged', async () => {
  // Anyone can encrypt to the API's public key: the outer layer then decrypts fine, and only the
  // inner signature and checks stand between the mutant and acceptance.
  await fc.assert(
    fc.asyncProperty(fc.nat(), mutation(donors), fc.boolean(), async (pick, mutate, useEc) => {
      const original = inner[pick % inner.length] as string;
      const reencrypted = encryptJWE(mutate(original), useEc ? keys.apiEc : keys.apiRsa);
      await expectRejectedOrSame('re-encrypted inner mutants', original, reencrypted, false);
    }),
    params(),
  );
});

test('arbitrary strings are never accepted and only ever raise a TokenwardError', async () => {
  await fc.assert(
    fc.asyncProperty(tokenLikeString, async (token) => {
      const outcome = await settle('arbitrary strings', () =>
        verifier.verify(token, { currentDate: NOW }),
      );
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) assertProperRejection(outcome.error, token);
    }),
    params(),
  );
});

test('arbitrary requests only ever raise a TokenwardError', async () => {
  const headerValue = fc.oneof(
    tokenLikeString,
    tokenLikeString.map((t) => `Bearer ${t}`),
    fc.array(
      tokenLikeString.map((t) => `Bearer ${t}`),
      { maxLength: 3 },
    ),
    fc.constant(undefined),
  );
  const requestLike: fc.Arbitrary<RequestLike> = fc.record(
    {
      method: fc.constantFrom('GET', 'POST', 'PUT'),
      url: fc.oneof(
        fc.constant('/api'),
        tokenLikeString.map((t) => `/api?access_token=${encodeURIComponent(t)}`),
        fc.webUrl({ withQueryParameters: true }),
      ),
      headers: fc.record(
        {
          authorization: headerValue,
          Authorization: headerValue,
          'content-type': fc.constantFrom('application/x-www-form-urlencoded', 'application/json'),
        },
        { requiredKeys: [] },
      ),
      query: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), fc.jsonValue())),
      body: fc.oneof(fc.constant(undefined), fc.jsonValue()),
      rawHeaders: fc.oneof(
        fc.constant(undefined),
        fc.array(fc.oneof(fc.constantFrom('Authorization', 'authorization'), tokenLikeString)),
      ),
    },
    { requiredKeys: ['headers'] },
  ) as fc.Arbitrary<RequestLike>;
  await fc.assert(
    fc.asyncProperty(requestLike, async (request) => {
      const outcome = await settle('arbitrary requests', () =>
        verifier.verifyRequest(request, { currentDate: NOW }),
      );
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toBeInstanceOf(TokenwardError);
    }),
    params(),
  );
});

// Unhandled rejections: Jest's circus runner replaces the process's unhandledRejection
// listeners while a test runs and fails that test on any stray rejection (a listener added here
// would never be called). Each property above therefore fails on one; this last test gives a
// late one a turn of the event loop to land, and checks that every property really ran.
test('every property ran, and no rejection surfaced late', async () => {
  await new Promise((resolve) => setImmediate(resolve));
  for (const stats of Object.values(report)) expect(stats.runs).toBe(RUNS);
  expect(Object.keys(report).sort()).toEqual(
    [
      'arbitrary requests',
      'arbitrary strings',
      'nested mutants',
      're-encrypted inner mutants',
      'signed mutants',
    ].sort(),
  );
});
