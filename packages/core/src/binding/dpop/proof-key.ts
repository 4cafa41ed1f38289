/**
 * The public key a DPoP proof carries in its `jwk` header (RFC 9449 §4.2): refused when it holds
 * private or symmetric material or does not fit the proof's `alg`, imported once per thumbprint.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { InvalidDPoPProofError } from '../../errors/errors';
import { keyFitsJWSAlgorithm } from '../../lib/algorithms';
import { jwkThumbprint } from './thumbprint';

/** JWK members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** RSA proof keys shorter than this are refused (RFC 7518 §3.3 asks for 2048 bits or more). */
const MIN_RSA_BITS = 2048;

/** A proof key, imported, with its thumbprint. */
export interface ProofKey {
  readonly key: KeyObject;
  /** The RFC 7638 SHA-256 thumbprint, base64url. */
  readonly jkt: string;
}

const invalidJwk = (message: string, cause?: unknown) =>
  new InvalidDPoPProofError('ERR_DPOP_JWK_INVALID', message, { cause });

/** The longest protected header remembered (an RSA-4096 key's header is about 1,000). */
const MAX_REMEMBERED_HEADER = 2048;

/** Imports proof keys, remembering the last `max` by thumbprint and by header (clients reuse one key). */
export class ProofKeys {
  private readonly imported: LRUCache<string, KeyObject>;
  private readonly headers: LRUCache<string, { alg: string; key: ProofKey }>;

  constructor(max = 10_000) {
    this.imported = new LRUCache({ max });
    this.headers = new LRUCache({ max });
  }

  /**
   * The checked header `segment` (its `alg` and imported key): remembered when it passed
   * `check` before, else checked now. Only headers that passed are remembered, so a bad one is
   * refused every time.
   */
  checkedHeader(
    segment: string,
    check: () => { alg: string; key: ProofKey },
  ): { alg: string; key: ProofKey } {
    const known = this.headers.get(segment);
    if (known !== undefined) return known;
    const checked = check();
    if (segment.length <= MAX_REMEMBERED_HEADER) this.headers.set(segment, checked);
    return checked;
  }

  /**
   * The imported key of a proof's `jwk` header for `alg`.
   *
   * @throws InvalidDPoPProofError `ERR_DPOP_JWK_INVALID`: not an object, private or symmetric
   *   members, an unsupported key type, a key that does not fit `alg`, or a short RSA key.
   */
  importFor(jwk: unknown, alg: string): ProofKey {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      throw invalidJwk('the DPoP proof header has no jwk object');
    }
    const record = jwk as Record<string, unknown>;
    // RFC 9449 §4.3 check 7: the key must be public. A private key in a header is refused, not
    // stripped: a client that sends one has leaked it.
    for (const member of PRIVATE_MEMBERS) {
      if (Object.hasOwn(record, member)) {
        throw invalidJwk(`the DPoP proof jwk carries private key material (${member})`);
      }
    }
    const jkt = jwkThumbprint(record);
    if (jkt === undefined) {
      throw invalidJwk('the DPoP proof jwk is not a complete EC, OKP or RSA public key');
    }
    let key = this.imported.get(jkt);
    if (key === undefined) {
      try {
        key = createPublicKey({ key: record as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch (error) {
        throw invalidJwk('the DPoP proof jwk is not a valid public key', error);
      }
      if (key.asymmetricKeyType === 'rsa') {
        const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < MIN_RSA_BITS) {
          throw invalidJwk(`the DPoP proof RSA key has ${bits} bits, fewer than ${MIN_RSA_BITS}`);
        }
      }
      this.imported.set(jkt, key);
    }
    if (!keyFitsJWSAlgorithm(key, alg)) {
      throw invalidJwk(`the DPoP proof jwk does not fit its alg ${alg}`);
    }
    return { key, jkt };
  }
}
