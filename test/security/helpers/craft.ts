/**
 * Attack crafting for the security corpus, the fuzz properties and the limits benchmark. Every
 * token here is made with node:crypto alone — never with tokenward's `createIssuer`, the testing
 * kit's minting, or jose (the library tokenward verifies with) — so the attacker is an
 * independent implementation of JWS (RFC 7515) and JWE (RFC 7516, RSA-OAEP-256 and ECDH-ES with
 * the Concat KDF of RFC 7518 §4.6), and nothing on the issuing side can mask a flaw on the
 * verifying side. Builders take header and payload *text* where the interesting attacks
 * (duplicate members, `crit`, RSA1_5, PBES2, `zip`) are exactly what a well-behaved library
 * refuses to emit.
 */
import {
  constants,
  createCipheriv,
  createHash,
  createHmac,
  diffieHellman,
  generateKeyPair as generateKeyPairCallback,
  generateKeyPairSync,
  KeyObject,
  publicEncrypt,
  randomBytes,
  sign as cryptoSign,
  type JsonWebKey,
} from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';

const generateKeyPairAsync = promisify(generateKeyPairCallback);
const generateKeyPairSyncEC = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });

/** The frozen clock the corpus verifies against: 2025-01-15T12:00:00Z. */
export const NOW = new Date('2025-01-15T12:00:00Z');
/** {@link NOW} as a NumericDate. */
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const ISSUER = 'https://issuer.example.com';
export const AUDIENCE = 'https://api.example.com';
/** The verifier's clock tolerance in the corpus (the default, stated so cases can straddle it). */
export const TOLERANCE = 30;

/** An asymmetric key pair as KeyObjects and JWKs, with a chosen `kid`. */
export interface KeyPair {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JsonWebKey;
  readonly privateJwk: JsonWebKey;
}

/** Generates an RSA 2048 or EC key pair with node:crypto, exported as JWKs with `kid`. */
export async function keyPair(
  type: 'rsa' | 'P-256' | 'P-384',
  kid: string,
  options: { use?: 'sig' | 'enc'; jwkAlg?: string } = {},
): Promise<KeyPair> {
  const { privateKey, publicKey } =
    type === 'rsa'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: type });
  const extra = {
    kid,
    ...(options.use && { use: options.use }),
    ...(options.jwkAlg && { alg: options.jwkAlg }),
  };
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...extra },
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...extra },
  };
}

/** Every key the corpus and the fuzz tests use. */
export interface Keys {
  /** The issuer's RS256 key (kid `rsa-1`). */
  readonly issuerRsa: KeyPair;
  /** A second issuer RS256 key (kid `rsa-2`), so a token without `kid` has several candidates. */
  readonly issuerRsa2: KeyPair;
  /** The issuer's ES256 key (kid `ec-1`). */
  readonly issuerEc: KeyPair;
  /** The attacker's RSA key. */
  readonly attackerRsa: KeyPair;
  /** The attacker's P-256 key. */
  readonly attackerEc: KeyPair;
  /** The API's RSA-OAEP-256 decryption key pair (kid `enc-rsa`). */
  readonly apiRsa: KeyPair;
  /** The API's ECDH-ES P-256 decryption key pair (kid `enc-ec`). */
  readonly apiEc: KeyPair;
  /** A P-384 key, for an `epk` on a curve the API has no key for. */
  readonly otherP384: KeyPair;
}

/** Generates all {@link Keys} (about a quarter of a second: four RSA keys). */
export async function generateKeys(): Promise<Keys> {
  const [issuerRsa, issuerRsa2, issuerEc, attackerRsa, attackerEc, apiRsa, apiEc, otherP384] =
    await Promise.all([
      keyPair('rsa', 'rsa-1', { use: 'sig' }),
      keyPair('rsa', 'rsa-2', { use: 'sig' }),
      keyPair('P-256', 'ec-1', { use: 'sig' }),
      keyPair('rsa', 'attacker-rsa'),
      keyPair('P-256', 'attacker-ec'),
      keyPair('rsa', 'enc-rsa', { use: 'enc', jwkAlg: 'RSA-OAEP-256' }),
      keyPair('P-256', 'enc-ec', { use: 'enc', jwkAlg: 'ECDH-ES' }),
      keyPair('P-384', 'other-p384'),
    ]);
  return { issuerRsa, issuerRsa2, issuerEc, attackerRsa, attackerEc, apiRsa, apiEc, otherP384 };
}

