/**
 * The attack corpus: malicious or malformed requests, each declared once as data — how to build
 * it, and the exact status, RFC 6750 `error` attribute and tokenward error `code` it must get —
 * and sent by attack-corpus.test.ts through both the Express adapter and the Nest guard.
 *
 * Every token is crafted with jose or node:crypto (helpers/craft.ts), never with tokenward's own
 * issuer. The verifier under attack is {@link corpusVerifierOptions}: RS256/ES256 issuer keys
 * (two RSA keys, so a token without `kid` has several candidates), RSA-OAEP-256 and ECDH-ES
 * decryption keys, encryption optional, every other option at its default.
 */
import { randomBytes } from 'node:crypto';
import type { BearerErrorAttribute, TokenwardErrorCode, VerifierOptions } from '@tokenward/core';
import {
  AUDIENCE,
  b64u,
  claims,
  deflate,
  encryptJWE,
  flipBit,
  ISSUER,
  NOW_S,
  offCurveP256,
  rawJWE,
  rawJWS,
  segment,
  signJWS,
  TOLERANCE,
  withSegment,
  type Keys,
} from './helpers/craft';

/** What a case sends. */
export interface AttackRequest {
  /** Default `/api/me`. */
  readonly path?: '/api/me' | '/api/admin' | '/q/me';
  /** Request headers in order; a name given twice is sent as two header lines. */
  readonly headers?: readonly (readonly [string, string])[];
  /** Query parameters (a list is sent as repeated parameters). */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
}

/** What a case has at hand to build its request. */
export interface CorpusContext {
  readonly keys: Keys;
  /** Base URL of the attacker's JWKS server on 127.0.0.1 (it must never be contacted). */
  readonly attackerUrl: string;
}

/** The groups of the issue's checklist. */
export type CorpusGroup =
  'algorithms and keys' | 'signatures and encoding' | 'claims' | 'encryption' | 'transport';

/** One corpus case. */
export interface CorpusCase {
  readonly group: CorpusGroup;
  readonly name: string;
  readonly build: (ctx: CorpusContext) => AttackRequest | Promise<AttackRequest>;
  readonly status: 400 | 401 | 403;
  /** The RFC 6750 `error` attribute; undefined for the bare challenge of a request without token. */
  readonly error: BearerErrorAttribute | undefined;
  readonly code: TokenwardErrorCode;
  /** The `scope` attribute a 403 must carry. */
  readonly scope?: string;
}

/** A request that must be accepted (200): controls showing the apps accept what they should. */
export interface ControlCase {
  readonly name: string;
  readonly build: (ctx: CorpusContext) => AttackRequest | Promise<AttackRequest>;
}

/** The options of the verifier under attack (its clock is frozen at NOW by the test apps). */
export function corpusVerifierOptions(keys: Keys): VerifierOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: [keys.issuerRsa.publicJwk, keys.issuerRsa2.publicJwk, keys.issuerEc.publicJwk] },
    algorithms: ['RS256', 'ES256'],
    decryptionKeys: { keys: [keys.apiRsa.privateJwk, keys.apiEc.privateJwk] },
    encryption: 'optional',
    clockTolerance: TOLERANCE,
  };
}

// ---- request and token shorthands ---------------------------------------------------------

const bearer = (token: string, path: AttackRequest['path'] = '/api/me'): AttackRequest => ({
  path,
  headers: [['Authorization', `Bearer ${token}`]],
});
const viaQuery = (token: string): AttackRequest => ({
  path: '/q/me',
  query: { access_token: token },
});

/** A valid RS256 access token, optionally with other claims or header members. */
const good = (
  ctx: CorpusContext,
  c: Record<string, unknown> = {},
  h: Record<string, unknown> = {},
) => signJWS(claims(c), ctx.keys.issuerRsa, h);
/** A valid token encrypted to the API's RSA key. */
const nested = (ctx: CorpusContext, jws?: string, h: Record<string, unknown> = {}) =>
  encryptJWE(jws ?? good(ctx), ctx.keys.apiRsa, h);
const claimsText = (c: Record<string, unknown> = {}) => JSON.stringify(claims(c));
/** A signed token whose claims are given as raw JSON text (for duplicates, 1e400, …). */
const goodRaw = (ctx: CorpusContext, payloadText: string, headerText?: string) =>
  rawJWS(headerText ?? '{"alg":"RS256","kid":"rsa-1","typ":"at+jwt"}', payloadText, {
    alg: 'RS256',
    key: ctx.keys.issuerRsa.privateKey,
  });
const publicPem = (ctx: CorpusContext) =>
  ctx.keys.issuerRsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const random = (bytes: number) => randomBytes(bytes).toString('base64url');
/** Header + three random JWE body segments (for checks that must fire before decryption). */
const jweWithHeader = (header: Record<string, unknown>, encryptedKey = random(256)) =>
  [b64u(JSON.stringify(header)), encryptedKey, random(12), random(64), random(16)].join('.');

