/**
 * Stateless DPoP server nonces (RFC 9449 §8): a keyed MAC of a time step, so every instance that
 * holds the secret issues the same nonce and accepts the current and the previous one, with no
 * shared state and nothing to store.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Options of the DPoP `nonce` setting. */
export interface DPoPNonceOptions {
  /** The secret every instance shares: at least 32 bytes (a string is read as UTF-8). */
  secret: string | Uint8Array;
  /** Seconds a nonce stays current; the previous one is still accepted. Default 300. */
  step?: number;
}

/** How a proof's nonce compares with the server's. */
export type NonceVerdict = 'current' | 'previous' | 'invalid';

/** Issues and checks nonces for one secret. */
export interface NonceSource {
  /** The nonce of the step `nowMs` falls in. */
  issue(nowMs: number): string;
  /** Whether `nonce` is this step's, the previous step's, or neither. */
  check(nonce: unknown, nowMs: number): NonceVerdict;
}

/** Default seconds per nonce step. */
export const DEFAULT_NONCE_STEP = 300;
const MIN_SECRET_BYTES = 32;
const MAC_CHARS = 32;
// RFC 9449 §8.1: nonce = 1*NQCHAR; the step in base 36, a dot and base64url use only those.
const NONCE_SHAPE = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{32})$/;

/**
 * Validates the `nonce` option and returns its source.
 *
 * @throws TypeError naming `dpop.nonce.secret` or `dpop.nonce.step`.
 * @example
 * ```ts
 * const nonces = createNonceSource({ secret: process.env.DPOP_NONCE_SECRET! })
 * nonces.check(nonces.issue(Date.now()), Date.now()) // 'current'
 * ```
 */
export function createNonceSource(options: DPoPNonceOptions): NonceSource {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('dpop.nonce: expected { secret, step? }');
  }
  const { secret } = options;
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret, 'utf8')
      : secret instanceof Uint8Array
        ? Buffer.from(secret)
        : undefined;
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`dpop.nonce.secret: expected at least ${MIN_SECRET_BYTES} bytes`);
  }
  const step = options.step ?? DEFAULT_NONCE_STEP;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 10 || step > 86_400) {
    throw new TypeError('dpop.nonce.step: expected whole seconds from 10 to 86400');
  }
  const mac = (index: number) =>
    createHmac('sha256', bytes)
      .update(`tokenward.dpop-nonce/1:${index}`)
      .digest('base64url')
      .slice(0, MAC_CHARS);
  // One MAC per step, not per request: the current nonce is remembered until the step moves.
  let cached: { index: number; nonce: string } | undefined;
  const nonceOf = (index: number) => {
    if (cached?.index === index) return cached.nonce;
    const nonce = `${index.toString(36)}.${mac(index)}`;
    if (cached === undefined || index > cached.index) cached = { index, nonce };
    return nonce;
  };
  const indexAt = (nowMs: number) => Math.floor(nowMs / 1000 / step);
  return {
    issue: (nowMs) => nonceOf(indexAt(nowMs)),
    check(nonce, nowMs) {
      if (typeof nonce !== 'string') return 'invalid';
      const match = NONCE_SHAPE.exec(nonce);
      if (match === null) return 'invalid';
      const index = parseInt(match[1] as string, 36);
      const now = indexAt(nowMs);
      if (index !== now && index !== now - 1) return 'invalid';
      const expected = Buffer.from(nonceOf(index).split('.')[1] as string);
      const given = Buffer.from(match[2] as string);
      if (!timingSafeEqual(expected, given)) return 'invalid';
      return index === now ? 'current' : 'previous';
    },
  };
}