/** Base64url of a UTF-8 string or bytes, no padding. */
export const b64u = (input: string | Uint8Array): string =>
  (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString(
    'base64url',
  );

/**
 * Claims of a valid RFC 9068 access token at {@link NOW}, with `overrides` applied (an override
 * of `undefined` removes the claim).
 */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'user-123',
    aud: AUDIENCE,
    client_id: 'client-abc',
    iat: NOW_S - 60,
    exp: NOW_S + 600,
    jti: 'jti-1',
    scope: 'messages:read',
    ...overrides,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  return merged;
}

const dropUndefined = (header: Record<string, unknown>) => {
  for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name];
  return header;
};

/**
 * Signs a JWS. Header defaults: `{ alg, kid, typ: 'at+jwt' }` with alg RS256 for RSA, ES256 for
 * P-256 and HS256 for secret bytes; members set to `undefined` are removed. `payload` is an
 * object (JSON-serialised) or raw text.
 */
export function signJWS(
  payload: Record<string, unknown> | string,
  key: KeyPair | Uint8Array,
  header: Record<string, unknown> = {},
): string {
  const isSecret = key instanceof Uint8Array;
  const alg = isSecret ? 'HS256' : key.privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const merged = dropUndefined({
    alg,
    ...(!isSecret && { kid: key.kid }),
    typ: 'at+jwt',
    ...header,
  });
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signer = isSecret
    ? ({ alg: 'HS256', key } as const)
    : ({ alg: alg as 'RS256' | 'ES256', key: key.privateKey } as const);
  return rawJWS(JSON.stringify(merged), text, signer);
}

/**
 * A compact JWS from header and payload *text*, signed with node:crypto: RS256/PS256/RS512 with a
 * private RSA key, ES256 (IEEE P1363 `r||s`, or `der` as the lenient parsers accept), HS256 with
 * secret bytes, or `none` (the signature given, default empty).
 */
export function rawJWS(
  headerText: string,
  payloadText: string,
  signer:
    | { alg: 'RS256' | 'RS512' | 'PS256'; key: KeyObject }
    | { alg: 'ES256'; key: KeyObject; der?: boolean }
    | { alg: 'HS256'; key: Uint8Array }
    | { alg: 'none'; signature?: string },
): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  const data = Buffer.from(input, 'ascii');
  let signature: string;
  switch (signer.alg) {
    case 'RS256':
    case 'RS512':
      signature = cryptoSign(`sha${signer.alg.slice(2)}`, data, signer.key).toString('base64url');
      break;
    case 'PS256':
      signature = cryptoSign('sha256', data, {
        key: signer.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }).toString('base64url');
      break;
    case 'ES256':
      signature = cryptoSign('sha256', data, {
        key: signer.key,
        dsaEncoding: signer.der ? 'der' : 'ieee-p1363',
      }).toString('base64url');
      break;
    case 'HS256':
      signature = createHmac('sha256', signer.key).update(input).digest('base64url');
      break;
    case 'none':
      signature = signer.signature ?? '';
      break;
  }
  return `${input}.${signature}`;
}

// RFC 7518 §4.6.2: Concat KDF (NIST SP 800-56A) with SHA-256, for ECDH-ES direct agreement.
function concatKDF(sharedSecret: Buffer, enc: string, keyBits: number): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const algorithmID = Buffer.from(enc, 'ascii');
  const otherInfo = Buffer.concat([
    u32(algorithmID.length),
    algorithmID,
    u32(0), // PartyUInfo (apu) empty
    u32(0), // PartyVInfo (apv) empty
    u32(keyBits),
  ]);
  const rounds = Math.ceil(keyBits / 256);
  const out = Buffer.concat(
    Array.from({ length: rounds }, (_, i) =>
      createHash('sha256')
        .update(u32(i + 1))
        .update(sharedSecret)
        .update(otherInfo)
        .digest(),
    ),
  );
  return out.subarray(0, keyBits / 8);
}

