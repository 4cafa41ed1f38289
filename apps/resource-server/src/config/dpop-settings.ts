/**
 * The sample app's DPoP settings (RFC 9449), read from the environment: whether DPoP-bound tokens
 * are allowed or required, the nonce secret every instance shares, and the public origin. (The
 * replay store goes to Redis with `TOKENWARD_REDIS_URL`, shared state of the whole app.)
 */
import { quote } from './env-checks';

/** DPoP as configured; absent when `TOKENWARD_DPOP` is `off` (the default). */
export interface DPoPSettings {
  /** `TOKENWARD_DPOP`: `allowed` (bearer and DPoP-bound tokens) or `required` (DPoP only). */
  readonly mode: 'allowed' | 'required';
  /** `TOKENWARD_DPOP_NONCE_SECRET`: server nonces on, derived from this secret (≥ 32 bytes). */
  readonly nonceSecret?: string;
  /** `TOKENWARD_PUBLIC_ORIGIN`: the origin clients call (`htu`); default from the Host header. */
  readonly origin?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const value = (env: Env, name: string) => {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
};

/**
 * Reads the DPoP variables, adding one problem per bad value.
 *
 * @returns the settings, or `undefined` when DPoP is off.
 * @example `loadDPoPSettings({ TOKENWARD_DPOP: 'required' }, problems)`
 */
export function loadDPoPSettings(env: Env, problems: string[]): DPoPSettings | undefined {
  const mode = value(env, 'TOKENWARD_DPOP') ?? 'off';
  const nonceSecret = value(env, 'TOKENWARD_DPOP_NONCE_SECRET');
  const origin = value(env, 'TOKENWARD_PUBLIC_ORIGIN');
  if (mode !== 'off' && mode !== 'allowed' && mode !== 'required') {
    problems.push(`TOKENWARD_DPOP: expected off, allowed or required, got ${quote(mode)}`);
    return undefined;
  }
  if (mode === 'off') {
    for (const [name, set] of [
      ['TOKENWARD_DPOP_NONCE_SECRET', nonceSecret],
      ['TOKENWARD_PUBLIC_ORIGIN', origin],
    ] as const) {
      if (set !== undefined) problems.push(`${name}: set while TOKENWARD_DPOP is off`);
    }
    return undefined;
  }
  if (nonceSecret !== undefined && Buffer.byteLength(nonceSecret) < 32) {
    problems.push('TOKENWARD_DPOP_NONCE_SECRET: expected at least 32 bytes');
  }
  if (origin !== undefined && !/^https?:\/\/[^/\s?#]+$/.test(origin)) {
    problems.push(
      `TOKENWARD_PUBLIC_ORIGIN: expected an origin such as https://api.example.com (no path), got ${quote(origin)}`,
    );
  }
  return {
    mode,
    ...(nonceSecret !== undefined && { nonceSecret }),
    ...(origin !== undefined && { origin }),
  };
}
