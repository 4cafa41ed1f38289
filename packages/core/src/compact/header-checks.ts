/**
 * Header rules shared by the JWS and JWE layers (docs/architecture.md SD-8 and SD-10).
 */
import { InvalidTokenError, type TokenwardErrorCode } from '../errors/errors';

// RFC 8725 §3.10 and RFC 8725bis: keys named by the token itself prove nothing; `kid` is the
// only key hint we honour, and only as a lookup key.
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Rejects headers that carry or point at keys, and `crit` extensions (none is supported). */
export function checkCommonHeader(header: Record<string, unknown>, layer: 'JWS' | 'JWE'): void {
  for (const name of KEY_CARRYING_HEADERS) {
    if (header[name] !== undefined) {
      throw new InvalidTokenError(
        'ERR_HEADER_KEY_NOT_ALLOWED',
        `the ${layer} header carries a key or key URL (${name}); keys come only from the verifier's configuration`,
      );
    }
  }
  // RFC 7515 §4.1.11: a recipient must reject a token whose `crit` names an extension it does
  // not understand. We understand none (in particular not RFC 7797 `b64`).
  if (header.crit !== undefined) {
    const code: TokenwardErrorCode =
      layer === 'JWS' ? 'ERR_JWS_CRIT_UNSUPPORTED' : 'ERR_JWE_CRIT_UNSUPPORTED';
    throw new InvalidTokenError(
      code,
      `the ${layer} header lists critical extensions (crit), which tokenward does not support`,
    );
  }
  if (header.b64 !== undefined) {
    throw new InvalidTokenError(
      'ERR_JWS_CRIT_UNSUPPORTED',
      'unencoded payloads (b64) are not supported',
    );
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${layer} kid header must be a string`);
  }
}

/** Reads the `alg` header as a string or fails with a malformed-token error. */
export function readAlg(header: Record<string, unknown>, layer: 'JWS' | 'JWE'): string {
  const alg = header.alg;
  if (typeof alg !== 'string') {
    throw new InvalidTokenError('ERR_TOKEN_MALFORMED', `the ${layer} header has no alg`);
  }
  return alg;
}
