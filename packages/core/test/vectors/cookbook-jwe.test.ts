/**
 * RFC 7520 §5 (JWE) and the RFC 8037 X25519 cookbook example through tokenward's JWE layer:
 * `splitCompact` → `decryptJWE`, with the example's private key imported by
 * `importDecryptionKeys` and `keyManagementAlgorithms = [alg]`.
 *
 * Every example in a supported algorithm decrypts to the cookbook plaintext. §5.1 (RSA1_5),
 * §5.3 (PBES2) and §5.9 (`zip`) must be rejected (docs/architecture.md SD-11 and SD-12). §5.10–§5.13 have
 * no compact form (additional authenticated data, unprotected headers, several recipients) and
 * are skipped by design; the last `describe` asserts that they have none.
 */
import type { JWK } from 'jose';
import { importDecryptionKeys } from '../../src/keys/decryption-keys';
import {
  attempt,
  configureDecryption,
  decryptCompactJWE,
  describeOutcome,
  loadFixture,
  type DecryptionConfig,
} from '../helpers/vectors';

interface CookbookJWE {
  title: string;
  input: {
    plaintext: string;
    key?: JWK | JWK[];
    pwd?: string;
    alg: string | string[];
    enc: string;
    zip?: string;
  };
  encrypting_content: { protected?: Record<string, unknown> };
  output: { compact?: string; json: unknown; json_flat?: unknown };
}

const load = (path: string) => loadFixture<CookbookJWE>(`cookbook/${path}`);

function configFor(example: CookbookJWE): DecryptionConfig {
  const key = example.input.key as JWK;
  // A `dir` key's alg names its enc (§5.6: "A128GCM"); otherwise the example's alg.
  return configureDecryption(key, key.alg ?? (example.input.alg as string));
}

function decrypt(example: CookbookJWE, token: string, allowUnsigned = true) {
  return attempt(
    () => configFor(example),
    (config) => decryptCompactJWE(token, config, allowUnsigned),
  );
}

const SUPPORTED = [
  {
    section: 'RFC 7520 §5.2 RSA-OAEP + A256GCM',
    file: 'jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json',
  },
  {
    section: 'RFC 7520 §5.4 ECDH-ES+A128KW (P-384) + A128GCM',
    file: 'jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json',
  },
  {
    section: 'RFC 7520 §5.5 ECDH-ES (P-256) + A128CBC-HS256',
    file: 'jwe/5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json',
  },
  { section: 'RFC 7520 §5.6 dir + A128GCM', file: 'jwe/5_6.direct_encryption_using_aes-gcm.json' },
  {
    section: 'RFC 7520 §5.7 A256GCMKW + A128CBC-HS256',
    file: 'jwe/5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json',
  },
  {
    section: 'RFC 7520 §5.8 A128KW + A128GCM',
    file: 'jwe/5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json',
  },
  {
    section: 'RFC 8037 ECDH-ES (X25519) + A128GCM (curve25519/ecdh-es.json)',
    file: 'curve25519/ecdh-es.json',
  },
].map((row) => {
  const example = load(row.file);
  return { ...row, example, token: example.output.compact as string };
});

describe('RFC 7520 §5 compact JWE through decryptJWE', () => {
  test.each(SUPPORTED)('$section: decrypts to the cookbook plaintext', async (row) => {
    const outcome = await decrypt(row.example, row.token);
    expect(describeOutcome(outcome)).toBe('accepted');
    if (outcome.status === 'accepted') {
      expect(Buffer.from(outcome.value.plaintext).toString('utf8')).toBe(
        row.example.input.plaintext,
      );
      expect(outcome.value.header).toEqual(row.example.encrypting_content.protected);
      expect(outcome.value.nested).toBe(false);
    }
  });

  test.each(SUPPORTED)('$section: a changed tag → ERR_JWE_DECRYPTION_FAILED', async (row) => {
    const segments = row.token.split('.');
    const tag = segments[4] as string;
    segments[4] = `${tag[0] === 'A' ? 'B' : 'A'}${tag.slice(1)}`;
    const outcome = await decrypt(row.example, segments.join('.'));
    expect(describeOutcome(outcome)).toBe('rejected: ERR_JWE_DECRYPTION_FAILED');
  });

  test.each(SUPPORTED)(
    '$section: no cty "JWT", so refused unless unsigned content is allowed',
    async (row) => {
      const outcome = await decrypt(row.example, row.token, false);
      expect(describeOutcome(outcome)).toBe('rejected: ERR_JWE_NOT_NESTED');
    },
  );
});

