/** Media types of the JOSE `typ` and `cty` header parameters. */

/**
 * Normalises a media type per RFC 7515 §4.1.9: case-insensitive, `application/` optional.
 *
 * @param value A `typ` or `cty` header value.
 * @example
 * ```ts
 * normalizeMediaType('application/AT+JWT') // 'at+jwt'
 * ```
 */
export function normalizeMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
