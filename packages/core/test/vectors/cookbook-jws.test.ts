/**
 * RFC 7520 §4 (JWS) and the RFC 8037 Ed25519 cookbook example through tokenward's JWS layer:
 * `splitCompact` → `verifyJWS`, with the example's public key imported by `importVerificationKeys`
 * (or `importSecret` for §4.4) and `algorithms = [input.alg]`.
 *
 * Only the compact serialization is tokenward's input (an access token travels as one compact
 * string, RFC 6750 §2.1). Skipped by design, because they have no compact form: §4.6 and §4.7
 * (unprotected header members) and §4.8 (several signatures) — the `describe` at the end asserts
 * that, and checks what can still be said of them in compact form. §4.5 (detached content) has a
 * compact form with an empty payload, which tokenward refuses; re-attached, it verifies.
 *
 * The cookbook payload is prose, not JWT claims; see `opaque-payloads.ts`.
 */
jest.mock('../../src/compact/compact', () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./opaque-payloads').withOpaquePayloads(jest.requireActual('../../src/compact/compact')),
);

import type { JWK } from 'jose';
import {
  attempt,
  configureSignature,
  describeOutcome,
  loadFixture,
  publicJWK,
  verifyCompactJWS,
  type SignatureConfig,
} from '../helpers/vectors';
import { opaquePayloads } from './opaque-payloads';

interface CookbookSigning {
  protected?: Record<string, unknown>;
  protected_b64u?: string;
  unprotected?: Record<string, unknown>;
  sig: string;
}

interface CookbookJWS {
  title: string;
  input: { payload: string; key: JWK | JWK[]; alg: string | string[] };
  signing: CookbookSigning | CookbookSigning[];
  output: { compact?: string; json: unknown; json_flat?: unknown };
}

const load = (path: string) => loadFixture<CookbookJWS>(`cookbook/${path}`);
const b64u = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** The verification key of an example: its public part, or the HMAC secret. */
function configFor(key: JWK, alg: string): SignatureConfig {
  const config = configureSignature(key.kty === 'oct' ? key : publicJWK(key));
  return { ...config, algorithms: new Set([alg]) };
}

function verify(token: string, key: JWK, alg: string) {
  return attempt(
    () => configFor(key, alg),
    (config) => verifyCompactJWS(token, config),
  );
}

