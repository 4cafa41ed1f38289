/**
 * Differential test of the node:crypto signature path (src/jws/jws-signature.ts) against jose 6's
 * `compactVerify`, the implementation tokenward used before: on every compact JWS among the
 * Wycheproof and RFC 7520 / RFC 8037 cookbook vectors, and on seeded fast-check cases (valid
 * tokens, flipped bits, truncated or extended signatures, DER-encoded ECDSA signatures, changed
 * payloads, other keys), both must give the same verdict for the same key and `alg`.
 *
 * Only tokens that pass tokenward's shape and header checks reach a signature check in the
 * verifier, so those checks (shared code, run before either path) filter the inputs here too.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, compactVerify, type JWK } from 'jose';
import { checkCommonHeader, readAlg } from '../../src/compact/header-checks';
import { verifySignature } from '../../src/jws/jws-signature';
import { ASYMMETRIC_JWS_ALGORITHMS, HMAC_JWS_ALGORITHMS } from '../../src/lib/algorithms';

/** Every algorithm verifySignature handles: the allowlists of lib/algorithms.ts. */
const SIGNATURE_ALGORITHMS = new Set<string>([
  ...ASYMMETRIC_JWS_ALGORITHMS,
  ...HMAC_JWS_ALGORITHMS,
]);
import type { ImportedKey } from '../../src/keys/key-input';
import { importSecret, importVerificationKeys, selectKeys } from '../../src/keys/local-keys';
import { splitCompact } from '../../src/compact/compact';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../../src/config/verifier-options';
import {
  configureSignature,
  loadFixture,
  loadWycheproof,
  publicJWK,
  wycheproofRows,
  type WycheproofSignatureTest,
} from '../helpers/vectors';

const SEED = 20261125;

/** jose's verdict. */
async function joseVerdict(token: string, alg: string, key: KeyObject): Promise<boolean> {
  try {
    await compactVerify(token, key, { algorithms: [alg] });
    return true;
  } catch {
    return false;
  }
}

/** The node:crypto path's verdict (a thrown error is a rejection, as in verifyJWS). */
async function fastVerdict(token: string, alg: string, key: KeyObject): Promise<boolean> {
  try {
    const segments = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH).segments;
    return await verifySignature(alg, key, token, segments);
  } catch {
    return false;
  }
}

/** The alg of a token that would reach a signature check, or undefined. */
function reachableAlg(token: string): string | undefined {
  try {
    const compact = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
    if (compact.kind !== 'JWS') return undefined;
    const header = JSON.parse(Buffer.from(compact.segments[0] as string, 'base64url').toString());
    const alg = readAlg(header, 'JWS');
    checkCommonHeader(header, 'JWS');
    return SIGNATURE_ALGORITHMS.has(alg) ? alg : undefined;
  } catch {
    return undefined;
  }
}

interface Comparison {
  readonly label: string;
  readonly jose: boolean;
  readonly fast: boolean;
}

async function compareWithKeys(
  label: string,
  token: string,
  keys: readonly ImportedKey[],
): Promise<Comparison[]> {
  const alg = reachableAlg(token);
  if (alg === undefined) return [];
  const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const out: Comparison[] = [];
  for (const candidate of selectKeys(keys, { alg, kid })) {
    out.push({
      label,
      jose: await joseVerdict(token, alg, candidate.key),
      fast: await fastVerdict(token, alg, candidate.key),
    });
  }
  return out;
}

