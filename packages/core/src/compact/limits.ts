/**
 * Shape caps on the parts of a token (docs/architecture.md SD-1 and SD-4), checked before
 * the expensive work so that the time a hostile token costs is bounded by these numbers rather
 * than by `maxTokenLength`. No RFC sets them; each leaves wide room over what real tokens carry.
 */

/** Caps on the shape of one JSON text, checked by one linear scan before `JSON.parse`. */
export interface JSONShapeLimits {
  /** The deepest nesting of objects and arrays; the top-level object is depth 1. */
  readonly maxDepth: number;
  /** The most object members in the whole text, counted at every depth. */
  readonly maxMembers: number;
}

/**
 * The longest protected header segment accepted, in base64url characters, checked before it is
 * decoded. The largest header a supported algorithm needs is an ECDH-ES JWE header with a P-521
 * `epk` (two 88-character coordinates), `apu`/`apv`, `kid`, `cty` and `typ`: about 450 bytes of
 * JSON, 600 characters, or 900 with 100-character `apu`/`apv` and claims replicated in the header
 * (RFC 7519 §5.3). 4096 characters (3 KiB of JSON) is more than four times that; what does not
 * fit is a certificate chain (`x5c`) or an embedded key, which the header checks refuse anyway
 * (RFC 8725 §3.10).
 */
export const MAX_HEADER_SEGMENT_CHARS = 4096;

/**
 * JOSE protected headers (JWS and JWE, outer and inner): the deepest legitimate member is an
 * `epk` object or a `crit` array, depth 2; 4 leaves room for an extension without admitting the
 * nesting that makes `JSON.parse` slow. A header has about 10 members (12 with an `epk`); 64 is
 * room for replicated claims and private parameters.
 */
export const HEADER_JSON_LIMITS: JSONShapeLimits = { maxDepth: 4, maxMembers: 64 };

/**
 * JWT claims sets: real access tokens nest 3 to 5 levels (Keycloak `resource_access.<client>.
 * roles`, RFC 9396 `authorization_details[].locations`, RFC 7800 `cnf.jwk`); an RFC 8693 `act`
 * delegation chain adds one level per actor, so 16 admits a chain of a dozen. Large claims sets
 * (many clients' roles, many authorization details) have a few hundred members; 1000 is a few
 * times that, a good share of what the default 16384-character token can hold, and keeps the parse
 * of a token under a raised `maxTokenLength` bounded. Array elements are not members: a long
 * `groups` or `roles` array costs `JSON.parse` a few nanoseconds per element.
 */
export const CLAIMS_JSON_LIMITS: JSONShapeLimits = { maxDepth: 16, maxMembers: 1000 };

/** No caps, for documents (JWK Sets, metadata) whose size is bounded by the fetch instead. */
export const NO_JSON_LIMITS: JSONShapeLimits = { maxDepth: Infinity, maxMembers: Infinity };
