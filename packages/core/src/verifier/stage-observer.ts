/**
 * An internal window onto the token stages (pipeline.ts) for `tokenward explain`: which stages
 * a verification completed and what each established. Scoped with AsyncLocalStorage, so one
 * verification's observer never sees another's; a verification outside
 * {@link observeTokenStages} pays one `getStore()` call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The token stages, in the order they run. */
export const TOKEN_STAGE_NAMES = Object.freeze([
  'compact',
  'jwe',
  'jws',
  'replicated-claims',
  'claims',
] as const);

/** The name of one token stage. */
export type TokenStageName = (typeof TOKEN_STAGE_NAMES)[number];

/** What the stages had established when one of them completed. */
export interface TokenStageReport {
  /** The stage that completed. */
  readonly stage: TokenStageName;
  /** The compact serialization, once the compact stage ran. */
  readonly kind?: 'JWS' | 'JWE';
  /** The outer JWE protected header, once decrypted. */
  readonly encryption?: Readonly<Record<string, unknown>>;
  /** The signed layer's header, once its signature (or the shared key) vouched for it. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The claims, once the signature (or the shared key) vouched for them. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Receives one report per completed stage; it must not throw. */
export type TokenStageObserver = (report: TokenStageReport) => void;

const observers = new AsyncLocalStorage<TokenStageObserver>();

/**
 * Runs `run` with `observer` told of every token stage completed by the verifications it starts.
 * A stage that throws is not reported: the first stage missing from the reports is the one that
 * refused the token (or none, when the refusal came after the stages).
 *
 * @example
 * ```ts
 * const reports: TokenStageReport[] = []
 * await observeTokenStages((r) => reports.push(r), () => verifier.verify(token))
 * ```
 */
export function observeTokenStages<T>(observer: TokenStageObserver, run: () => T): T {
  return observers.run(observer, run);
}

/** The observer of the verification running now, if any. */
export function currentStageObserver(): TokenStageObserver | undefined {
  return observers.getStore();
}