/** AES-GCM content encryption (RFC 7516 §5.1) of `plaintext` under a protected header text. */
function assembleJWE(
  headerText: string,
  encryptedKey: string,
  cek: Uint8Array,
  plaintext: string | Uint8Array,
): string {
  const protectedHeader = b64u(headerText);
  const iv = randomBytes(12);
  const cipher = createCipheriv(`aes-${cek.length * 8}-gcm` as 'aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const body = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
  return [
    protectedHeader,
    encryptedKey,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

const GCM_KEY_BITS: Record<string, number> = { A128GCM: 128, A192GCM: 192, A256GCM: 256 };

/**
 * Encrypts `plaintext` to a recipient's public key: RSA-OAEP-256 for RSA, ECDH-ES (direct key
 * agreement, a fresh ephemeral key in `epk`) for EC. Header defaults
 * `{ alg, enc: 'A256GCM', cty: 'JWT', kid }`; members set to `undefined` are removed. Only the
 * AES-GCM `enc` values are implemented.
 */
export function encryptJWE(
  plaintext: string | Uint8Array,
  key: KeyPair,
  header: Record<string, unknown> = {},
): string {
  const isEC = key.publicKey.asymmetricKeyType === 'ec';
  const merged = dropUndefined({
    alg: isEC ? 'ECDH-ES' : 'RSA-OAEP-256',
    enc: 'A256GCM',
    cty: 'JWT',
    kid: key.kid,
    ...header,
  });
  const keyBits = GCM_KEY_BITS[merged.enc as string];
  if (keyBits === undefined) throw new TypeError(`encryptJWE: enc ${String(merged.enc)}`);
  if (isEC) {
    const curve = key.publicKey.asymmetricKeyDetails?.namedCurve as string;
    const ephemeral = generateKeyPairSyncEC(curve);
    const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
    merged.epk = { kty, crv, x, y };
    const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: key.publicKey });
    return assembleJWE(
      JSON.stringify(merged),
      '',
      concatKDF(shared, merged.enc as string, keyBits),
      plaintext,
    );
  }
  const cek = randomBytes(keyBits / 8);
  const encryptedKey = publicEncrypt(
    { key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    cek,
  ).toString('base64url');
  return assembleJWE(JSON.stringify(merged), encryptedKey, cek, plaintext);
}

/**
 * A compact JWE from protected header *text* with A256GCM content encryption done by node:crypto:
 * the content key is wrapped with RSA-OAEP-256 or RSA1_5 for `key`, or given directly (`dir`, or
 * any `alg` the test wants to lie about, with `encryptedKey` as the second segment). The result
 * is cryptographically well-formed, so a rejection proves a check fired, not a crypto failure.
 */
export function rawJWE(
  headerText: string,
  plaintext: string | Uint8Array,
  keyManagement:
    | { wrap: 'RSA-OAEP-256' | 'RSA1_5'; key: KeyObject }
    | { cek: Uint8Array; encryptedKey?: string },
): string {
  let cek: Buffer;
  let encryptedKey: string;
  if ('wrap' in keyManagement) {
    cek = randomBytes(32);
    const padding =
      keyManagement.wrap === 'RSA1_5'
        ? constants.RSA_PKCS1_PADDING
        : constants.RSA_PKCS1_OAEP_PADDING;
    encryptedKey = publicEncrypt(
      { key: keyManagement.key, padding, oaepHash: 'sha256' },
      cek,
    ).toString('base64url');
  } else {
    cek = Buffer.from(keyManagement.cek);
    encryptedKey = keyManagement.encryptedKey ?? '';
  }
  return assembleJWE(headerText, encryptedKey, cek, plaintext);
}

/** Raw DEFLATE (RFC 1951), as JWE `zip: "DEF"` uses. */
export const deflate = (data: Uint8Array): Buffer => deflateRawSync(data, { level: 9 });

/** Replaces segment `index` of a compact token. */
export function withSegment(token: string, index: number, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return parts.join('.');
}

/** Segment `index` of a compact token. */
export const segment = (token: string, index: number): string => token.split('.')[index] ?? '';

/** Flips one bit of a base64url segment's decoded bytes and re-encodes it canonically. */
export function flipBit(segmentText: string, byte = 0, bit = 0): string {
  const bytes = Buffer.from(segmentText, 'base64url');
  const at = byte % bytes.length;
  bytes.writeUInt8((bytes.readUInt8(at) ^ (1 << bit)) & 0xff, at);
  return bytes.toString('base64url');
}

/** A point that is not on P-256: a real public key's `y` with its lowest bit flipped. */
export function offCurveP256(publicJwk: JsonWebKey): { x: string; y: string } {
  const y = Buffer.from(publicJwk.y as string, 'base64url');
  y.writeUInt8(y.readUInt8(y.length - 1) ^ 1, y.length - 1);
  return { x: publicJwk.x as string, y: y.toString('base64url') };
}
