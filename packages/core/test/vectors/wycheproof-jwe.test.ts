/**
 * Wycheproof `json_web_encryption_test.json` (139 vectors) through tokenward's JWE layer:
 * `splitCompact` → `decryptJWE` with the group's private key imported by `importDecryptionKeys`,
 * `keyManagementAlgorithms = [key.alg]` (a `dir` key allows `dir` with its own `enc`), every
 * supported `enc` otherwise, and `allowUnsigned: true` because the plaintexts are not JWTs. An
 * accepted vector must decrypt to its `pt`.
 *
 * Every `valid` vector must be accepted and every `invalid` one rejected, except the tcIds in
 * {@link ENCRYPTION_EXCEPTIONS}, where the opposite outcome is asserted.
 */
import {
  attempt,
  configureDecryption,
  decryptCompactJWE,
  describeOutcome,
  hexOf,
  isRejection,
  loadWycheproof,
  wycheproofRows,
  type WycheproofEncryptionTest,
} from '../helpers/vectors';

/**
 * Vectors where tokenward deliberately disagrees with the Wycheproof label (tcId → reason).
 */
export const ENCRYPTION_EXCEPTIONS: Readonly<Record<number, string>> = {
  ...Object.fromEntries(
    [100, 101, 102, 103, 104, 105, 112, 128].map((tcId) => [
      tcId,
      'deliberately stricter: RSA1_5 is never accepted (docs/architecture.md SD-11; RFC 8725 §3.2, ' +
        'Bleichenbacher padding oracles; jose 6 removed it)',
    ]),
  ),
  135:
    'deliberately stricter: zip is never accepted (RFC 8725 §3.6: compression leaks plaintext ' +
    'length; zip bombs)',
};

/** The error codes a rejected vector with this Wycheproof flag may carry. */
export const CODES_BY_FLAG: Readonly<Record<string, readonly string[]>> = {
  // RSA1_5 is refused before any RSA operation, so there is no padding oracle to probe.
  Pkcs15WithOaepKey: ['ERR_JWE_ALG_NOT_ALLOWED'],
  ModifiedPkcs15Padding: ['ERR_JWE_ALG_NOT_ALLOWED'],
  // The key's alg is the only one allowed: A128KW is not A128GCMKW.
  WrongCipher: ['ERR_JWE_ALG_NOT_ALLOWED'],
  Pkcs5Padding: ['ERR_JWE_DECRYPTION_FAILED'],
  CompressedPlaintext: ['ERR_JWE_ZIP_NOT_ALLOWED'],
  JsonSerialization: ['ERR_TOKEN_MALFORMED'],
};

const file = loadWycheproof<WycheproofEncryptionTest>('json_web_encryption_test.json');
const rows = wycheproofRows(file).map((row) => {
  const labelled = row.result === 'valid' ? 'accept' : 'reject';
  const exception = ENCRYPTION_EXCEPTIONS[row.tcId];
  const expectation =
    exception === undefined
      ? labelled
      : `${labelled === 'accept' ? 'reject' : 'accept'} (exception: ${exception})`;
  return { ...row, expectation, shouldAccept: expectation.startsWith('accept') };
});

describe('Wycheproof json_web_encryption_test.json through decryptJWE', () => {
  it('covers every vector of the file and lists only existing tcIds as exceptions', () => {
    expect(rows).toHaveLength(file.numberOfTests);
    const ids = new Set(rows.map((row) => row.tcId));
    expect(
      Object.keys(ENCRYPTION_EXCEPTIONS)
        .map(Number)
        .filter((id) => !ids.has(id)),
    ).toEqual([]);
  });

  test.each(rows)('tcId $tcId $result ($comment) → $expectation', async (row) => {
    const outcome = await attempt(
      () => configureDecryption(row.group.private),
      (config) => decryptCompactJWE(row.jwe, config),
    );
    expect({ tcId: row.tcId, outcome: describeOutcome(outcome) }).toEqual({
      tcId: row.tcId,
      outcome: row.shouldAccept ? 'accepted' : expect.not.stringMatching(/^accepted$/),
    });
    expect(isRejection(outcome)).toBe(!row.shouldAccept);
    if (outcome.status === 'accepted') {
      expect(outcome.value.header.enc).toBe(row.enc);
      if (row.pt !== undefined) expect(hexOf(outcome.value.plaintext)).toBe(row.pt);
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