/** Changes one character in the middle of the signature segment (still canonical base64url). */
function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const at = Math.floor(signature.length / 2);
  const changed = signature[at] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, at)}${changed}${signature.slice(at + 1)}`;
}

const COMPACT_EXAMPLES = [
  { section: 'RFC 7520 §4.1 RS256', file: 'jws/4_1.rsa_v15_signature.json' },
  { section: 'RFC 7520 §4.2 PS384', file: 'jws/4_2.rsa-pss_signature.json' },
  { section: 'RFC 7520 §4.3 ES512', file: 'jws/4_3.ecdsa_signature.json' },
  { section: 'RFC 7520 §4.4 HS256', file: 'jws/4_4.hmac-sha2_integrity_protection.json' },
  { section: 'RFC 8037 A.4 EdDSA (curve25519/jws.json)', file: 'curve25519/jws.json' },
].map((row) => {
  const example = load(row.file);
  return {
    ...row,
    example,
    token: example.output.compact as string,
    key: example.input.key as JWK,
    alg: example.input.alg as string,
  };
});

beforeEach(() => {
  opaquePayloads.enabled = true;
});

describe('RFC 7520 §4 compact JWS through verifyJWS', () => {
  test.each(COMPACT_EXAMPLES)('$section: accepted, header as signed', async (row) => {
    const outcome = await verify(row.token, row.key, row.alg);
    expect(describeOutcome(outcome)).toBe('accepted');
    if (outcome.status === 'accepted') {
      expect(outcome.value.header).toEqual((row.example.signing as CookbookSigning).protected);
    }
    // The payload segment is the example's payload.
    expect(row.token.split('.')[1]).toBe(b64u(row.example.input.payload));
  });

  test.each(COMPACT_EXAMPLES)(
    '$section: one changed signature character → rejected',
    async (row) => {
      const outcome = await verify(tamperSignature(row.token), row.key, row.alg);
      expect(describeOutcome(outcome)).toBe('rejected: ERR_JWS_SIGNATURE_INVALID');
    },
  );

  test.each(COMPACT_EXAMPLES)('$section: another allowed alg → rejected', async (row) => {
    const other = row.alg === 'HS256' ? 'HS384' : row.alg === 'RS256' ? 'PS256' : 'RS256';
    const outcome = await attempt(
      () => ({ ...configFor(row.key, row.alg), algorithms: new Set([other]) }),
      (config) => verifyCompactJWS(row.token, config),
    );
    expect(describeOutcome(outcome)).toBe('rejected: ERR_JWS_ALG_NOT_ALLOWED');
  });

  test.each(COMPACT_EXAMPLES)(
    '$section: without the opaque-payload shim, the prose payload is not a JWT → rejected',
    async (row) => {
      opaquePayloads.enabled = false;
      const outcome = await verify(row.token, row.key, row.alg);
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') {
        expect(outcome.error.code).toBe('ERR_TOKEN_MALFORMED');
        expect(outcome.error.message).toBe('the JWT claims is not valid UTF-8 JSON');
      }
    },
  );
});

describe('RFC 7520 §4.5 detached content', () => {
  const example = load('jws/4_5.signature_with_detached_content.json');
  const key = example.input.key as JWK;
  const detached = example.output.compact as string;

  it('has a compact form with an empty payload, which splitCompact refuses', async () => {
    expect(detached.split('.')[1]).toBe('');
    const outcome = await verify(detached, key, 'HS256');
    expect(describeOutcome(outcome)).toBe('rejected: ERR_TOKEN_MALFORMED');
  });

  it('verifies once the payload is re-attached (RFC 7515 Appendix F)', async () => {
    const [header, , signature] = detached.split('.');
    const attached = `${header}.${b64u(example.input.payload)}.${signature}`;
    expect(describeOutcome(await verify(attached, key, 'HS256'))).toBe('accepted');
  });
});

describe('RFC 7520 §4.6, §4.7, §4.8: no compact form (skipped by design)', () => {
  const payload = b64u(load('jws/4_6.protecting_specific_header_fields.json').input.payload);

  it.each([
    ['§4.6 protecting specific header fields', 'jws/4_6.protecting_specific_header_fields.json'],
    ['§4.7 protecting content only', 'jws/4_7.protecting_content_only.json'],
    ['§4.8 multiple signatures', 'jws/4_8.multiple_signatures.json'],
  ])('%s has only JSON serializations', (_section, path) => {
    const example = load(path);
    expect(example.output.compact).toBeUndefined();
    expect(example.output.json).toBeDefined();
  });

  it('§4.6 in compact form (protected header only; the unprotected kid is lost) verifies', async () => {
    const example = load('jws/4_6.protecting_specific_header_fields.json');
    const signing = example.signing as CookbookSigning;
    expect(signing.unprotected).toEqual({ kid: (example.input.key as JWK).kid });
    const token = `${signing.protected_b64u}.${payload}.${signing.sig}`;
    const outcome = await verify(token, example.input.key as JWK, 'HS256');
    expect(describeOutcome(outcome)).toBe('accepted');
  });

  it('§4.7 has no protected header, so its compact form is malformed', async () => {
    const example = load('jws/4_7.protecting_content_only.json');
    const signing = example.signing as CookbookSigning;
    expect(signing.protected).toBeUndefined();
    const outcome = await verify(`.${payload}.${signing.sig}`, example.input.key as JWK, 'HS256');
    expect(describeOutcome(outcome)).toBe('rejected: ERR_TOKEN_MALFORMED');
  });

  it('§4.8: each signature with its alg in a protected header verifies on its own', async () => {
    const example = load('jws/4_8.multiple_signatures.json');
    const signings = example.signing as CookbookSigning[];
    const keys = example.input.key as JWK[];
    const algs = example.input.alg as string[];
    const outcomes = await Promise.all(
      signings.map((signing, i) =>
        verify(
          `${signing.protected_b64u ?? ''}.${payload}.${signing.sig}`,
          keys[i] as JWK,
          algs[i] as string,
        ),
      ),
    );
    // RS256 and HS256 protect alg; the ES512 signature (alg only unprotected) cannot be compact.
    expect(outcomes.map(describeOutcome)).toEqual([
      'accepted',
      'rejected: ERR_TOKEN_MALFORMED',
      'accepted',
    ]);
  });
});
