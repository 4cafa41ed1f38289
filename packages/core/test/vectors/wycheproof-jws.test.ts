/**
 * Wycheproof `json_web_signature_test.json` (401 vectors) through tokenward's JWS layer:
 * `splitCompact` → `verifyJWS` with a local key source built by `importVerificationKeys` (or
 * `importSecret` for an HMAC key) and `algorithms = [key.alg]`. The key is the group's `public`
 * key when there is one, else its `private` key, as upstream's harnesses do.
 *
 * Every `valid` vector must be accepted and every `invalid` one rejected, except the tcIds in
 * {@link SIGNATURE_EXCEPTIONS}, where the opposite outcome is asserted so that the list cannot go
 * stale. The payloads are not JWTs; see `opaque-payloads.ts` for how they reach the signature check.
 */
jest.mock('../../src/compact/compact', () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./opaque-payloads').withOpaquePayloads(jest.requireActual('../../src/compact/compact')),
);

import {
  attempt,
  configureSignature,
  describeOutcome,
  isRejection,
  loadWycheproof,
  verifyCompactJWS,
  wycheproofRows,
  type WycheproofSignatureTest,
} from '../helpers/vectors';
import { opaquePayloads } from './opaque-payloads';

/**
 * Vectors where tokenward deliberately disagrees with the Wycheproof label (tcId → reason).
 */
export const SIGNATURE_EXCEPTIONS: Readonly<Record<number, string>> = {
  ...Object.fromEntries(
    [259, 264, 268, 272, 320, 325].map((tcId) => [
      tcId,
      'deliberately stricter: an empty payload is never a JWT claims set (RFC 7519 §7.2) and is ' +
        'the detached-content form (RFC 7515 Appendix F); splitCompact requires three non-empty segments',
    ]),
  ),
  346: 'upstream mislabel: the key says alg PS256 but the RFC 7520 §4.2 token is PS384',
  350: 'upstream mislabel: the key says alg PS256 but the RFC 7520 §4.2 token is PS384',
  347: 'upstream quirk: the key says alg "ES521", not a JWS algorithm (RFC 7518 §3.1: ES512)',
  351: 'upstream quirk: the key says alg "ES521", not a JWS algorithm (RFC 7518 §3.1: ES512)',
  367: 'upstream mislabel: byte-identical to the valid tcId 357',
  370: 'upstream mislabel: byte-identical to the valid tcId 357',
  372: 'deliberately stricter (upstream mislabel): "?" is not base64url (RFC 7515 §2, RFC 8725bis)',
  373: 'deliberately stricter (upstream mislabel): "?" is not base64url (RFC 7515 §2, RFC 8725bis)',
};

/** The error codes a rejected vector with this Wycheproof flag may carry. */
export const CODES_BY_FLAG: Readonly<Record<string, readonly string[]>> = {
  ModifiedSignature: ['ERR_JWS_SIGNATURE_INVALID'],
  ModifiedPadding: ['ERR_JWS_SIGNATURE_INVALID'],
  // PS512 key: a token saying RS256 fails the allowlist, one saying PS512 fails the signature.
  WrongPrimitive: ['ERR_JWS_ALG_NOT_ALLOWED', 'ERR_JWS_SIGNATURE_INVALID'],
  // The empty signature segment fails the shape check before the header is even decoded.
  AlgIsNone: ['ERR_TOKEN_MALFORMED'],
  JsonSerialization: ['ERR_TOKEN_MALFORMED'],
};

const file = loadWycheproof<WycheproofSignatureTest>('json_web_signature_test.json');
const rows = wycheproofRows(file).map((row) => {
  const labelled = row.result === 'valid' ? 'accept' : 'reject';
  const exception = SIGNATURE_EXCEPTIONS[row.tcId];
  const expectation =
    exception === undefined
      ? labelled
      : `${labelled === 'accept' ? 'reject' : 'accept'} (exception: ${exception})`;
  return { ...row, expectation, shouldAccept: expectation.startsWith('accept') };
});

function run(row: (typeof rows)[number]) {
  return attempt(
    () => configureSignature(row.group.public ?? row.group.private),
    (config) => verifyCompactJWS(row.jws, config),
  );
}

describe('Wycheproof json_web_signature_test.json through verifyJWS', () => {
  beforeEach(() => {
    opaquePayloads.enabled = true;
  });

  it('covers every vector of the file and lists only existing tcIds as exceptions', () => {
    expect(rows).toHaveLength(file.numberOfTests);
    const ids = new Set(rows.map((row) => row.tcId));
    expect(
      Object.keys(SIGNATURE_EXCEPTIONS)
        .map(Number)
        .filter((id) => !ids.has(id)),
    ).toEqual([]);
  });

  test.each(rows)('tcId $tcId $result ($comment) → $expectation', async (row) => {
    const outcome = await run(row);
    expect({ tcId: row.tcId, outcome: describeOutcome(outcome) }).toEqual({
      tcId: row.tcId,
      outcome: row.shouldAccept ? 'accepted' : expect.not.stringMatching(/^accepted$/),
    });
    expect(isRejection(outcome)).toBe(!row.shouldAccept);
    if (outcome.status === 'accepted') {
      // The header verifyJWS returns is the one that was signed.
      const signedHeader = JSON.parse(
        Buffer.from(row.jws.split('.')[0] as string, 'base64url').toString('utf8'),
      ) as unknown;
      expect(outcome.value.header).toEqual(signedHeader);
    }
    if (outcome.status === 'rejected') {
      for (const flag of row.flags) expect(CODES_BY_FLAG[flag]).toContain(outcome.error.code);
      expect(outcome.error.status).toBe(401);
      expect(outcome.error.headers['WWW-Authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_token", error_description="/,
      );
    }
  });
});
