/**
 * `createVerifier` options that accept the test issuer's tokens with local keys, merged with the
 * caller's overrides. The key-source names are checked against core's `SignatureKeyOptions` type
 * at compile time, so a key source core adds cannot be silently kept beside the caller's.
 */
import type { JSONWebKeySet, SignatureKeyOptions, VerifierOptions } from '@tokenward/core';

// Every key source of SignatureKeyOptions (all its members but `algorithms`): the compiler
// rejects this object when core gains or loses one.
const KEY_SOURCES = {
  keys: true,
  secret: true,
  jwksUri: true,
  discovery: true,
  getKey: true,
} as const satisfies Record<Exclude<keyof SignatureKeyOptions, 'algorithms'>, true>;
const KEY_SOURCE_OPTIONS = Object.keys(KEY_SOURCES);

/** The issuer's side of the options: what a verifier needs to accept its tokens. */
export interface LocalTrust {
  readonly issuer: string;
  readonly audience: string;
  /** The HMAC secret for HS* issuers (replaces `keys`). */
  readonly secret: Uint8Array | undefined;
  readonly jwks: JSONWebKeySet;
  readonly decryptionKeys: JSONWebKeySet | undefined;
}

/**
 * Builds verifier options: `issuer`, `audience`, `keys` (or `secret`) and `decryptionKeys`, then
 * `overrides` over them. Naming another key source (`keys`, `secret`, `jwksUri`, `discovery`,
 * `getKey`) drops the local one; `issuers` replaces both `issuer` and the key source.
 *
 * @param trust The issuer's identifier, audience and keys.
 * @param overrides Any `createVerifier` options; they win.
 * @example `buildVerifierOptions(trust, { encryption: 'required' })`
 */
export function buildVerifierOptions(
  trust: LocalTrust,
  overrides: Partial<VerifierOptions> & Record<string, unknown> = {},
): VerifierOptions {
  const ownIssuer = !('issuers' in overrides);
  const ownKeySource = ownIssuer && !KEY_SOURCE_OPTIONS.some((name) => name in overrides);
  const base: VerifierOptions = {
    ...(ownIssuer && { issuer: trust.issuer }),
    audience: trust.audience,
    ...(ownKeySource &&
      (trust.secret !== undefined ? { secret: trust.secret } : { keys: trust.jwks })),
    // A fresh set each call: a caller editing its options cannot change the next caller's.
    ...(trust.decryptionKeys && { decryptionKeys: { keys: [...trust.decryptionKeys.keys] } }),
  };
  return { ...base, ...overrides } as VerifierOptions;
}
