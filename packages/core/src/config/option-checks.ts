/**
 * Small validators for option values, shared by the verifier's option modules. Each throws a
 * `TypeError` that starts with the option's name.
 */
import { FORBIDDEN_KEY_MANAGEMENT } from '../lib/algorithms';

/** A non-empty string or a non-empty array of (non-empty, unless allowed) strings, as an array. */
export function stringList(value: unknown, option: string, allowEmptyString = false): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((v) => typeof v === 'string' && (allowEmptyString || v !== ''))
  ) {
    throw new TypeError(
      `${option}: expected a non-empty string or a non-empty array of non-empty strings`,
    );
  }
  return list as string[];
}

/** An algorithm allowlist: the supported set by default, never a forbidden algorithm. */
export function allowlist(
  value: readonly string[] | undefined,
  supported: readonly string[],
  option: string,
): Set<string> {
  if (value === undefined) return new Set(supported);
  const list = stringList(value, option);
  for (const alg of list) {
    if (FORBIDDEN_KEY_MANAGEMENT.test(alg)) {
      throw new TypeError(
        `${option}: ${alg} is never allowed (RFC 8725 §3.2; PBES2 and RSA1_5 are unsafe for access tokens)`,
      );
    }
    if (!supported.includes(alg)) {
      throw new TypeError(
        `${option}: unsupported algorithm ${JSON.stringify(alg)}; supported: ${supported.join(', ')}`,
      );
    }
  }
  return new Set(list);
}

/** A number of seconds in [0, max]. */
export function seconds(value: unknown, option: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new TypeError(`${option}: expected a number of seconds between 0 and ${max}`);
  }
  return value;
}
