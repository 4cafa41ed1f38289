/**
 * Backoff for a failing introspection endpoint (a circuit breaker). An authorization server that
 * is down or overloaded would otherwise receive one request per verification of every opaque
 * token, each waiting up to `introspection.timeout`: the retries of every client add load to an
 * endpoint that is already failing, and every request of the resource server waits for the
 * deadline. After `failureThreshold` consecutive failures, introspections fail at once (503 with
 * `Retry-After`) for an open period that doubles from `minBackoff` to `maxBackoff` each time the
 * endpoint is found still failing; then ONE trial request is let through, and its success closes
 * the breaker.
 */

/** The validated backoff members of the `introspection` option, durations in milliseconds. */
export interface BackoffSettings {
  /** Consecutive failed requests that open the breaker. */
  readonly failureThreshold: number;
  /** The first open period. */
  readonly minBackoffMs: number;
  /** The longest open period. */
  readonly maxBackoffMs: number;
}

/**
 * Whether a request may be sent: `send` (report its result with {@link EndpointHealth.settle}),
 * or `wait`, with the whole seconds until one may be sent again (at least 1).
 */
export type Admission =
  | { readonly kind: 'send'; readonly trial: boolean }
  | { readonly kind: 'wait'; readonly retryAfter: number };

// Frozen constants: admitting a request allocates nothing.
const SEND: Admission = Object.freeze({ kind: 'send', trial: false });
const TRIAL: Admission = Object.freeze({ kind: 'send', trial: true });

/**
 * The breaker of one introspection endpoint: closed (requests go), open (they do not), or
 * half-open (the one trial request is running; every other one still fails fast).
 *
 * @example
 * ```ts
 * const health = new EndpointHealth({ failureThreshold: 5, minBackoffMs: 1000, maxBackoffMs: 30_000 }, Date.now)
 * const admission = health.admit()
 * if (admission.kind === 'wait') throw new IntrospectionUnavailableError(admission.retryAfter)
 * try { await send(); health.settle(admission, true) } catch (e) { health.settle(admission, false); throw e }
 * ```
 */
export class EndpointHealth {
  /** Consecutive failures while closed. */
  private failures = 0;
  /** How many open periods in a row, without a success between them: the backoff's exponent. */
  private openings = 0;
  /** When the open period ends (clock milliseconds); undefined while closed. */
  private openUntil: number | undefined;
  /** Whether the trial request is running. */
  private trialRunning = false;

  /**
   * @param settings The validated backoff members.
   * @param now The clock, in milliseconds (`remoteKeys`' clock, so tests can replace it).
   */
  constructor(
    private readonly settings: BackoffSettings,
    private readonly now: () => number,
  ) {}

  /** Whether a request may go now; the first one after an open period is the trial. */
  admit(): Admission {
    const { openUntil } = this;
    if (openUntil === undefined) return SEND;
    const remainingMs = openUntil - this.now();
    if (remainingMs > 0) {
      return { kind: 'wait', retryAfter: Math.max(1, Math.ceil(remainingMs / 1000)) };
    }
    // Half-open: concurrent introspections would all reach an endpoint that may still be down,
    // so only one goes and the others keep failing fast until it has answered.
    if (this.trialRunning) return { kind: 'wait', retryAfter: 1 };
    this.trialRunning = true;
    return TRIAL;
  }

  /**
   * Records the result of a request `admit` let through. Any success closes the breaker (the
   * endpoint answered); a failure of the trial opens it again for twice as long; a failure of a
   * request sent before the breaker opened does not lengthen the open period.
   *
   * @param admission What `admit` returned for the request.
   * @param ok Whether the endpoint answered (active or inactive alike).
   */
  settle(admission: Admission, ok: boolean): void {
    if (admission.kind !== 'send') return;
    if (ok) {
      this.failures = 0;
      this.openings = 0;
      this.openUntil = undefined;
      this.trialRunning = false;
      return;
    }
    // trialRunning is false again when a late success closed the breaker while the trial ran:
    // its failure then counts as any failure while closed does.
    if (admission.trial && this.trialRunning) {
      this.trialRunning = false;
      this.open();
      return;
    }
    if (this.openUntil !== undefined) return;
    this.failures += 1;
    if (this.failures >= this.settings.failureThreshold) this.open();
  }

  private open(): void {
    this.failures = 0;
    this.openings += 1;
    const { minBackoffMs, maxBackoffMs } = this.settings;
    // 2^(openings - 1) times the first period; the exponent is capped so the product stays finite.
    const periodMs = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.openings - 1, 52));
    this.openUntil = this.now() + periodMs;
  }
}
