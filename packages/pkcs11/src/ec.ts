/**
 * The EC encodings PKCS#11 uses: the curve as a DER OID (`CKA_EC_PARAMS`, PKCS#11 v2.40 §2.3.3),
 * the point as a DER OCTET STRING of the uncompressed point (`CKA_EC_POINT`, X9.62 §4.3.6), and
 * the raw uncompressed point as the ECDH public data (`CK_ECDH1_DERIVE_PARAMS.pPublicData`).
 */

/** A curve of JWE ECDH-ES that keys in a token may be on. */
export type Pkcs11Curve = 'P-256' | 'P-384' | 'P-521';

/** Each curve's DER OID (`CKA_EC_PARAMS`) and coordinate size in bytes. */
export const CURVES: Readonly<
  Record<Pkcs11Curve, { readonly oid: Buffer; readonly bytes: number }>
> = {
  'P-256': { oid: Buffer.from('06082a8648ce3d030107', 'hex'), bytes: 32 },
  'P-384': { oid: Buffer.from('06052b81040022', 'hex'), bytes: 48 },
  'P-521': { oid: Buffer.from('06052b81040023', 'hex'), bytes: 66 },
};

/** The curve of a `CKA_EC_PARAMS` value, or undefined for any other curve. */
export function curveOf(params: Buffer): Pkcs11Curve | undefined {
  for (const [name, curve] of Object.entries(CURVES)) {
    if (curve.oid.equals(params)) return name as Pkcs11Curve;
  }
  return undefined;
}

/**
 * The uncompressed point of a `CKA_EC_POINT` value: DER OCTET STRING-wrapped as the standard
 * says, or raw as some tokens answer.
 */
export function uncompressedPoint(value: Buffer, bytes: number): Buffer | undefined {
  const size = 1 + 2 * bytes;
  if (value.length === size && value[0] === 0x04) return value;
  if (value[0] !== 0x04) return undefined;
  // DER length: short form, or 0x81 followed by one length byte (a P-521 point is 133 bytes).
  const long = value[1] === 0x81;
  const length = long ? value[2] : value[1];
  const point = value.subarray(long ? 3 : 2);
  return length === size && point.length === size && point[0] === 0x04 ? point : undefined;
}

/** The raw uncompressed point 04 || x || y of a public EC JWK. */
export function pointOfJwk(jwk: { x?: unknown; y?: unknown }, bytes: number): Buffer | undefined {
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return undefined;
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  if (x.length !== bytes || y.length !== bytes) return undefined;
  return Buffer.concat([Buffer.from([0x04]), x, y]);
}