describe('node:crypto JWS signatures agree with jose', () => {
  test('on every reachable Wycheproof JWS vector', async () => {
    const file = loadWycheproof<WycheproofSignatureTest>('json_web_signature_test.json');
    const comparisons: Comparison[] = [];
    for (const row of wycheproofRows(file)) {
      let keys: readonly ImportedKey[];
      try {
        keys = configureSignature(row.group.public ?? row.group.private).keys;
      } catch {
        continue; // a key createVerifier refuses never verifies anything
      }
      if (typeof row.jws !== 'string') continue;
      comparisons.push(...(await compareWithKeys(`tcId ${row.tcId}`, row.jws, keys)));
    }
    const disagreements = comparisons.filter((c) => c.jose !== c.fast).map((c) => c.label);
    expect(disagreements).toEqual([]);
    // The comparison is meaningful only if it saw both verdicts, many times.
    expect(comparisons.length).toBeGreaterThan(250);
    expect(comparisons.filter((c) => c.jose).length).toBeGreaterThan(20);
    expect(comparisons.filter((c) => !c.jose).length).toBeGreaterThan(200);
  });

  test('on the RFC 7520 §4 and RFC 8037 cookbook JWS examples', async () => {
    const files = [
      'cookbook/jws/4_1.rsa_v15_signature.json',
      'cookbook/jws/4_2.rsa-pss_signature.json',
      'cookbook/jws/4_3.ecdsa_signature.json',
      'cookbook/jws/4_4.hmac-sha2_integrity_protection.json',
      'cookbook/curve25519/jws.json',
    ];
    const comparisons: Comparison[] = [];
    for (const path of files) {
      const example = loadFixture<{ input: { key: JWK }; output: { compact: string } }>(path);
      const jwk = example.input.key;
      const keys =
        jwk.kty === 'oct'
          ? [importSecret(Buffer.from(String(jwk.k), 'base64url'))]
          : importVerificationKeys(publicJWK(jwk));
      const token = example.output.compact;
      comparisons.push(...(await compareWithKeys(path, token, keys)));
      // The same token with its last signature character changed must fail on both paths.
      const replacement = token.at(-2) === 'A' ? 'B' : 'A';
      const changed = `${token.slice(0, -2)}${replacement}${token.at(-1)}`;
      comparisons.push(...(await compareWithKeys(`${path} changed`, changed, keys)));
    }
    expect(comparisons.filter((c) => c.jose !== c.fast).map((c) => c.label)).toEqual([]);
    expect(comparisons.filter((c) => c.jose)).toHaveLength(files.length);
    expect(comparisons.filter((c) => !c.jose).length).toBeGreaterThanOrEqual(files.length);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz

interface Signer {
  readonly alg: string;
  readonly sign: KeyObject;
  readonly verify: readonly ImportedKey[];
  /** Another key of the same kind, to sign with instead. */
  readonly other: KeyObject;
}

function pair(type: 'rsa' | 'ec' | 'ed25519', curve?: string) {
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: curve as string });
  return generateKeyPairSync('ed25519');
}

function signers(): Signer[] {
  const rsa = [pair('rsa'), pair('rsa')];
  const p256 = [pair('ec', 'P-256'), pair('ec', 'P-256')];
  const p384 = [pair('ec', 'P-384'), pair('ec', 'P-384')];
  const p521 = [pair('ec', 'P-521'), pair('ec', 'P-521')];
  const ed = [pair('ed25519'), pair('ed25519')];
  const secret = importSecret(Buffer.alloc(64, 7));
  const otherSecret = importSecret(Buffer.alloc(64, 9));
  const asym = (alg: string, keys: ReturnType<typeof pair>[]): Signer => ({
    alg,
    sign: keys[0]!.privateKey,
    verify: importVerificationKeys(keys[0]!.publicKey),
    other: keys[1]!.privateKey,
  });
  return [
    ...['HS256', 'HS384', 'HS512'].map((alg) => ({
      alg,
      sign: secret.key,
      verify: [secret],
      other: otherSecret.key,
    })),
    ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'].map((alg) => asym(alg, rsa)),
    asym('ES256', p256),
    asym('ES384', p384),
    asym('ES512', p521),
    asym('EdDSA', ed),
    asym('Ed25519', ed),
  ];
}

type Mutation =
  | { kind: 'none' }
  | { kind: 'flip-signature'; at: number; bit: number }
  | { kind: 'truncate-signature'; by: number }
  | { kind: 'extend-signature'; bytes: Uint8Array }
  | { kind: 'random-signature'; bytes: Uint8Array }
  | { kind: 'flip-payload'; at: number; bit: number }
  | { kind: 'other-key' }
  | { kind: 'der-signature' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('flip-signature' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('truncate-signature' as const),
    by: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('extend-signature' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('random-signature' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
  fc.record({ kind: fc.constant('flip-payload' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.constant({ kind: 'other-key' as const }),
  fc.constant({ kind: 'der-signature' as const }),
);

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

async function mint(signer: Signer, claims: object, key: KeyObject): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(claims)))
    .setProtectedHeader({ alg: signer.alg, typ: 'at+jwt' })
    .sign(key);
}

async function mutate(signer: Signer, claims: object, m: Mutation): Promise<string> {
  const token = await mint(signer, claims, m.kind === 'other-key' ? signer.other : signer.sign);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const sig = Buffer.from(signature, 'base64url');
  switch (m.kind) {
    case 'none':
    case 'other-key':
      return token;
    case 'flip-signature':
      sig[m.at % sig.length]! ^= 1 << m.bit;
      return `${header}.${payload}.${b64u(sig)}`;
    case 'truncate-signature':
      return `${header}.${payload}.${b64u(sig.subarray(0, Math.max(1, sig.length - m.by)))}`;
    case 'extend-signature':
      return `${header}.${payload}.${b64u(Buffer.concat([sig, m.bytes]))}`;
    case 'random-signature':
      return `${header}.${payload}.${b64u(m.bytes)}`;
    case 'flip-payload': {
      const bytes = Buffer.from(payload, 'base64url');
      bytes[m.at % bytes.length]! ^= 1 << m.bit;
      return `${header}.${b64u(bytes)}.${signature}`;
    }
    case 'der-signature': {
      if (!signer.alg.startsWith('ES')) return token;
      // The same signature over the same input, DER-encoded instead of r||s (RFC 7518 §3.4
      // requires r||s; both paths must refuse DER).
      const digest = `sha${signer.alg.slice(2)}`;
      const der = cryptoSign(digest, Buffer.from(`${header}.${payload}`), {
        key: signer.sign,
        dsaEncoding: 'der',
      });
      return `${header}.${payload}.${b64u(der)}`;
    }
  }
}

describe('node:crypto JWS signatures agree with jose on fuzz cases', () => {
  const all = signers();

  test('seeded: valid, tampered, truncated, extended, random, DER and wrong-key signatures', async () => {
    const seen = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...all),
        fc.record({ sub: fc.string({ maxLength: 20 }), n: fc.integer() }),
        mutation,
        async (signer, claims, m) => {
          const token = await mutate(signer, claims, m);
          const alg = reachableAlg(token);
          if (alg === undefined) return; // refused before any signature check, on both paths
          for (const candidate of signer.verify) {
            const jose = await joseVerdict(token, alg, candidate.key);
            const fast = await fastVerdict(token, alg, candidate.key);
            expect({ alg, mutation: m.kind, fast }).toEqual({ alg, mutation: m.kind, fast: jose });
            if (jose) seen.accepted++;
            else seen.rejected++;
          }
        },
      ),
      { seed: SEED, numRuns: 600, interruptAfterTimeLimit: 8000 },
    );
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.rejected).toBeGreaterThan(100);
  }, 30_000);

  test('every mutation of a valid token is refused by both paths, DER included', async () => {
    const es256 = all.find((s) => s.alg === 'ES256') as Signer;
    const token = await mutate(es256, { sub: 'x' }, { kind: 'der-signature' });
    const key = (es256.verify[0] as ImportedKey).key;
    expect(await joseVerdict(token, 'ES256', key)).toBe(false);
    expect(await fastVerdict(token, 'ES256', key)).toBe(false);
    const valid = await mutate(es256, { sub: 'x' }, { kind: 'none' });
    expect(await fastVerdict(valid, 'ES256', key)).toBe(true);
  });
});
