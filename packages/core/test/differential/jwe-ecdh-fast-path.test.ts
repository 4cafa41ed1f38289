/**
 * Differential test of the ECDH-ES(+A*KW) + AES-GCM decryption path (src/jwe/engines/:
 * `fastDecryptorFor`, the dispatch decrypt-jwe.ts uses: `ephemeralKey` then `decryptECDHFast`) against jose 6's `compactDecrypt`: on every Wycheproof
 * and RFC 7520 / RFC 8037 cookbook compact JWE it handles, and on seeded fast-check cases (valid
 * tokens on every curve, bit flips in every segment, a tampered or off-curve `epk`, another
 * recipient, a key on another curve), both must accept the same tokens with the same plaintext.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt, type JWK } from 'jose';
import { ephemeralKey, isECDH } from '../../src/jwe/engines/ecdh-es';
import { deriveSharedSecret } from '../../src/jwe/engines/crypto-worker';
import { fastDecryptorFor } from '../../src/jwe/engines/select';
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

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
}

async function joseVerdict(token: string, key: KeyObject): Promise<Verdict> {
  try {
    const header = headerOf(token);
    const { plaintext } = await compactDecrypt(token, key, {
      keyManagementAlgorithms: [header.alg as string],
      contentEncryptionAlgorithms: [header.enc as string],
    });
    return { ok: true, plaintext: Buffer.from(plaintext).toString('hex') };
  } catch {
    return { ok: false };
  }
}

async function fastVerdict(token: string, key: KeyObject): Promise<Verdict> {
  const { segments } = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
  const header = headerOf(token);
  const decrypt = fastDecryptorFor(String(header.alg), header.enc, header, segments);
  if (decrypt === undefined) throw new Error('not a fast-path token');
  const plaintext = await decrypt(key);
  return plaintext === undefined
    ? { ok: false }
    : { ok: true, plaintext: Buffer.from(plaintext).toString('hex') };
}

/** Whether the token reaches the ECDH fast path (otherwise decrypt-jwe.ts hands it to jose). */
function reachesFastPath(token: string): boolean {
  try {
    const compact = splitCompact(token, DEFAULT_MAX_TOKEN_LENGTH);
    if (compact.kind !== 'JWE') return false;
    const header = headerOf(token);
    const alg = String(header.alg);
    return isECDH(alg) && fastDecryptorFor(alg, header.enc, header, compact.segments) !== undefined;
  } catch {
    return false;
  }
}

describe('ECDH-ES + AES-GCM on node:crypto agrees with jose', () => {
  test('on every Wycheproof and cookbook JWE the fast path handles', async () => {
    const file = loadWycheproof<WycheproofEncryptionTest>('json_web_encryption_test.json');
    const cases: { label: string; token: string; key: KeyObject }[] = [];
    for (const row of wycheproofRows(file)) {
      if (typeof row.jwe !== 'string' || !reachesFastPath(row.jwe)) continue;
      for (const imported of importDecryptionKeys(row.group.private)) {
        if (imported.key.type === 'private' && imported.key.asymmetricKeyType !== 'rsa') {
          cases.push({ label: `tcId ${row.tcId}`, token: row.jwe, key: imported.key });
        }
      }
    }
    for (const [label, path] of [
      [
        'RFC 7520 §5.4',
        'cookbook/jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json',
      ],
      ['RFC 8037 X25519 ECDH-ES', 'cookbook/curve25519/ecdh-es.json'],
    ] as const) {
      const vector = loadFixture<{ input: { key: JWK }; output: { compact: string } }>(path);
      expect(reachesFastPath(vector.output.compact)).toBe(true);
      const [imported] = importDecryptionKeys(jwkMembers(vector.input.key)[0] as JWK);
      cases.push({ label, token: vector.output.compact, key: imported!.key });
    }

    const verdicts = await Promise.all(
      cases.map(async (c) => ({
        label: c.label,
        jose: await joseVerdict(c.token, c.key),
        fast: await fastVerdict(c.token, c.key),
      })),
    );
    expect(verdicts.filter((v) => JSON.stringify(v.jose) !== JSON.stringify(v.fast))).toEqual([]);
    expect(verdicts.length).toBeGreaterThanOrEqual(15);
    expect(verdicts.filter((v) => v.jose.ok).length).toBeGreaterThanOrEqual(10);
    expect(verdicts.filter((v) => !v.jose.ok).length).toBeGreaterThanOrEqual(3);
    // Both cookbook tokens decrypt (RFC 7520 §5.4's plaintext is the Frodo quote).
    expect(verdicts.filter((v) => v.label.startsWith('RFC') && v.fast.ok)).toHaveLength(2);
  });
});

type Curve = 'P-256' | 'P-384' | 'P-521' | 'X25519';

