/**
 * Differential test of the RSA-OAEP + AES-GCM decryption path (src/jwe/engines/) against
 * jose 6's `compactDecrypt`: on every Wycheproof and RFC 7520 cookbook compact JWE it handles, and
 * on seeded fast-check cases (valid tokens, and bit flips in every segment, truncated IV or tag,
 * a changed `enc`, another key), both must accept the same tokens with the same plaintext.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt, type JWK } from 'jose';
import { decryptRSAOAEP as decryptFast } from '../../src/jwe/engines/rsa-oaep';
import { isFastJWE } from '../../src/jwe/engines/select';
import { importDecryptionKeys } from '../../src/keys/decryption-keys';
import { splitCompact } from '../../src/compact/compact';
import { DEFAULT_MAX_TOKEN_LENGTH } from '../../src/config/verifier-options';
import {
  jwkMembers,
  loadFixture,
  loadWycheproof,
  wycheproofRows,
  type WycheproofEncryptionTest,
} from '../helpers/vectors';

const SEED = 20261125;

type Verdict = { ok: true; plaintext: string } | { ok: false };

async function joseVerdict(token: string, key: KeyObject): Promise<Verdict> {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    const { plaintext } = await compactDecrypt(token, key, {
      keyManagementAlgorithms: [header.alg],
      contentEncryptionAlgorithms: [header.enc],
    });
    return { ok: true, plaintext: Buffer.from(plaintext).toString('hex') };
  } catch {
    return { ok: false };
  }
}

async function fastVerdict(token: string, key: KeyObject): Promise<Verdict> {
  const { segments } = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
  const header = JSON.parse(Buffer.from(segments[0] as string, 'base64url').toString());
  const plaintext = await decryptFast(header.alg, header.enc, segments, key);
  return plaintext === undefined
    ? { ok: false }
    : { ok: true, plaintext: Buffer.from(plaintext).toString('hex') };
}

/** Whether the token reaches the fast path: a compact JWE whose alg/enc it handles. */
function reachesFastPath(token: string): boolean {
  try {
    const compact = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
    if (compact.kind !== 'JWE') return false;
    const header = JSON.parse(Buffer.from(compact.segments[0] as string, 'base64url').toString());
    return isFastJWE(String(header.alg), header.enc);
  } catch {
    return false;
  }
}

describe('RSA-OAEP + AES-GCM on node:crypto agrees with jose', () => {
  test('on every Wycheproof and cookbook JWE the fast path handles', async () => {
    const file = loadWycheproof<WycheproofEncryptionTest>('json_web_encryption_test.json');
    const cases: { label: string; token: string; key: KeyObject }[] = [];
    for (const row of wycheproofRows(file)) {
      if (typeof row.jwe !== 'string' || !reachesFastPath(row.jwe)) continue;
      for (const imported of importDecryptionKeys(row.group.private)) {
        if (imported.key.asymmetricKeyType === 'rsa') {
          cases.push({ label: `tcId ${row.tcId}`, token: row.jwe, key: imported.key });
        }
      }
    }
    const cookbook = loadFixture<{ input: { key: JWK }; output: { compact: string } }>(
      'cookbook/jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json',
    );
    const [cookbookKey] = importDecryptionKeys(jwkMembers(cookbook.input.key)[0] as JWK);
    cases.push({ label: 'RFC 7520 §5.2', token: cookbook.output.compact, key: cookbookKey!.key });

    const verdicts = await Promise.all(
      cases.map(async (c) => ({
        label: c.label,
        jose: await joseVerdict(c.token, c.key),
        fast: await fastVerdict(c.token, c.key),
      })),
    );
    expect(verdicts.filter((v) => JSON.stringify(v.jose) !== JSON.stringify(v.fast))).toEqual([]);
    expect(verdicts.length).toBeGreaterThanOrEqual(8);
    expect(verdicts.filter((v) => v.jose.ok).length).toBeGreaterThanOrEqual(5);
  });
});

type Mutation =
  | { kind: 'none' }
  | { kind: 'flip'; segment: 1 | 2 | 3 | 4; at: number; bit: number }
  | { kind: 'truncate'; segment: 2 | 4; by: number }
  | { kind: 'enc'; enc: 'A128GCM' | 'A192GCM' | 'A256GCM' }
  | { kind: 'other-key' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('flip' as const),
    segment: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    at: fc.nat(),
    bit: fc.nat(7),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    segment: fc.constantFrom(2 as const, 4 as const),
    by: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant('enc' as const),
    enc: fc.constantFrom('A128GCM' as const, 'A192GCM' as const, 'A256GCM' as const),
  }),
  fc.constant({ kind: 'other-key' as const }),
);

describe('RSA-OAEP + AES-GCM on node:crypto agrees with jose on fuzz cases', () => {
  const ours = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('seeded: valid tokens and every segment tampered with', async () => {
    const seen = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'),
        fc.constantFrom('A128GCM', 'A192GCM', 'A256GCM'),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        mutation,
        async (alg, enc, plaintext, m) => {
          const recipient = m.kind === 'other-key' ? other.publicKey : ours.publicKey;
          const token = await new CompactEncrypt(plaintext)
            .setProtectedHeader({ alg, enc, cty: 'JWT' })
            .encrypt(recipient);
          const parts = token.split('.');
          if (m.kind === 'flip') {
            const bytes = Buffer.from(parts[m.segment] as string, 'base64url');
            bytes[m.at % bytes.length]! ^= 1 << m.bit;
            parts[m.segment] = bytes.toString('base64url');
          } else if (m.kind === 'truncate') {
            const bytes = Buffer.from(parts[m.segment] as string, 'base64url');
            parts[m.segment] = bytes.subarray(0, bytes.length - m.by).toString('base64url');
          } else if (m.kind === 'enc') {
            // The header is the AAD; a different `enc` also asks for another CEK length.
            parts[0] = Buffer.from(JSON.stringify({ alg, enc: m.enc, cty: 'JWT' })).toString(
              'base64url',
            );
          }
          const mutated = parts.join('.');
          if (!reachesFastPath(mutated)) return;
          const jose = await joseVerdict(mutated, ours.privateKey);
          const fast = await fastVerdict(mutated, ours.privateKey);
          expect({ mutation: m.kind, fast }).toEqual({ mutation: m.kind, fast: jose });
          if (jose.ok) seen.accepted++;
          else seen.rejected++;
        },
      ),
      { seed: SEED, numRuns: 250, interruptAfterTimeLimit: 8000 },
    );
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.rejected).toBeGreaterThan(50);
  }, 30_000);
});
