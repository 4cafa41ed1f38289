/**
 * A test-only wrapper around `lib/compact` for the JWS known-answer tests.
 *
 * tokenward verifies JWTs: `verifyJWS` parses the payload as a JWT claims set (strict JSON object)
 * before it looks up a key, because the `iss` claim picks the key source. The RFC 7520 and
 * Wycheproof JWS payloads are not JWTs ("It’s a dangerous business, Frodo…", "foo", raw bytes), so
 * without help every valid vector would stop at `ERR_TOKEN_MALFORMED` and no signature would ever
 * be checked. While `opaquePayloads.enabled` is set, a payload that is not a JSON object reads as
 * an empty claims set `{}`; everything else — `splitCompact`, the strict header JSON, the
 * algorithm allowlist, the header checks, key selection and the signature — is the real code.
 *
 * Use it as a Jest module factory (it must import nothing from `src`, which it is wrapping):
 *
 * ```ts
 * jest.mock('../../src/compact/compact', () =>
 *   require('./opaque-payloads').withOpaquePayloads(jest.requireActual('../../src/compact/compact')),
 * );
 * ```
 */
import type * as Compact from '../../src/compact/compact';

/** Whether non-JSON JWS payloads are let through as `{}` (tests may switch it off). */
export const opaquePayloads = { enabled: true };

/** Returns `lib/compact` with a `decodeJSONSegment` that tolerates opaque JWS payloads. */
export function withOpaquePayloads(actual: typeof Compact): typeof Compact {
  return {
    ...actual,
    decodeJSONSegment(segment: string, what: string): Record<string, unknown> {
      if (what !== 'JWT claims' || !opaquePayloads.enabled) {
        return actual.decodeJSONSegment(segment, what);
      }
      try {
        return actual.decodeJSONSegment(segment, what);
      } catch (error) {
        // Only "not a JSON object" is tolerated; a duplicate member stays an error.
        if ((error as { code?: unknown }).code === 'ERR_TOKEN_MALFORMED') return {};
        throw error;
      }
    },
  };
}
