/**
 * What a decrypted JWE contains (RFC 7519 §11.2): the signed JWT of a nested token, or — only with
 * `allowUnsignedEncryptedTokens` and symmetric key management — a bare claims set.
 */
import { splitCompact } from '../compact/compact';
import { parseJSONObject } from '../compact/json';
import { InvalidTokenError } from '../errors/errors';
import { isSymmetricKeyManagement } from '../lib/algorithms';
import type { DecryptedJWE } from './decrypt-jwe';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The inside of a decrypted JWE. */
export type JWEContent =
  | { readonly kind: 'JWS'; readonly token: string; readonly segments: readonly string[] }
  | { readonly kind: 'claims'; readonly claims: Record<string, unknown> };

const notJWS = (cause?: unknown): InvalidTokenError =>
  new InvalidTokenError(
    'ERR_JWE_INNER_NOT_JWS',
    'the decrypted payload is not a signed JWT',
    cause === undefined ? undefined : { cause },
  );

/**
 * Opens the plaintext of a decrypted JWE: the inner compact JWS (checked like any token), or the
 * bare claims of an unsigned encrypted token.
 *
 * @param maxTokenLength The length cap applied to the inner token too.
 * @throws InvalidTokenError `ERR_JWE_INNER_NOT_JWS` or `ERR_JWE_NOT_NESTED`.
 * @example
 * ```ts
 * const content = openJWEContent(await decryptJWE(token, segments, context), 16384)
 * ```
 */
export function openJWEContent(outer: DecryptedJWE, maxTokenLength: number): JWEContent {
  if (!outer.nested) {
    // Reached only with allowUnsignedEncryptedTokens. With an asymmetric `alg` anyone holding
    // our public key could have made this token, so it proves nothing (docs/architecture.md SD-14 and SD-15).
    if (!isSymmetricKeyManagement(outer.header.alg as string)) {
      throw new InvalidTokenError(
        'ERR_JWE_NOT_NESTED',
        'an encrypted token with public-key encryption must contain a signed JWT (cty "JWT")',
      );
    }
    return { kind: 'claims', claims: parseJSONObject(outer.plaintext, 'JWT claims') };
  }
  let inner: string;
  let compact: ReturnType<typeof splitCompact>;
  try {
    inner = utf8.decode(outer.plaintext);
    compact = splitCompact(inner, maxTokenLength);
  } catch (cause) {
    throw notJWS(cause);
  }
  // A JWE inside a JWE would let anyone holding our public key wrap an unsigned payload twice.
  if (compact.kind !== 'JWS') {
    throw new InvalidTokenError(
      'ERR_JWE_INNER_NOT_JWS',
      'the decrypted payload is another JWE, not a signed JWT',
    );
  }
  return { kind: 'JWS', token: inner, segments: compact.segments };
}
