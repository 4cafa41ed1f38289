/**
 * JWT introspection responses (RFC 9701): the answer is a JWT of type `token-introspection+jwt`
 * signed by the authorization server, optionally encrypted to the resource server, whose
 * `token_introspection` member is the RFC 7662 answer. It is read with the verifier's own stages:
 * the JWE stage (jwe/) with its `decryptionKeys` and allowlists, then the JWS stage (jws/) with
 * the configured issuer's key source and algorithms, so a JWT answer is held to exactly the key
 * and algorithm rules an access token of that issuer is. No cryptography is done here.
 *
 * Every failure is a {@link JWTResponseError} naming the URL and the failed check, never a claim
 * of the answer: the caller turns it into an IntrospectionUnavailableError (an answer that cannot
 * be trusted is no answer, and never an "active").
 */
import { splitCompact } from '../compact/compact';
import { normalizeMediaType } from '../compact/media-type';
import type { IssuerTrust } from '../config/issuer-trust';
import { decryptJWE, type JWEDecryptionContext } from '../jwe/decrypt-jwe';
import { openJWEContent, type JWEContent } from '../jwe/nested';
import { checkReplicatedClaims } from '../jwe/replicated-claims';
import { verifyJWS } from '../jws/verify-jws';
import type { FetchedBody } from '../lib/fetch-json';

/** The media type a JWT answer is asked for and must be sent as (RFC 9701 §4, §5). */
export const JWT_RESPONSE_MEDIA_TYPE = 'application/token-introspection+jwt';

// The JWT's `typ` (RFC 9701 §5): explicit typing (RFC 8725 §3.11) keeps an ID token, an access
// token or any other JWT the same keys sign from passing for an introspection answer.
const JWT_RESPONSE_TYPE = 'token-introspection+jwt';

/** Which rule a JWT answer broke. */
export type JWTResponseCheck =
  | 'content-type'
  | 'compact'
  | 'encryption-required'
  | 'decryption'
  | 'signature'
  | 'typ'
  | 'iss'
  | 'aud'
  | 'iat'
  | 'exp'
  | 'replicated-claims'
  | 'token_introspection';

/**
 * A JWT answer that is not trusted. Its message names the endpoint and the check, never a value
 * from the answer (claims, the introspected token's data) or the request (token, secret).
 */
export class JWTResponseError extends Error {
  /** The rule the answer broke. */
  readonly check: JWTResponseCheck;

  constructor(check: JWTResponseCheck, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'JWTResponseError';
    this.check = check;
  }
}

/** What the verifier lends to the reading of JWT answers: its issuer's keys, its own keys. */
export interface JWTResponseVerification {
  /**
   * The trust record of the one configured issuer: its identifier is the answers' `iss`, its key
   * source (static keys, `jwksUri` or discovery) and `algorithms` verify their signatures.
   */
  readonly trust: Pick<IssuerTrust, 'issuer' | 'source' | 'algorithms'>;
  /**
   * The verifier's `decryptionKeys`, JWE allowlists and crypto pool. `allowUnsigned` is not
   * taken: an encrypted answer must carry a signed JWT, whatever `allowUnsignedEncryptedTokens`
   * says of access tokens (anyone holding our public key could have encrypted it).
   */
  readonly decryption: Omit<JWEDecryptionContext, 'allowUnsigned'>;
  /** Seconds of clock skew allowed on `iat` and `exp` (option `clockTolerance`). */
  readonly clockTolerance: number;
}

/** What a JWT answer must say of this request: who asked, and how. */
export interface JWTResponseExpectations {
  /** Our client id: the `aud` the answer must have (RFC 9701 §5). */
  readonly clientId: string;
  /** Refuse an answer that is signed only. */
  readonly requireEncryption: boolean;
  /** Oldest accepted `iat`, in milliseconds before now (before `clockTolerance`). */
  readonly maxAgeMs: number;
  /** Largest answer in characters (the fetch's byte cap): the compact checks' length bound. */
  readonly maxLength: number;
}

// A media type (`type/subtype`) is repeated in the error, to tell `application/json` from a typo;
// anything else the server sent there is not.
const describeMediaType = (value: string | undefined): string =>
  value === undefined || value === ''
    ? 'no content type'
    : /^[a-z0-9][\w.+-]{0,40}\/[a-z0-9][\w.+-]{0,80}$/.test(value)
      ? value
      : 'an unprintable content type';

/** The media type of a Content-Type header, without parameters, lowercased. */
const mediaTypeOf = (header: string | undefined): string | undefined =>
  header?.split(';', 1)[0]?.trim().toLowerCase();

/**
 * Checks a JWT answer and returns its `token_introspection` member: the RFC 7662 answer, read
 * from then on exactly as a JSON answer is (only `active: true` is active).
 *
 * The checks, in order: the content type; a compact JWS or JWE; a JWE decrypted with our keys
 * (required with `requireEncryption`) and holding a signed JWT; the signature, by the issuer's
 * keys and algorithms, with `iss` that issuer exactly; `typ`; claims replicated in the JWE
 * header equal to those inside; `aud` our client id (or an array holding it); `iat` a NumericDate
 * no older than `maxAgeMs` and not in the future (both beyond `clockTolerance`); `exp`, when
 * present (RFC 9701 does not require it), not passed; `token_introspection` a JSON object.
 *
 * @param url The endpoint, for the error messages.
 * @param fetched The 200 answer as sent.
 * @param expected Our client id and the option's rules.
 * @param verification The issuer's keys and ours.
 * @param nowMs The time of receipt, in milliseconds since the epoch.
 * @throws JWTResponseError for the first check that fails.
 * @example
 * ```ts
 * const response = await readJWTResponse(endpoint, await fetchBody(endpoint, options), expected, verification)
 * readAnswer(response).active
 * ```
 */
