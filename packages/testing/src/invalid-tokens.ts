/**
 * Hostile and bad tokens: each is wrong in exactly one way, so a verifier that accepts it has
 * exactly one bug. Most are made with core's issuer and then spoiled; the ones core's issuer
 * refuses to make (unsigned, `alg: none`) are assembled here.
 */
import { randomUUID } from 'node:crypto';
import { base64url } from 'jose';
import type { IssueClaims } from '@tokenward/core';
import { WRONG_AUDIENCE, WRONG_ISSUER } from './defaults';
import type { Minter } from './mint';
import type { InvalidTokenOptions } from './options';
import type { SigningKeys } from './signing-keys';

/**
 * Kinds of bad tokens `TestIssuer.issueInvalid` mints, each wrong in exactly one way:
 *
 * - `expired`: `exp` one hour before `currentDate` (beyond any allowed clock tolerance);
 * - `not-yet-valid`: `nbf` one hour after `currentDate`;
 * - `wrong-audience`: `aud` is {@link WRONG_AUDIENCE};
 * - `wrong-issuer`: `iss` is {@link WRONG_ISSUER} (signed with the real key);
 * - `tampered-signature`: one signature byte flipped;
 * - `id-token`: an OpenID Connect ID token (`typ: "JWT"`, `nonce`, `auth_time`), not an access token;
 * - `unsigned-jwe`: a JWE to the resource server whose plaintext is bare claims, no signature;
 * - `unknown-key`: signed by a key the verifier does not have (another `kid`; for HS* another secret);
 * - `alg-none`: an Unsecured JWS (RFC 7518 §3.6: `alg: "none"`, empty signature) with good claims.
 */
export type InvalidTokenKind =
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'tampered-signature'
  | 'id-token'
  | 'unsigned-jwe'
  | 'unknown-key'
  | 'alg-none';

/** Every {@link InvalidTokenKind}, for table-driven tests. */
export const INVALID_TOKEN_KINDS: readonly InvalidTokenKind[] = [
  'expired',
  'not-yet-valid',
  'wrong-audience',
  'wrong-issuer',
  'tampered-signature',
  'id-token',
  'unsigned-jwe',
  'unknown-key',
  'alg-none',
];

/** What the bad-token minter needs from the issuer. */
export interface InvalidTokenContext {
  readonly minter: Minter;
  readonly signing: SigningKeys;
  readonly audience: string;
  readonly expiresIn: number;
}

const HOUR_MS = 3600 * 1000;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const json = (value: unknown) => base64url.encode(JSON.stringify(value));

function flipSignatureByte(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const bytes = base64url.decode(signature);
  // Flip a bit in the middle: re-encoding keeps the segment canonical, so the token fails on its
  // signature and not on its shape.
  const index = bytes.length >> 1;
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return `${header}.${payload}.${base64url.encode(bytes)}`;
}

/** The claims core's issuer would sign, for the tokens assembled without it. */
function fullClaims(
  context: InvalidTokenContext,
  claims: IssueClaims,
  options: InvalidTokenOptions,
  now: Date,
): Record<string, unknown> {
  const iat = seconds(now);
  // The same order as core's issuer: its defaults first, then everything the caller sets.
  const { scope, ...rest } = context.minter.claimsFor(claims);
  return {
    aud: context.audience,
    iat,
    exp: iat + (options.expiresIn ?? context.expiresIn),
    jti: randomUUID(),
    ...rest,
    ...(scope !== undefined && { scope: typeof scope === 'string' ? scope : scope.join(' ') }),
  };
}

/**
 * Mints a bad token of `kind`, signed only (the caller nests it when asked).
 *
 * @param context The issuer's minter, signing keys, audience and default lifetime.
 * @param kind Which way the token is wrong.
 * @param claims Claims merged over the issuer's defaults, as for a good token.
 * @param options Lifetime, `currentDate` (the bad times are relative to it) and `type`.
 * @example `await mintInvalid(context, 'expired', {}, { currentDate: new Date() })`
 */
export async function mintInvalid(
  context: InvalidTokenContext,
  kind: InvalidTokenKind,
  claims: IssueClaims,
  options: InvalidTokenOptions,
): Promise<string> {
  const { minter } = context;
  const now = options.currentDate ?? new Date();
  switch (kind) {
    case 'expired':
      // Issued two hours ago for one hour: expired an hour ago, far past any clock tolerance.
      return minter.issueSigned(claims, {
        ...options,
        currentDate: new Date(now.getTime() - 2 * HOUR_MS),
        expiresIn: 3600,
      });
    case 'not-yet-valid':
      return minter.issueSigned(
        { ...claims, nbf: seconds(new Date(now.getTime() + HOUR_MS)) },
        { ...options, currentDate: now, expiresIn: 2 * 3600 },
      );
    case 'wrong-audience':
      return minter.issueSigned({ ...claims, aud: WRONG_AUDIENCE }, options);
    case 'wrong-issuer':
      return minter.issueSigned({ ...claims, iss: WRONG_ISSUER }, options);
    case 'tampered-signature':
      return flipSignatureByte(await minter.issueSigned(claims, options));
    case 'id-token':
      // OpenID Connect Core §2: an ID token is a JWT with typ "JWT" (or none), a nonce and
      // auth_time. Everything else matches an access token, so the type check alone must reject it.
      return minter.issueSigned(
        { nonce: 'n-0S6_WzA2Mj', auth_time: seconds(now), ...claims },
        { ...options, type: 'JWT' },
      );
    case 'unsigned-jwe':
      // No cty: the plaintext is the claims themselves. Anyone with the public key could make it.
      return minter
        .requireEncryption('issueInvalid')
        .encrypt(JSON.stringify(fullClaims(context, claims, options, now)), undefined);
    case 'unknown-key': {
      const stranger = await context.signing.stranger();
      return stranger.issue(minter.claimsFor(claims), { ...options, encrypt: false });
    }
    case 'alg-none': {
      // RFC 7518 §3.6: an Unsecured JWS has alg "none" and an empty signature; RFC 8725 §3.1
      // says a verifier must never accept it for an access token.
      const header = { alg: 'none', typ: options.type ?? 'at+jwt' };
      return `${json(header)}.${json(fullClaims(context, claims, options, now))}.`;
    }
  }
  // Unreachable: the caller checked `kind` against INVALID_TOKEN_KINDS; TypeScript checks the
  // switch is exhaustive.
}
