/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): a short-lived
 * JWT signed with the resource server's private key, in place of a shared secret. Signed here on
 * node:crypto with the parameters RFC 7518 §3 fixes for each algorithm.
 */
import { constants, randomUUID, sign, type KeyObject } from 'node:crypto';
import { keyFitsJWSAlgorithm } from '../lib/algorithms';

/** The signature algorithms a client assertion may use. */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
/** One of {@link CLIENT_ASSERTION_ALGORITHMS}. */
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

/** Seconds a client assertion is valid: enough for one request, useless to a thief after it. */
const LIFETIME_SECONDS = 60;

const DIGESTS: Readonly<Record<ClientAssertionAlgorithm, string | null>> = {
  RS256: 'sha256',
  PS256: 'sha256',
  ES256: 'sha256',
  ES384: 'sha384',
  EdDSA: null,
};

/** Whether `key` can sign client assertions with `alg` (a private key of the right type). */
export function fitsClientAssertion(key: KeyObject, alg: ClientAssertionAlgorithm): boolean {
  if (key.type !== 'private') return false;
  // keyFitsJWSAlgorithm reads the key type and curve, which a private key has as its public one.
  return keyFitsJWSAlgorithm(key, alg);
}

/**
 * A fresh client assertion: `iss` and `sub` the client id, `aud` the endpoint it is sent to, a
 * new `jti`, `iat` now and `exp` a minute later, `typ: JWT` with the key's `kid` when it has one.
 *
 * @example
 * ```ts
 * form.set('client_assertion', clientAssertion({ id: 'api', key, alg: 'ES256' }, endpoint.href))
 * ```
 */
export function clientAssertion(
  client: {
    readonly id: string;
    readonly key: KeyObject;
    readonly alg: ClientAssertionAlgorithm;
    readonly kid?: string;
  },
  audience: string,
  nowMs = Date.now(),
): string {
  const now = Math.floor(nowMs / 1000);
  const header = {
    alg: client.alg,
    typ: 'JWT',
    ...(client.kid !== undefined && { kid: client.kid }),
  };
  const claims = {
    iss: client.id,
    sub: client.id,
    aud: audience,
    jti: randomUUID(),
    iat: now,
    exp: now + LIFETIME_SECONDS,
  };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const key =
    client.alg === 'PS256'
      ? { key: client.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : client.alg.startsWith('ES')
        ? { key: client.key, dsaEncoding: 'ieee-p1363' as const }
        : client.key;
  const signature = sign(DIGESTS[client.alg], Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}