export async function readJWTResponse(
  url: URL,
  fetched: FetchedBody,
  expected: JWTResponseExpectations,
  verification: JWTResponseVerification,
  nowMs = Date.now(),
): Promise<Record<string, unknown>> {
  const fail = (check: JWTResponseCheck, what: string, cause?: unknown) =>
    new JWTResponseError(check, `${url.href} ${what}`, cause);

  // A plain JSON answer is refused too: the option asked for a signed one, and taking an
  // unsigned answer instead would make the signature optional for whoever can alter the answer.
  if (mediaTypeOf(fetched.contentType) !== JWT_RESPONSE_MEDIA_TYPE) {
    throw fail(
      'content-type',
      `answered ${describeMediaType(mediaTypeOf(fetched.contentType))}, not ${JWT_RESPONSE_MEDIA_TYPE} (option introspection.responseFormat 'jwt')`,
    );
  }
  // latin1 maps each byte to one character: any byte outside the base64url alphabet stays one
  // and fails the compact checks below. Whitespace around the JWT is not part of it.
  const text = fetched.body.toString('latin1').replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  let compact: ReturnType<typeof splitCompact>;
  try {
    compact = splitCompact(text, expected.maxLength);
  } catch (cause) {
    throw fail('compact', 'answered a body that is not a compact JWS or JWE', cause);
  }

  let signed = { token: text, segments: compact.segments };
  let encryptionHeader: Record<string, unknown> | undefined;
  if (compact.kind === 'JWE') {
    try {
      const outer = await decryptJWE(text, compact.segments, {
        ...verification.decryption,
        allowUnsigned: false,
      });
      // With allowUnsigned false, decryptJWE refuses a JWE that does not announce a JWT inside
      // (cty), so the content is a JWS or openJWEContent throws.
      const content = openJWEContent(outer, expected.maxLength) as Extract<
        JWEContent,
        { kind: 'JWS' }
      >;
      signed = { token: content.token, segments: content.segments };
      encryptionHeader = outer.header;
    } catch (cause) {
      throw fail(
        'decryption',
        'answered a JWE that does not decrypt with option decryptionKeys to a signed JWT',
        cause,
      );
    }
  } else if (expected.requireEncryption) {
    throw fail(
      'encryption-required',
      'answered a JWT that is not encrypted (option introspection.requireEncryptedResponse)',
    );
  }

  const { trust } = verification;
  let verified: Awaited<ReturnType<typeof verifyJWS>>;
  try {
    verified = await verifyJWS(signed.token, signed.segments, {
      algorithms: trust.algorithms,
      // The one issuer check, before any key is looked up (as for a token): an answer naming
      // another issuer never makes the key source fetch.
      trustFor: (claims) => {
        if (claims.iss !== trust.issuer) {
          throw fail('iss', `answered a JWT whose iss is not the configured issuer`);
        }
        return trust;
      },
    });
  } catch (cause) {
    if (cause instanceof JWTResponseError) throw cause;
    throw fail(
      'signature',
      `answered a JWT that does not verify with the issuer's keys and algorithms`,
      cause,
    );
  }
  const { header, claims } = verified;

  const typ = header.typ;
  if (typeof typ !== 'string' || normalizeMediaType(typ) !== JWT_RESPONSE_TYPE) {
    throw fail('typ', `answered a JWT whose typ is not ${JWT_RESPONSE_TYPE}`);
  }
  if (encryptionHeader !== undefined) {
    try {
      checkReplicatedClaims(encryptionHeader, claims);
    } catch (cause) {
      throw fail(
        'replicated-claims',
        'answered a JWE whose header claims differ from the JWT inside',
        cause,
      );
    }
  }
  const { aud } = claims;
  if (!(aud === expected.clientId || (Array.isArray(aud) && aud.includes(expected.clientId)))) {
    throw fail(
      'aud',
      `answered a JWT whose aud is not our client id (option introspection.clientId)`,
    );
  }

  const now = Math.floor(nowMs / 1000);
  const tolerance = verification.clockTolerance;
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw fail('iat', 'answered a JWT without an iat NumericDate (RFC 9701 §5)');
  }
  if (iat > now + tolerance) {
    throw fail('iat', 'answered a JWT issued in the future (iat); check the clocks');
  }
  if (now - iat > expected.maxAgeMs / 1000 + tolerance) {
    throw fail(
      'iat',
      'answered a JWT older than option introspection.responseMaxAge allows (iat): not an answer to this request',
    );
  }
  if (exp !== undefined && (typeof exp !== 'number' || !(now < exp + tolerance))) {
    throw fail('exp', 'answered a JWT that has expired (exp)');
  }

  const answer = claims.token_introspection;
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw fail('token_introspection', 'answered a JWT without a token_introspection object');
  }
  return answer as Record<string, unknown>;
}