describe('RFC 7520 §5 examples tokenward must reject', () => {
  it('§5.1 RSA1_5 → ERR_JWE_ALG_NOT_ALLOWED, even when listed in keyManagementAlgorithms', async () => {
    const example = load('jwe/5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json');
    expect(example.input.alg).toBe('RSA1_5');
    const outcome = await decrypt(example, example.output.compact as string);
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected') {
      expect(outcome.error.code).toBe('ERR_JWE_ALG_NOT_ALLOWED');
      expect(outcome.error.status).toBe(401);
      expect(outcome.error.headers['WWW-Authenticate']).toBe(
        'Bearer realm="api", error="invalid_token", error_description="the JWE key management algorithm is not allowed (option keyManagementAlgorithms)"',
      );
    }
  });

  it('§5.3 PBES2-HS512+A256KW → ERR_JWE_ALG_NOT_ALLOWED', async () => {
    const example = load('jwe/5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json');
    expect(example.input.alg).toBe('PBES2-HS512+A256KW');
    const outcome = await attempt(
      (): DecryptionConfig => ({
        decryptionKeys: importDecryptionKeys(Buffer.from(example.input.pwd as string, 'utf8')),
        keyManagementAlgorithms: new Set([example.input.alg as string]),
        contentEncryptionAlgorithms: new Set([example.input.enc]),
      }),
      (config) => decryptCompactJWE(example.output.compact as string, config),
    );
    expect(describeOutcome(outcome)).toBe('rejected: ERR_JWE_ALG_NOT_ALLOWED');
  });

  it('§5.9 zip "DEF" → ERR_JWE_ZIP_NOT_ALLOWED, though its A128KW + A128GCM are allowed', async () => {
    const example = load('jwe/5_9.compressed_content.json');
    expect(example.input.zip).toBe('DEF');
    const config = configFor(example);
    expect([...config.keyManagementAlgorithms]).toEqual(['A128KW']);
    expect(config.contentEncryptionAlgorithms.has('A128GCM')).toBe(true);
    const outcome = await decrypt(example, example.output.compact as string);
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected') {
      expect(outcome.error.code).toBe('ERR_JWE_ZIP_NOT_ALLOWED');
      expect(outcome.error.status).toBe(401);
      expect(outcome.error.headers['WWW-Authenticate']).toMatch(/error="invalid_token"/);
    }
  });
});

describe('RFC 7520 §5.10–§5.13: no compact form (skipped by design)', () => {
  it.each([
    [
      '§5.10 additional authenticated data',
      'aad',
      'jwe/5_10.including_additional_authentication_data.json',
    ],
    [
      '§5.11 protecting specific header fields',
      'unprotected',
      'jwe/5_11.protecting_specific_header_fields.json',
    ],
    ['§5.12 protecting content only', 'unprotected', 'jwe/5_12.protecting_content_only.json'],
    ['§5.13 multiple recipients', 'recipients', 'jwe/5_13.encrypting_to_multiple_recipients.json'],
  ])('%s has only JSON serializations (it needs "%s")', (_section, member, path) => {
    const example = load(path);
    expect(example.output.compact).toBeUndefined();
    expect(example.output.json).toHaveProperty(member);
  });
});
