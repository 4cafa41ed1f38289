/**
 * Wycheproof `json_web_key_test.json` (26 vectors): each group is a key or key set, each test a
 * JWS signed with it. The key goes through the importers an operator's options reach —
 * `importVerificationKeys` / `importPublicKey` (`keys`), `importSecret` (`secret`) — and the token
 * through `splitCompact` → `verifyJWS` with `algorithms = [key.alg]`. A key tokenward refuses at
 * configuration time counts as a rejection of its vectors.
 *
 * Every `valid` vector must be accepted and every `invalid` one rejected, except the tcIds in
 * {@link KEY_EXCEPTIONS}, where the opposite outcome is asserted.
 */
jest.mock('../../src/compact/compact', () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./opaque-payloads').withOpaquePayloads(jest.requireActual('../../src/compact/compact')),
);

import type { JWK } from 'jose';
import { importDecryptionKeys } from '../../src/keys/decryption-keys';
import { importPrivateKey, importPublicKey } from '../../src/keys/key-input';
import {
  attempt,
  configureSignature,
  describeOutcome,
  isRejection,
  jwkMembers,
  loadWycheproof,
  publicJWK,
  verifyCompactJWS,
  wycheproofRows,
  type WycheproofSignatureTest,
} from '../helpers/vectors';

/**
 * Vectors where tokenward deliberately disagrees with the Wycheproof label (tcId → reason).
 */
export const KEY_EXCEPTIONS: Readonly<Record<number, string>> = {
  2:
    'by design: HMAC keys are one `secret` option (docs/architecture.md SD-7) and the `keys` option ' +
    'refuses JWK Sets with oct members, so a set of two HMAC keys cannot be configured',
  7:
    'documented limitation: a ROCA (CVE-2017-15361) modulus is only recognisable with the ' +
    'Nemec et al. fingerprint test, which tokenward does not run on the keys an operator configures',
};

/**
 * Why each rejected vector is rejected (matched against the outcome), so that a rejection for an
 * unrelated reason cannot pass unnoticed. "key refused" is a `TypeError` at configuration time,
 * where `createVerifier` would throw it.
 */
export const EXPECTED_REJECTIONS: Readonly<Record<number, RegExp>> = {
  1: /^key refused: keys: a JWK Set for signatures must not hold symmetric \(oct\) keys/,
  2: /^key refused: keys: a JWK Set for signatures must not hold symmetric \(oct\) keys/,
  3: /^key refused: keys: a JWK Set for signatures must not hold symmetric \(oct\) keys/,
  4: /^key refused: keys: a JWK Set for signatures must not hold symmetric \(oct\) keys/,
  6: /^key refused: keys: no usable signature verification key$/,
  8: /^key refused: .*RSA keys must be at least 2048 bits \(got 1024\)$/,
  9: /^key refused: .*the RSA public exponent must be odd, above 2\^16 and below 2\^256$/,
  10: /^key refused: secret: must be at least 32 bytes for HS256 .*got 31$/,
  11: /^key refused: secret: HS384 cannot be used with this secret/,
  12: /^key refused: secret: HS512 cannot be used with this secret/,
  16: /^key refused: secret: must be at least 32 bytes .*got 0$/,
  17: /^key refused: secret: must be at least 32 bytes .*got 0$/,
  18: /^key refused: secret: must be at least 32 bytes .*got 0$/,
  19: /^rejected: ERR_JWS_ALG_NOT_ALLOWED$/,
  20: /^rejected: ERR_JWS_ALG_NOT_ALLOWED$/,
  21: /^key refused: keys: no usable signature verification key$/,
  22: /^key refused: .*not a usable public key \(Invalid JWK EC key\)$/,
  23: /^key refused: .*not a usable public key \(Invalid JWK EC key\)$/,
  24: /^key refused: .*not a usable public key/,
  25: /^key refused: secret: A256GCM cannot be used with this secret/,
  26: /^key refused: secret: A256KW cannot be used with this secret/,
};

const file = loadWycheproof<WycheproofSignatureTest>('json_web_key_test.json');
const rows = wycheproofRows(file).map((row) => {
  const labelled = row.result === 'valid' ? 'accept' : 'reject';
  const exception = KEY_EXCEPTIONS[row.tcId];
  const expectation =
    exception === undefined
      ? labelled
      : `${labelled === 'accept' ? 'reject' : 'accept'} (exception: ${exception})`;
  return { ...row, expectation, shouldAccept: expectation.startsWith('accept') };
});

