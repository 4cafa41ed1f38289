/** A trail line as a JSON object, for the sink (resuming a trail) and the verifier. */

/**
 * The JSON object a line holds, or `undefined` for anything else (not JSON, an array, a scalar).
 *
 * @example `parseLineObject('{"seq":0}')?.seq // 0`
 */
export function parseLineObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