const invalidToken = (code: TokenwardErrorCode) =>
  ({ status: 401, error: 'invalid_token', code }) as const;
const invalidRequest = (code: TokenwardErrorCode) =>
  ({ status: 400, error: 'invalid_request', code }) as const;

// The 32 MiB zip bomb is built once: deflating 32 MiB takes a moment.
let zipBomb: Buffer | undefined;
/** 32 MiB of one byte, raw-deflated (about 32 KiB). */
export function zipBombPlaintext(): Buffer {
  zipBomb ??= deflate(Buffer.alloc(32 * 1024 * 1024, 0x41));
  return zipBomb;
}

// ---- the corpus ---------------------------------------------------------------------------

const algorithmsAndKeys: CorpusCase[] = [
  ...['none', 'None', 'NONE', 'nOnE', 'none '].map((alg): CorpusCase => ({
    group: 'algorithms and keys',
    name: `alg ${JSON.stringify(alg)} with a dummy signature`,
    build: (ctx) =>
      bearer(
        rawJWS(JSON.stringify({ alg, kid: ctx.keys.issuerRsa.kid, typ: 'at+jwt' }), claimsText(), {
          alg: 'none',
          signature: 'AAAA',
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  })),
  {
    group: 'algorithms and keys',
    name: 'alg "none" with the empty signature RFC 7519 §6.1 prescribes',
    build: () => bearer(rawJWS('{"alg":"none","typ":"at+jwt"}', claimsText(), { alg: 'none' })),
    // An empty third segment is not a compact JWS at all for the shape check (default 1).
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'algorithms and keys',
    name: 'no alg header at all',
    build: (ctx) =>
      bearer(
        rawJWS('{"kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'RS256',
          key: ctx.keys.issuerRsa.privateKey,
        }),
      ),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'algorithms and keys',
    name: 'HS256 keyed with the issuer public key as PEM text',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"HS256","kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'HS256',
          key: Buffer.from(publicPem(ctx)),
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'HS256 keyed with the issuer public key as DER (SPKI)',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"HS256","kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'HS256',
          key: ctx.keys.issuerRsa.publicKey.export({ type: 'spki', format: 'der' }),
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'HS256 keyed with the issuer public JWK as JSON text',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"HS256","kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'HS256',
          key: Buffer.from(JSON.stringify(ctx.keys.issuerRsa.publicJwk)),
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'a token signed by the attacker key embedded in its own jwk header',
    build: (ctx) =>
      bearer(
        signJWS(claims(), ctx.keys.attackerRsa, {
          kid: undefined,
          jwk: ctx.keys.attackerRsa.publicJwk,
        }),
      ),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'an embedded jwk that copies our kid',
    build: (ctx) =>
      bearer(
        signJWS(claims(), ctx.keys.attackerRsa, {
          kid: 'rsa-1',
          jwk: { ...ctx.keys.attackerRsa.publicJwk, kid: 'rsa-1' },
        }),
      ),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'jku pointing at the attacker JWKS server',
    build: (ctx) =>
      bearer(signJWS(claims(), ctx.keys.attackerRsa, { jku: `${ctx.attackerUrl}/jwks.json` })),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'x5u pointing at the attacker server',
    build: (ctx) =>
      bearer(signJWS(claims(), ctx.keys.attackerRsa, { x5u: `${ctx.attackerUrl}/cert.pem` })),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'x5c carrying an attacker certificate chain',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerRsa, { x5c: [random(600)] })),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'jku in the outer JWE header of a nested token',
    build: (ctx) => bearer(nested(ctx, undefined, { jku: `${ctx.attackerUrl}/jwks` })),
    ...invalidToken('ERR_HEADER_KEY_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'kid path traversal with HS256 over the empty contents of /dev/null',
    build: () =>
      bearer(
        rawJWS('{"alg":"HS256","kid":"../../../../../../dev/null","typ":"at+jwt"}', claimsText(), {
          alg: 'HS256',
          key: new Uint8Array(0),
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'kid path traversal with an attacker RS256 signature',
    build: (ctx) =>
      bearer(signJWS(claims(), ctx.keys.attackerRsa, { kid: '../../../../etc/passwd' })),
    ...invalidToken('ERR_JWS_KEY_NOT_FOUND'),
  },
  {
    group: 'algorithms and keys',
    name: 'SQL-like kid with HS256 over the injected "secret"',
    build: () =>
      bearer(
        rawJWS(
          JSON.stringify({ alg: 'HS256', kid: "x' UNION SELECT 'secret' --", typ: 'at+jwt' }),
          claimsText(),
          { alg: 'HS256', key: Buffer.from('secret') },
        ),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'SQL-like kid with an attacker RS256 signature',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerRsa, { kid: "rsa-1' OR '1'='1" })),
    ...invalidToken('ERR_JWS_KEY_NOT_FOUND'),
  },
  {
    group: 'algorithms and keys',
    name: 'an 8 KB kid',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerRsa, { kid: 'k'.repeat(8192) })),
    // The header is past the 4096-character protected-header cap: refused before it is decoded.
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'algorithms and keys',
    name: 'a kid that is not a string',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.issuerRsa, { kid: ['rsa-1'] })),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'algorithms and keys',
    name: 'no kid, attacker signature, several candidate keys',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerRsa, { kid: undefined })),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'algorithms and keys',
    name: 'a foreign RSA key reusing our kid',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerRsa, { kid: 'rsa-1' })),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'algorithms and keys',
    name: 'a foreign P-256 key reusing our EC kid',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerEc, { kid: 'ec-1' })),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'algorithms and keys',
    name: 'ES256 naming our RSA kid (algorithm bound to the key type)',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.attackerEc, { kid: 'rsa-1' })),
    ...invalidToken('ERR_JWS_KEY_NOT_FOUND'),
  },
  {
    group: 'algorithms and keys',
    name: 'unknown crit extension, validly signed',
    build: (ctx) =>
      bearer(
        goodRaw(
          ctx,
          claimsText(),
          '{"alg":"RS256","kid":"rsa-1","typ":"at+jwt","crit":["urn:example:ext"],"urn:example:ext":true}',
        ),
      ),
    ...invalidToken('ERR_JWS_CRIT_UNSUPPORTED'),
  },
  {
    group: 'algorithms and keys',
    name: 'b64:false with crit ["b64"] (RFC 7797), validly signed',
    build: (ctx) =>
      bearer(
        rawJWS(
          '{"alg":"RS256","kid":"rsa-1","typ":"at+jwt","b64":false,"crit":["b64"]}',
          claimsText(),
          {
            alg: 'RS256',
            key: ctx.keys.issuerRsa.privateKey,
          },
        ),
      ),
    ...invalidToken('ERR_JWS_CRIT_UNSUPPORTED'),
  },
  {
    group: 'algorithms and keys',
    name: 'b64:false without crit, validly signed',
    build: (ctx) =>
      bearer(
        goodRaw(ctx, claimsText(), '{"alg":"RS256","kid":"rsa-1","typ":"at+jwt","b64":false}'),
      ),
    ...invalidToken('ERR_JWS_CRIT_UNSUPPORTED'),
  },
  {
    group: 'algorithms and keys',
    name: 'PS256 correctly signed by the issuer key, outside the allowlist',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"PS256","kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'PS256',
          key: ctx.keys.issuerRsa.privateKey,
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'algorithms and keys',
    name: 'RS512 correctly signed by the issuer key, outside the allowlist',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"RS512","kid":"rsa-1","typ":"at+jwt"}', claimsText(), {
          alg: 'RS512',
          key: ctx.keys.issuerRsa.privateKey,
        }),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
];

