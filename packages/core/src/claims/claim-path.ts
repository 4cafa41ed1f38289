/** Reads a claim by path segments, without ever walking into prototypes. */
export function readClaim(claims: Record<string, unknown>, segments: readonly string[]): unknown {
  let value: unknown = claims;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
