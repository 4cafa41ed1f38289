/**
 * The rotation states of the API's decryption keys (`next`, `active`, `retiring` with `until`),
 * read from the same key configuration the verifier is given, for the report's key table. Only
 * `kid`, `state` and `until` are read; key material is never looked at or echoed.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../io';

/** A decryption key's configured state. */
export interface KeyState {
  readonly state: 'next' | 'active' | 'retiring';
  /** For a retiring key: until when it is accepted (ISO 8601). */
  readonly until?: string;
}

const STATES = new Set(['next', 'active', 'retiring']);

/**
 * The states by `kid` in a key configuration file: a JWK Set (`{ keys: [...] }`) or an array of
 * private JWKs or `{ key, kid, state?, until? }` entries, as the verifier's `decryptionKeys`.
 * A key without `state` is `active`; a key without `kid` cannot be named and is skipped.
 *
 * @throws UsageError for an unreadable file, malformed JSON or a bad state.
 */
export function readKeyStates(path: string): ReadonlyMap<string, KeyState> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--key-states: cannot read ${path} (${code ?? 'not JSON'}); expected the decryption key configuration`,
    );
  }
  const entries: unknown[] = Array.isArray(parsed)
    ? parsed
    : Array.isArray((parsed as { keys?: unknown } | null)?.keys)
      ? (parsed as { keys: unknown[] }).keys
      : [parsed];
  const states = new Map<string, KeyState>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { kid, state = 'active', until } = entry as Record<string, unknown>;
    if (typeof kid !== 'string' || kid === '') continue;
    if (typeof state !== 'string' || !STATES.has(state)) {
      throw new UsageError(
        `--key-states: kid ${JSON.stringify(kid)}: state must be next, active or retiring`,
      );
    }
    const untilMs = typeof until === 'string' ? Date.parse(until) : NaN;
    if (state === 'retiring' && Number.isNaN(untilMs)) {
      throw new UsageError(
        `--key-states: kid ${JSON.stringify(kid)}: a retiring key needs an ISO 8601 until`,
      );
    }
    states.set(kid, {
      state: state as KeyState['state'],
      ...(state === 'retiring' && { until: new Date(untilMs).toISOString() }),
    });
  }
  return states;
}