type Mutation =
  | { kind: 'none' }
  | { kind: 'flip'; segment: 0 | 1 | 2 | 3 | 4; at: number; bit: number }
  | { kind: 'epk-flip'; at: number; bit: number }
  | { kind: 'off-curve' }
  | { kind: 'encrypted-key' }
  | { kind: 'other-recipient' }
  | { kind: 'other-curve' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constant('flip' as const),
    segment: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const),
    at: fc.nat(),
    bit: fc.nat(7),
  }),
  fc.record({ kind: fc.constant('epk-flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.constant({ kind: 'off-curve' as const }),
  fc.constant({ kind: 'encrypted-key' as const }),
  fc.constant({ kind: 'other-recipient' as const }),
  fc.constant({ kind: 'other-curve' as const }),
);

function keyPair(crv: Curve) {
  return crv === 'X25519'
    ? generateKeyPairSync('x25519')
    : generateKeyPairSync('ec', { namedCurve: crv });
}

/** Re-encodes the protected header after `change` (the header is the AAD: GCM must then fail). */
function withHeader(parts: string[], change: (header: Record<string, unknown>) => void): void {
  const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString());
  change(header);
  parts[0] = Buffer.from(JSON.stringify(header)).toString('base64url');
}

describe('ECDH-ES + AES-GCM on node:crypto agrees with jose on fuzz cases', () => {
  const curves: Curve[] = ['P-256', 'P-384', 'P-521', 'X25519'];
  const ours = Object.fromEntries(curves.map((c) => [c, keyPair(c)])) as Record<
    Curve,
    ReturnType<typeof keyPair>
  >;
  const others = Object.fromEntries(curves.map((c) => [c, keyPair(c)])) as Record<
    Curve,
    ReturnType<typeof keyPair>
  >;

  test('seeded: valid tokens, every segment tampered with, bad epk, wrong key or curve', async () => {
    const seen = { accepted: 0, rejected: 0, kinds: new Set<string>() };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'),
        fc.constantFrom('A128GCM', 'A192GCM', 'A256GCM'),
        fc.constantFrom(...curves),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        mutation,
        async (alg, enc, crv, plaintext, m) => {
          // `other-curve`: the token is made for a key on another curve than the one decrypting.
          const encryptCurve: Curve =
            m.kind === 'other-curve' ? (curves[(curves.indexOf(crv) + 1) % 4] as Curve) : crv;
          const recipient =
            m.kind === 'other-recipient'
              ? others[encryptCurve].publicKey
              : ours[encryptCurve].publicKey;
          const token = await new CompactEncrypt(plaintext)
            .setProtectedHeader({ alg, enc, cty: 'JWT' })
            .encrypt(recipient);
          const parts = token.split('.');
          if (m.kind === 'flip') {
            const bytes = Buffer.from(parts[m.segment] as string, 'base64url');
            if (bytes.length === 0) return; // direct ECDH-ES: no encrypted key to flip
            bytes[m.at % bytes.length]! ^= 1 << m.bit;
            parts[m.segment] = bytes.toString('base64url');
          } else if (m.kind === 'epk-flip') {
            withHeader(parts, (header) => {
              const epk = header.epk as Record<string, string>;
              const x = Buffer.from(epk.x as string, 'base64url');
              x[m.at % x.length]! ^= 1 << m.bit;
              epk.x = x.toString('base64url');
            });
          } else if (m.kind === 'off-curve') {
            withHeader(parts, (header) => {
              const epk = header.epk as Record<string, string>;
              // EC: y + 1 is (all but certainly) not on the curve. X25519 has no y: every x is a
              // point of the curve or its twist, so flip the low bit of x instead.
              const member = epk.y === undefined ? 'x' : 'y';
              const v = Buffer.from(epk[member] as string, 'base64url');
              v[v.length - 1]! ^= 1;
              epk[member] = v.toString('base64url');
            });
          } else if (m.kind === 'encrypted-key') {
            // RFC 7518 §4.6: direct agreement has an empty encrypted key, key wrap a non-empty one.
            parts[1] = alg === 'ECDH-ES' ? Buffer.alloc(40, 7).toString('base64url') : '';
          }
          const mutated = parts.join('.');
          if (!reachesFastPath(mutated)) return;
          const key = ours[crv].privateKey;
          const jose = await joseVerdict(mutated, key);
          const fast = await fastVerdict(mutated, key);
          expect({ mutation: m.kind, crv, alg, fast }).toEqual({
            mutation: m.kind,
            crv,
            alg,
            fast: jose,
          });
          seen.kinds.add(m.kind);
          if (jose.ok) seen.accepted++;
          else seen.rejected++;
        },
      ),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 15_000 },
    );
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.rejected).toBeGreaterThan(50);
    expect([...seen.kinds].sort()).toEqual(
      [
        'encrypted-key',
        'epk-flip',
        'flip',
        'none',
        'off-curve',
        'other-curve',
        'other-recipient',
      ].sort(),
    );
  }, 60_000);

  test('an epk with a private member, apu/apv or an unknown curve is left to jose', () => {
    const epk = ours['P-256'].publicKey.export({ format: 'jwk' });
    const base = { alg: 'ECDH-ES', enc: 'A256GCM' };
    expect(ephemeralKey({ ...base, epk })).toEqual(expect.objectContaining({ crv: 'P-256' }));
    expect(ephemeralKey({ ...base, epk: { ...epk, d: epk.x } })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk: { ...epk, kid: 'x' } })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk, apu: 'QWxpY2U' })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk, apv: 'Qm9i' })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk: { ...epk, crv: 'P-192' } })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk: { ...epk, x: `${epk.x}A` } })).toBeUndefined();
    expect(ephemeralKey({ ...base, epk: [epk] })).toBeUndefined();
  });

  test('an off-curve epk is refused on import (in the worker), before any agreement', async () => {
    const epk = ours['P-256'].publicKey.export({ format: 'jwk' });
    const y = Buffer.from(epk.y as string, 'base64url');
    y[31]! ^= 1;
    const offCurve = { ...epk, y: y.toString('base64url') };
    const read = ephemeralKey({ alg: 'ECDH-ES', enc: 'A256GCM', epk: offCurve });
    expect(read).toEqual({ crv: 'P-256', jwk: offCurve });
    await expect(deriveSharedSecret(ours['P-256'].privateKey, offCurve)).resolves.toBeUndefined();
    await expect(
      deriveSharedSecret(
        ours['P-256'].privateKey,
        ours['P-256'].publicKey.export({ format: 'jwk' }),
      ),
    ).resolves.toHaveLength(32);
  });
});