describe('Wycheproof json_web_key_test.json through the key importers and verifyJWS', () => {
  it('covers every vector of the file and lists only existing tcIds as exceptions', () => {
    expect(rows).toHaveLength(file.numberOfTests);
    const ids = new Set(rows.map((row) => row.tcId));
    expect(
      Object.keys(KEY_EXCEPTIONS)
        .map(Number)
        .filter((id) => !ids.has(id)),
    ).toEqual([]);
  });

  test.each(rows)('tcId $tcId $result ($comment) → $expectation', async (row) => {
    const outcome = await attempt(
      () => configureSignature(row.group.public ?? row.group.private),
      (config) => verifyCompactJWS(row.jws, config),
    );
    expect({ tcId: row.tcId, outcome: describeOutcome(outcome) }).toEqual({
      tcId: row.tcId,
      outcome: row.shouldAccept ? 'accepted' : expect.not.stringMatching(/^accepted$/),
    });
    expect(isRejection(outcome)).toBe(!row.shouldAccept);
    if (isRejection(outcome))
      expect(describeOutcome(outcome)).toMatch(EXPECTED_REJECTIONS[row.tcId] as RegExp);
  });

  it('explains every rejection', () => {
    const rejected = rows.filter((row) => !row.shouldAccept).map((row) => row.tcId);
    expect(Object.keys(EXPECTED_REJECTIONS).map(Number)).toEqual(rejected);
  });

  it('tcId 2 and 3 with the kid-named member as the one `secret`: the signature decides', async () => {
    const outcomes = await Promise.all(
      rows
        .filter((row) => row.tcId === 2 || row.tcId === 3)
        .map((row) => {
          const kid = JSON.parse(
            Buffer.from(row.jws.split('.')[0] as string, 'base64url').toString(),
          ).kid as string;
          const member = jwkMembers(row.group.private).find((jwk) => jwk.kid === kid) as JWK;
          return attempt(
            () => configureSignature(member),
            (config) => verifyCompactJWS(row.jws, config),
          );
        }),
    );
    expect(outcomes.map(describeOutcome)).toEqual([
      'accepted',
      'rejected: ERR_JWS_SIGNATURE_INVALID',
    ]);
  });
});

describe('Wycheproof json_web_key_test.json keys through the private-key importers', () => {
  const asymmetric = file.testGroups.flatMap((group) =>
    jwkMembers(group.private)
      .filter((jwk) => jwk.kty !== 'oct' && jwk.d !== undefined)
      .map((jwk) => ({ comment: group.comment, kid: jwk.kid, jwk })),
  );

  test.each(asymmetric)(
    '$comment ($kid): importPublicKey refuses the private JWK; importPrivateKey and importPublicKey agree on its hygiene',
    (row) => {
      expect(() => importPublicKey(row.jwk, 'keys')).toThrow(
        'keys: not a usable public key (a JWK with private or symmetric members; give the public key only)',
      );
      const settle = (fn: () => unknown) => {
        try {
          fn();
          return 'imported';
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return 'refused';
        }
      };
      expect(settle(() => importPrivateKey(row.jwk, 'decryptionKeys'))).toBe(
        settle(() => importPublicKey(publicJWK(row.jwk), 'keys')),
      );
    },
  );

  test.each(file.testGroups.map((group) => ({ comment: group.comment, group })))(
    '$comment: importDecryptionKeys takes only members that are not signature keys',
    ({ group }) => {
      const members = jwkMembers(group.private);
      if (members.every((jwk) => jwk.use === 'sig')) {
        expect(() => importDecryptionKeys(group.private)).toThrow(
          new TypeError('decryptionKeys: no usable decryption key'),
        );
      } else {
        // `use: "enc"` groups import with their alg, which binds each key to that one algorithm:
        // RSA1_5 and ES256 are not allowed key management, so decryptJWE never selects them.
        const keys = importDecryptionKeys(group.private);
        expect(keys.map((key) => key.alg)).toEqual(members.map((jwk) => jwk.alg));
        expect(keys.every((key) => key.alg === 'RSA1_5' || key.alg === 'ES256')).toBe(true);
      }
    },
  );
});
