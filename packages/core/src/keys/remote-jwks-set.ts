/**
 * Reading a fetched JWK Set (RFC 7517 §5) into the signature keys a remote source may use: the key
 * hygiene rules of docs/architecture.md SD-25, applied member by member.
 */
// resolution-mode lets the CommonJS .d.ts name ESM-only jose's types under module node16 and TS < 5.8.
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import { ASYMMETRIC_JWS_ALGORITHMS } from '../lib/algorithms';
import { hasPrivateMembers, importPublicKey, type ImportedKey } from './key-input';
import { log, type TokenwardLogger } from './remote-options';

/** A JWK Set with more members than this is refused as a whole (no IdP publishes that many). */
export const MAX_REMOTE_JWKS_KEYS = 100;

/** The asymmetric JWS algorithms: the only ones a remote (public) key may verify. */
export const ASYMMETRIC = new Set<string>(ASYMMETRIC_JWS_ALGORITHMS);

function ignore(
  logger: TokenwardLogger | undefined,
  url: URL,
  kid: unknown,
  reason: string,
): undefined {
  log(logger, 'warn', 'tokenward: ignored a key of a remote JWK Set', {
    jwksUri: url.href,
    kid: typeof kid === 'string' ? kid : null,
    reason,
  });
  return undefined;
}

/** Imports one member of a remote set, or undefined (with a log line when it is suspicious). */
function importMember(
  value: unknown,
  url: URL,
  logger: TokenwardLogger | undefined,
): ImportedKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ignore(logger, url, undefined, 'not a JSON object');
  }
  const jwk = value as JWK;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') {
    return ignore(logger, url, undefined, 'kid is not a string');
  }
  // A published private or symmetric key is a leak at the issuer (whatever its `use`), and a
  // symmetric key from a URL would let anyone who can read that URL mint tokens: never use one,
  // and say so (RFC 8725 §3.2).
  if (jwk.kty === 'oct' || hasPrivateMembers(jwk)) {
    return ignore(logger, url, jwk.kid, 'it carries private or symmetric key material');
  }
  // Encryption keys are routinely published beside signature keys (RFC 7517 §4.2, §4.3): skip
  // them quietly.
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
    return undefined;
  if (jwk.alg !== undefined && !ASYMMETRIC.has(jwk.alg)) return undefined;
  try {
    // importPublicKey enforces RSA >= 2048 bits and a sane exponent.
    return importPublicKey(jwk, 'remote JWK');
  } catch (error) {
    return ignore(logger, url, jwk.kid, (error as Error).message);
  }
}

/**
 * Imports the usable signature keys of a fetched JWK Set (RFC 7517 §5). Members that are not
 * signature verification keys are skipped; members with private or symmetric material, RSA keys
 * under 2048 bits and keys node:crypto cannot import are ignored and logged.
 *
 * @param body The fetched document.
 * @param url Where it came from (for messages and logs).
 * @param logger Receives one line per suspicious member ignored.
 * @throws Error when the document is not a JWK Set, is too large, or has no usable key.
 */
export function importRemoteJWKSet(
  body: Record<string, unknown>,
  url: URL,
  logger?: TokenwardLogger,
): ImportedKey[] {
  const members = body.keys;
  if (!Array.isArray(members)) throw new Error(`${url.href} did not answer a JWK Set`);
  if (members.length > MAX_REMOTE_JWKS_KEYS) {
    throw new Error(`${url.href} answered more than ${MAX_REMOTE_JWKS_KEYS} keys`);
  }
  const keys: ImportedKey[] = [];
  for (const member of members) {
    const key = importMember(member, url, logger);
    if (key) keys.push(key);
  }
  // An empty set is treated as a failure, so the last good set keeps serving (stale-if-error)
  // instead of every token failing at once.
  if (keys.length === 0) throw new Error(`${url.href} answered a JWK Set with no usable key`);
  return keys;
}
