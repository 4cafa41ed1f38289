/**
 * JSON text that must hold an object: for the rejection hook's header and claims, and for audit
 * trail lines (the sink resuming a trail, the verifier).
 */

/**
 * The JSON object a line holds, or `undefined` for anything else (not JSON, an array, a scalar).
 *
 * @example `parseJSONObject('{"seq":0}')?.seq // 0`
 */
export function parseJSONObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