const signaturesAndEncoding: CorpusCase[] = [
  {
    group: 'signatures and encoding',
    name: 'one signature bit flipped',
    build: (ctx) => {
      const token = good(ctx);
      return bearer(withSegment(token, 2, flipBit(segment(token, 2), 100, 3)));
    },
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'signatures and encoding',
    name: 'signature truncated by three bytes',
    build: (ctx) => {
      const token = good(ctx);
      const sig = Buffer.from(segment(token, 2), 'base64url').subarray(0, 253);
      return bearer(withSegment(token, 2, sig.toString('base64url')));
    },
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'signatures and encoding',
    name: 'all-zero RSA signature',
    build: (ctx) => bearer(withSegment(good(ctx), 2, Buffer.alloc(256).toString('base64url'))),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'signatures and encoding',
    name: 'all-zero ECDSA signature (r = s = 0)',
    build: (ctx) => {
      const token = signJWS(claims(), ctx.keys.issuerEc);
      return bearer(withSegment(token, 2, Buffer.alloc(64).toString('base64url')));
    },
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'signatures and encoding',
    name: 'a valid ECDSA signature in DER instead of r||s (RFC 7518 §3.4)',
    build: (ctx) =>
      bearer(
        rawJWS('{"alg":"ES256","kid":"ec-1","typ":"at+jwt"}', claimsText(), {
          alg: 'ES256',
          key: ctx.keys.issuerEc.privateKey,
          der: true,
        }),
      ),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'signatures and encoding',
    name: 'a space inside a segment (header)',
    build: (ctx) => {
      const token = good(ctx);
      return bearer(`${token.slice(0, 10)} ${token.slice(10)}`);
    },
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'a space inside a segment (query)',
    build: (ctx) => {
      const token = good(ctx);
      return viaQuery(`${token.slice(0, 10)} ${token.slice(10)}`);
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'a line feed inside a segment (query)',
    build: (ctx) => {
      const token = good(ctx);
      return viaQuery(`${token.slice(0, 10)}\n${token.slice(10)}`);
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: '"=" padding after the signature',
    build: (ctx) => bearer(`${good(ctx)}==`),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: '"=" inside the token, between segments',
    build: (ctx) => {
      const [h, p, s] = good(ctx).split('.');
      return bearer(`${h}=.${p}.${s}`);
    },
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'standard-base64 "+" and "/" in the signature',
    build: (ctx) => {
      const token = good(ctx);
      const sig = Buffer.from(segment(token, 2), 'base64url').toString('base64').replace(/=+$/, '');
      return bearer(withSegment(token, 2, sig.replace(/^./, '+').replace(/(.)$/, '/')));
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'a NUL byte inside the payload segment (query)',
    build: (ctx) => {
      const token = good(ctx);
      const p = segment(token, 1);
      return viaQuery(withSegment(token, 1, `${p.slice(0, 5)}\u0000${p.slice(5)}`));
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'a non-ASCII (Latin-1) character inside a segment (header)',
    build: (ctx) => {
      const token = good(ctx);
      return bearer(`${token.slice(0, 12)}\u00e9${token.slice(12)}`);
    },
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'non-ASCII look-alike characters inside a segment (query)',
    build: (ctx) => {
      const token = good(ctx);
      // U+0430 CYRILLIC SMALL LETTER A and a fullwidth digit: both look like base64url.
      return viaQuery(`${token.slice(0, 12)}\u0430\uff10${token.slice(12)}`);
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'non-zero trailing bits in the signature (non-canonical base64url)',
    build: (ctx) => {
      const token = good(ctx);
      // 256 bytes -> 342 chars; the last one carries 4 unused bits: 'A' -> 'B' sets one.
      const sig = segment(token, 2);
      const last = sig.at(-1) as string;
      const twin = String.fromCharCode(last.charCodeAt(0) + 1);
      return bearer(withSegment(token, 2, sig.slice(0, -1) + twin));
    },
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'two segments (signature missing)',
    build: (ctx) => bearer(good(ctx).split('.').slice(0, 2).join('.')),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'four segments (an extra one)',
    build: (ctx) => bearer(`${good(ctx)}.${random(16)}`),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'an empty payload segment',
    build: (ctx) => bearer(withSegment(good(ctx), 1, '')),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'signatures and encoding',
    name: 'a 1 MB token',
    build: (ctx) => bearer(`${good(ctx)}${'A'.repeat(1024 * 1024)}`),
    ...invalidToken('ERR_TOKEN_TOO_LONG'),
  },
  {
    group: 'signatures and encoding',
    name: 'duplicate alg in the JWS header (RS256, then none)',
    build: (ctx) =>
      bearer(
        goodRaw(ctx, claimsText(), '{"alg":"RS256","kid":"rsa-1","typ":"at+jwt","alg":"none"}'),
      ),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
  {
    group: 'signatures and encoding',
    name: 'duplicate sub in the claims',
    build: (ctx) => bearer(goodRaw(ctx, claimsText().replace(/}$/, ',"sub":"admin"}'))),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
  {
    group: 'signatures and encoding',
    name: 'escaped duplicate ("aud" and "\\u0061ud") in the claims',
    build: (ctx) => bearer(goodRaw(ctx, claimsText().replace(/}$/, ',"\\u0061ud":"other"}'))),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
  {
    group: 'signatures and encoding',
    name: 'duplicate member nested inside a claim object',
    build: (ctx) =>
      bearer(goodRaw(ctx, claimsText().replace(/}$/, ',"cnf":{"jkt":"a","jkt":"b"}}'))),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
  {
    group: 'signatures and encoding',
    name: 'duplicate enc in the JWE header',
    build: (ctx) =>
      bearer(
        rawJWE(
          '{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT","kid":"enc-rsa","enc":"A128GCM"}',
          good(ctx),
          { wrap: 'RSA-OAEP-256', key: ctx.keys.apiRsa.publicKey },
        ),
      ),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
  {
    group: 'signatures and encoding',
    name: 'duplicate iss in the claims of the JWS inside a JWE',
    build: (ctx) =>
      bearer(nested(ctx, goodRaw(ctx, claimsText().replace(/}$/, ',"iss":"https://evil.test"}')))),
    ...invalidToken('ERR_TOKEN_DUPLICATE_MEMBER'),
  },
];

const claimCases: CorpusCase[] = [
  {
    group: 'claims',
    name: 'an OpenID Connect ID token (typ JWT, nonce, aud = client)',
    build: (ctx) =>
      bearer(
        good(
          ctx,
          { aud: 'client-abc', nonce: 'n-0S6', auth_time: NOW_S - 120, scope: undefined },
          { typ: 'JWT' },
        ),
      ),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'an ID token without typ, audience set to the API',
    build: (ctx) =>
      bearer(good(ctx, { nonce: 'n-0S6', auth_time: NOW_S - 120 }, { typ: undefined })),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'a JWT refresh token (typ refresh+jwt)',
    build: (ctx) => bearer(good(ctx, { exp: NOW_S + 86400 * 30 }, { typ: 'refresh+jwt' })),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'an opaque refresh token',
    build: () => bearer(random(32)),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'claims',
    name: 'typ "at+jwt " with a trailing space',
    build: (ctx) => bearer(good(ctx, {}, { typ: 'at+jwt ' })),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'typ "jwt"',
    build: (ctx) => bearer(good(ctx, {}, { typ: 'jwt' })),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'typ "application/jwt+at" (reversed)',
    build: (ctx) => bearer(good(ctx, {}, { typ: 'application/jwt+at' })),
    ...invalidToken('ERR_TOKEN_TYPE_INVALID'),
  },
  {
    group: 'claims',
    name: 'typ as a number',
    build: (ctx) => bearer(good(ctx, {}, { typ: 9068 })),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'claims',
    name: 'iss with a trailing slash',
    build: (ctx) => bearer(good(ctx, { iss: `${ISSUER}/` })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'iss extending ours (issuer.example.com.evil.test)',
    build: (ctx) => bearer(good(ctx, { iss: `${ISSUER}.evil.test` })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'iss as a substring of ours',
    build: (ctx) => bearer(good(ctx, { iss: ISSUER.slice(0, -4) })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'iss upper-cased',
    build: (ctx) => bearer(good(ctx, { iss: ISSUER.toUpperCase() })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'iss as an array holding ours',
    build: (ctx) => bearer(good(ctx, { iss: [ISSUER] })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'iss missing',
    build: (ctx) => bearer(good(ctx, { iss: undefined })),
    ...invalidToken('ERR_ISSUER_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud with a trailing slash',
    build: (ctx) => bearer(good(ctx, { aud: `${AUDIENCE}/` })),
    ...invalidToken('ERR_AUDIENCE_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud extending ours',
    build: (ctx) => bearer(good(ctx, { aud: `${AUDIENCE}.evil.test` })),
    ...invalidToken('ERR_AUDIENCE_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud as a list of other audiences',
    build: (ctx) => bearer(good(ctx, { aud: ['https://other.example.com', 'api.example.com'] })),
    ...invalidToken('ERR_AUDIENCE_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud as a nested array holding ours',
    build: (ctx) => bearer(good(ctx, { aud: [[AUDIENCE]] })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud as an object',
    build: (ctx) => bearer(good(ctx, { aud: { [AUDIENCE]: true } })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud as an empty array',
    build: (ctx) => bearer(good(ctx, { aud: [] })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'aud missing',
    build: (ctx) => bearer(good(ctx, { aud: undefined })),
    ...invalidToken('ERR_CLAIM_MISSING'),
  },
  {
    group: 'claims',
    name: 'exp missing',
    build: (ctx) => bearer(good(ctx, { exp: undefined })),
    ...invalidToken('ERR_CLAIM_MISSING'),
  },
  {
    group: 'claims',
    name: 'exp exactly at the end of the tolerance',
    build: (ctx) => bearer(good(ctx, { exp: NOW_S - TOLERANCE })),
    ...invalidToken('ERR_TOKEN_EXPIRED'),
  },
  {
    group: 'claims',
    name: 'exp as a numeric string',
    build: (ctx) => bearer(good(ctx, { exp: String(NOW_S + 600) })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'exp as 1e400 (Infinity after JSON.parse)',
    build: (ctx) => bearer(goodRaw(ctx, claimsText({ exp: 0 }).replace('"exp":0', '"exp":1e400'))),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'nbf one second past the tolerance',
    build: (ctx) => bearer(good(ctx, { nbf: NOW_S + TOLERANCE + 1 })),
    ...invalidToken('ERR_TOKEN_NOT_YET_VALID'),
  },
  {
    group: 'claims',
    name: 'nbf as a boolean',
    build: (ctx) => bearer(good(ctx, { nbf: true })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
  {
    group: 'claims',
    name: 'iat one second past the tolerance',
    build: (ctx) => bearer(good(ctx, { iat: NOW_S + TOLERANCE + 1 })),
    ...invalidToken('ERR_TOKEN_ISSUED_IN_FUTURE'),
  },
  {
    group: 'claims',
    name: 'iat as a date string',
    build: (ctx) => bearer(good(ctx, { iat: '2025-01-15T11:59:00Z' })),
    ...invalidToken('ERR_CLAIM_INVALID'),
  },
];

const encryption: CorpusCase[] = [
  {
    group: 'encryption',
    name: 'unsigned claims encrypted with our public key (RSA-OAEP-256, cty JWT)',
    build: (ctx) => bearer(encryptJWE(claimsText(), ctx.keys.apiRsa)),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'unsigned claims encrypted with our public key (ECDH-ES, cty JWT)',
    build: (ctx) => bearer(encryptJWE(claimsText(), ctx.keys.apiEc)),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'unsigned claims without cty (RSA-OAEP-256)',
    build: (ctx) => bearer(encryptJWE(claimsText(), ctx.keys.apiRsa, { cty: undefined })),
    ...invalidToken('ERR_JWE_NOT_NESTED'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping an alg:none JWS (dummy signature)',
    build: (ctx) =>
      bearer(
        nested(
          ctx,
          rawJWS('{"alg":"none","typ":"at+jwt"}', claimsText(), { alg: 'none', signature: 'AAAA' }),
        ),
      ),
    ...invalidToken('ERR_JWS_ALG_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping an alg:none JWS (empty signature)',
    build: (ctx) =>
      bearer(nested(ctx, rawJWS('{"alg":"none","typ":"at+jwt"}', claimsText(), { alg: 'none' }))),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping an attacker-signed JWS with our kid',
    build: (ctx) => bearer(nested(ctx, signJWS(claims(), ctx.keys.attackerRsa, { kid: 'rsa-1' }))),
    ...invalidToken('ERR_JWS_SIGNATURE_INVALID'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping another JWE (which wraps a valid JWS)',
    build: (ctx) => bearer(nested(ctx, nested(ctx))),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping a bare JSON array, cty at+jwt',
    build: (ctx) => bearer(encryptJWE('[1,2,3]', ctx.keys.apiEc, { cty: 'at+jwt' })),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'a JWE wrapping bytes that are not UTF-8',
    build: (ctx) => bearer(encryptJWE(new Uint8Array([0xff, 0xfe, 0x2e, 0xc3]), ctx.keys.apiRsa)),
    ...invalidToken('ERR_JWE_INNER_NOT_JWS'),
  },
  {
    group: 'encryption',
    name: 'a valid JWS encrypted without cty',
    build: (ctx) => bearer(nested(ctx, undefined, { cty: undefined })),
    ...invalidToken('ERR_JWE_NOT_NESTED'),
  },
  {
    group: 'encryption',
    name: 'iss replicated in the JWE header differs from the inner one',
    build: (ctx) => bearer(nested(ctx, undefined, { iss: 'https://evil.test' })),
    ...invalidToken('ERR_JWE_HEADER_CLAIM_MISMATCH'),
  },
  {
    group: 'encryption',
    name: 'sub replicated in the JWE header differs from the inner one',
    build: (ctx) => bearer(nested(ctx, undefined, { sub: 'admin' })),
    ...invalidToken('ERR_JWE_HEADER_CLAIM_MISMATCH'),
  },
  {
    group: 'encryption',
    name: 'aud replicated in the JWE header as a list where the inner one is a string',
    build: (ctx) => bearer(nested(ctx, undefined, { aud: [AUDIENCE] })),
    ...invalidToken('ERR_JWE_HEADER_CLAIM_MISMATCH'),
  },
  {
    group: 'encryption',
    name: 'PBES2-HS256+A128KW with p2c 2^31-1',
    build: () =>
      bearer(
        jweWithHeader(
          {
            alg: 'PBES2-HS256+A128KW',
            enc: 'A256GCM',
            cty: 'JWT',
            p2s: random(16),
            p2c: 2 ** 31 - 1,
          },
          random(40),
        ),
      ),
    ...invalidToken('ERR_JWE_ALG_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'zip DEF (small, decryptable)',
    build: (ctx) =>
      bearer(
        rawJWE(
          '{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF","cty":"JWT","kid":"enc-rsa"}',
          deflate(Buffer.from(good(ctx))),
          { wrap: 'RSA-OAEP-256', key: ctx.keys.apiRsa.publicKey },
        ),
      ),
    ...invalidToken('ERR_JWE_ZIP_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'zip DEF bomb inflating to 32 MiB (decryptable)',
    build: (ctx) =>
      bearer(
        rawJWE(
          '{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF","cty":"JWT","kid":"enc-rsa"}',
          zipBombPlaintext(),
          { wrap: 'RSA-OAEP-256', key: ctx.keys.apiRsa.publicKey },
        ),
      ),
    // 32 MiB deflates to about 32 KiB: the length cap stops it before the header is even read.
    ...invalidToken('ERR_TOKEN_TOO_LONG'),
  },
  {
    group: 'encryption',
    name: 'ECDH-ES with an off-curve epk',
    build: (ctx) =>
      bearer(
        jweWithHeader(
          {
            alg: 'ECDH-ES',
            enc: 'A256GCM',
            cty: 'JWT',
            kid: 'enc-ec',
            epk: { kty: 'EC', crv: 'P-256', ...offCurveP256(ctx.keys.apiEc.publicJwk) },
          },
          '',
        ),
      ),
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'ECDH-ES with an epk on a curve we hold no key for (P-384)',
    build: (ctx) => bearer(encryptJWE(good(ctx), ctx.keys.otherP384, { kid: 'enc-ec' })),
    ...invalidToken('ERR_JWE_KEY_NOT_FOUND'),
  },
  {
    group: 'encryption',
    name: 'RSA1_5 key management (decryptable)',
    build: (ctx) =>
      bearer(
        rawJWE('{"alg":"RSA1_5","enc":"A256GCM","cty":"JWT","kid":"enc-rsa"}', good(ctx), {
          wrap: 'RSA1_5',
          key: ctx.keys.apiRsa.publicKey,
        }),
      ),
    ...invalidToken('ERR_JWE_ALG_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'GCM tag truncated to 8 bytes',
    build: (ctx) => {
      const token = nested(ctx);
      const tag = Buffer.from(segment(token, 4), 'base64url').subarray(0, 8);
      return bearer(withSegment(token, 4, tag.toString('base64url')));
    },
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'GCM tag truncated to 1 byte',
    build: (ctx) => {
      const token = nested(ctx);
      const tag = Buffer.from(segment(token, 4), 'base64url').subarray(0, 1);
      return bearer(withSegment(token, 4, tag.toString('base64url')));
    },
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'GCM tag empty',
    build: (ctx) => bearer(withSegment(nested(ctx), 4, '')),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'encryption',
    name: 'IV changed',
    build: (ctx) => {
      const token = nested(ctx);
      return bearer(withSegment(token, 2, flipBit(segment(token, 2), 5, 0)));
    },
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'ciphertext changed',
    build: (ctx) => {
      const token = nested(ctx);
      return bearer(withSegment(token, 3, flipBit(segment(token, 3), 40, 7)));
    },
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'encrypted key changed',
    build: (ctx) => {
      const token = nested(ctx);
      return bearer(withSegment(token, 1, flipBit(segment(token, 1), 17, 2)));
    },
    ...invalidToken('ERR_JWE_DECRYPTION_FAILED'),
  },
  {
    group: 'encryption',
    name: 'an oversized encrypted key (4 KiB)',
    build: () =>
      bearer(
        jweWithHeader(
          { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-rsa' },
          random(4096),
        ),
      ),
    ...invalidToken('ERR_TOKEN_MALFORMED'),
  },
  {
    group: 'encryption',
    name: 'dir on the outer layer (no shared key configured)',
    build: () => bearer(jweWithHeader({ alg: 'dir', enc: 'A256GCM', cty: 'JWT' }, '')),
    ...invalidToken('ERR_JWE_KEY_NOT_FOUND'),
  },
  {
    group: 'encryption',
    name: 'alg none on the outer layer',
    build: () => bearer(jweWithHeader({ alg: 'none', enc: 'A256GCM', cty: 'JWT' }, '')),
    ...invalidToken('ERR_JWE_ALG_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'an unknown enc',
    build: () =>
      bearer(jweWithHeader({ alg: 'RSA-OAEP-256', enc: 'A256CTR', cty: 'JWT', kid: 'enc-rsa' })),
    ...invalidToken('ERR_JWE_ENC_NOT_ALLOWED'),
  },
  {
    group: 'encryption',
    name: 'unknown crit in the JWE header',
    build: (ctx) =>
      bearer(
        rawJWE(
          '{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"JWT","kid":"enc-rsa","crit":["urn:x"],"urn:x":1}',
          good(ctx),
          { wrap: 'RSA-OAEP-256', key: ctx.keys.apiRsa.publicKey },
        ),
      ),
    ...invalidToken('ERR_JWE_CRIT_UNSUPPORTED'),
  },
  {
    group: 'encryption',
    name: 'a JWE kid naming no key of ours',
    build: (ctx) => bearer(nested(ctx, undefined, { kid: 'enc-unknown' })),
    ...invalidToken('ERR_JWE_KEY_NOT_FOUND'),
  },
];

const transport: CorpusCase[] = [
  {
    group: 'transport',
    name: 'no token at all',
    build: () => ({}),
    status: 401,
    error: undefined,
    code: 'ERR_TOKEN_MISSING',
  },
  {
    group: 'transport',
    name: 'another scheme (Basic) only',
    build: () => ({ headers: [['Authorization', `Basic ${b64u('alice:secret')}`]] }),
    status: 401,
    error: undefined,
    code: 'ERR_TOKEN_MISSING',
  },
  {
    group: 'transport',
    name: 'a token in the header and the query',
    build: (ctx) => {
      const token = good(ctx);
      return { ...bearer(token), query: { access_token: token } };
    },
    ...invalidRequest('ERR_REQUEST_MULTIPLE_TOKENS'),
  },
  {
    group: 'transport',
    name: 'a token in the header and the query, where the query is enabled',
    build: (ctx) => {
      const token = good(ctx);
      return { ...bearer(token, '/q/me'), query: { access_token: token } };
    },
    ...invalidRequest('ERR_REQUEST_MULTIPLE_TOKENS'),
  },
  {
    group: 'transport',
    name: 'two access_token query parameters',
    build: (ctx) => ({
      path: '/q/me',
      query: { access_token: [good(ctx), good(ctx, { sub: 'admin' })] },
    }),
    ...invalidRequest('ERR_REQUEST_MULTIPLE_TOKENS'),
  },
  {
    group: 'transport',
    name: 'a token in the query where only the header is enabled',
    build: (ctx) => ({ query: { access_token: good(ctx) } }),
    ...invalidRequest('ERR_REQUEST_TOKEN_LOCATION_DISABLED'),
  },
  {
    group: 'transport',
    name: 'empty "Bearer "',
    build: () => ({ headers: [['Authorization', 'Bearer ']] }),
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'transport',
    name: 'a tab instead of a space after "Bearer"',
    build: (ctx) => ({ headers: [['Authorization', `Bearer\t${good(ctx)}`]] }),
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'transport',
    name: 'two tokens after one Bearer',
    build: (ctx) => bearer(`${good(ctx)} ${good(ctx)}`),
    ...invalidRequest('ERR_REQUEST_MALFORMED'),
  },
  {
    group: 'transport',
    name: 'two Authorization headers, both valid bearer tokens',
    build: (ctx) => ({
      headers: [
        ['Authorization', `Bearer ${good(ctx)}`],
        ['Authorization', `Bearer ${good(ctx, { sub: 'admin' })}`],
      ],
    }),
    ...invalidRequest('ERR_REQUEST_MULTIPLE_TOKENS'),
  },
  {
    group: 'transport',
    name: 'two Authorization headers, Basic first and a valid bearer second',
    build: (ctx) => ({
      headers: [
        ['Authorization', `Basic ${b64u('alice:secret')}`],
        ['Authorization', `Bearer ${good(ctx)}`],
      ],
    }),
    ...invalidRequest('ERR_REQUEST_MULTIPLE_TOKENS'),
  },
  {
    group: 'transport',
    name: 'a valid token without the scope the route requires',
    build: (ctx) => bearer(good(ctx), '/api/admin'),
    status: 403,
    error: 'insufficient_scope',
    code: 'ERR_SCOPE_MISSING',
    scope: 'admin:write',
  },
  {
    group: 'transport',
    name: 'a valid nested token without the scope the route requires',
    build: (ctx) => bearer(nested(ctx, good(ctx, { scope: 'admin:read' })), '/api/admin'),
    status: 403,
    error: 'insufficient_scope',
    code: 'ERR_SCOPE_MISSING',
    scope: 'admin:write',
  },
];

/** Every malicious or malformed case. */
export const CORPUS: readonly CorpusCase[] = [
  ...algorithmsAndKeys,
  ...signaturesAndEncoding,
  ...claimCases,
  ...encryption,
  ...transport,
];

/** Requests that must be accepted: without them a corpus of rejections proves nothing. */
export const CONTROLS: readonly ControlCase[] = [
  { name: 'a valid RS256 token', build: (ctx) => bearer(good(ctx)) },
  {
    name: 'a valid ES256 token',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.issuerEc)),
  },
  {
    name: 'a valid token without kid, signed by the second of several candidate keys',
    build: (ctx) => bearer(signJWS(claims(), ctx.keys.issuerRsa2, { kid: undefined })),
  },
  { name: 'a valid nested token (RSA-OAEP-256)', build: (ctx) => bearer(nested(ctx)) },
  {
    name: 'a valid nested token (ECDH-ES)',
    build: (ctx) => bearer(encryptJWE(good(ctx), ctx.keys.apiEc)),
  },
  {
    name: 'a valid nested token with replicated claims equal to the inner ones',
    build: (ctx) => bearer(nested(ctx, undefined, { iss: ISSUER, aud: AUDIENCE, sub: 'user-123' })),
  },
  {
    name: 'a lower-case "bearer" scheme (RFC 7235 §2.1: case-insensitive)',
    build: (ctx) => ({ headers: [['Authorization', `bearer ${good(ctx)}`]] }),
  },
  {
    name: 'a token in the query where it is enabled',
    build: (ctx) => viaQuery(good(ctx)),
  },
  {
    name: 'typ "application/AT+JWT"',
    build: (ctx) => bearer(good(ctx, {}, { typ: 'application/AT+JWT' })),
  },
  {
    name: 'aud as a list holding ours',
    build: (ctx) => bearer(good(ctx, { aud: ['https://other.example.com', AUDIENCE] })),
  },
  {
    name: 'exp one second inside the tolerance',
    build: (ctx) => bearer(good(ctx, { exp: NOW_S - TOLERANCE + 1 })),
  },
  {
    name: 'nbf and iat exactly at the tolerance',
    build: (ctx) => bearer(good(ctx, { nbf: NOW_S + TOLERANCE, iat: NOW_S + TOLERANCE })),
  },
  {
    name: 'the required scope present',
    build: (ctx) => bearer(good(ctx, { scope: 'admin:write' }), '/api/admin'),
  },
];
