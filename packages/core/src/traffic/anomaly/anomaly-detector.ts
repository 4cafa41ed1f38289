/**
 * The anomaly detectors at work inside one verifier: what each accepted and each refused request
 * tells them, the blocks they impose, and the risk score they compute from what they have seen.
 * Nothing here can refuse a request because the store failed: a failing store blocks nothing
 * and counts nothing (the detectors are a brake on misuse; every token is still verified in
 * full), and only `requireRiskBelow`, which asks for a judgement, refuses while it fails.
 */
import { LRUCache } from 'lru-cache';
import type { AnomalyDetection, Auditor, DecisionPlace } from '../../audit/auditor';
import type { TokenwardError } from '../../errors/errors';
import { clientAddressOf } from '../../http/client-address';
import type { RequestLike } from '../../http/request';
import type { VerifierMetrics } from '../../metrics/verifier-metrics';
import type { AccessToken } from '../../verifier/access-token';
import { addressKey } from '../ip-address';
import { identityKey, tokenKey } from '../rate-limit-key';
import { AnomalyBlockedError, TokenQuarantinedError } from './anomaly-errors';
import type { AnomalyPlan, ThresholdPlan } from './anomaly-options';

/** A risk score from 0 (nothing seen) to 100, or `'unknown'` while the store is failing. */
export type RiskScore = number | 'unknown';

/**
 * The weights of the risk formula (docs/traffic-control.md, "Risk score"): a signal `s` in
 * [0, 1] contributes `w · s`, and contributions combine as independent probabilities do.
 */
export const RISK_WEIGHTS = Object.freeze({ tokenSpread: 0.5, denials: 0.3, flagged: 1 });

/** How long after a failed store call the risk score is `'unknown'`, in milliseconds. */
export const RISK_STORE_FAILURE_MS = 5_000;

/** Keys remembered locally (pairs seen, counts learnt, flags); the least recent go beyond it. */
const LOCAL_ENTRIES = 10_000;

/** Refusals that do not count towards a denial burst: the detectors' own, and our outages. */
const NOT_A_DENIAL = new Set(['ERR_ANOMALY_BLOCKED', 'ERR_TOKEN_QUARANTINED']);

type BlockKind = 'token' | 'client' | 'address';

/** A token's keys in the store, computed once per verified token (cache hits share them). */
interface TokenKeys {
  readonly spread: string;
  readonly blockToken: string;
  readonly denials: string | undefined;
  readonly blockClient: string | undefined;
}

/** A request address's keys: its budget form (IPv4, IPv6 /64) and its block key. */
interface AddressKeys {
  readonly address: string;
  readonly block: string;
}

/** The anomaly detectors of one verifier. */
export class AnomalyDetector {
  /** Token/address pairs already added to the store in their window: one store call per pair. */
  private readonly seen = new LRUCache<string, number>({ max: LOCAL_ENTRIES });
  /** The latest counts this instance learnt from the store (distinct addresses, denials). */
  private readonly counts = new LRUCache<string, number>({ max: LOCAL_ENTRIES });
  /** Keys flagged by a detection or found blocked, until when (ms since the epoch). */
  private readonly flags = new LRUCache<string, number>({ max: LOCAL_ENTRIES });
  /** Keys per verified token object. */
  private readonly tokenKeys = new WeakMap<AccessToken, TokenKeys>();
  /** Keys per raw address string (parsing an address costs more than this look-up). */
  private readonly addressKeys = new LRUCache<string, AddressKeys | false>({ max: LOCAL_ENTRIES });
  private storeFailedAt = -Infinity;
  private readonly blocksTokens: boolean;
  private readonly blocksClients: boolean;
  private readonly blocksAddresses: boolean;

  constructor(
    private readonly plan: AnomalyPlan,
    private readonly auditor: Auditor | undefined,
    private readonly metrics?: VerifierMetrics,
  ) {
    this.blocksTokens =
      (plan.tokenSpread?.blockMs ?? 0) > 0 || (plan.replayedProof?.blockMs ?? 0) > 0;
    this.blocksClients = (plan.denialBurst?.blockMs ?? 0) > 0;
    this.blocksAddresses = (plan.revokedTokenUse?.blockMs ?? 0) > 0;
  }

  /**
   * Refuses a request whose token, client or address is blocked: 401 `ERR_TOKEN_QUARANTINED`
   * for a token, 403 `ERR_ANOMALY_BLOCKED` otherwise. A promise when the store answers with one.
   *
   * @throws TokenQuarantinedError, AnomalyBlockedError
   */
  check(token: AccessToken, request: RequestLike | undefined, nowMs: number): void | Promise<void> {
    if (!this.blocksTokens && !this.blocksClients && !this.blocksAddresses) return undefined;
    const keys = this.keysOf(token);
    let pending: Array<Promise<void>> | undefined;
    const one = (key: string | undefined, kind: BlockKind) => {
      if (key === undefined) return;
      const answer = this.blockedFor(key, nowMs);
      if (answer instanceof Promise) {
        (pending ??= []).push(answer.then((ms) => this.refuseIfBlocked(key, kind, ms, nowMs)));
      } else this.refuseIfBlocked(key, kind, answer, nowMs);
    };
    if (this.blocksTokens) one(keys.blockToken, 'token');
    if (this.blocksClients) one(keys.blockClient, 'client');
    if (this.blocksAddresses) one(this.addressOf(request)?.block, 'address');
    return pending && Promise.all(pending).then(() => undefined);
  }

  /**
   * Whether the adapters' synchronous cache path may accept the request: no block applies, as
   * far as the store can say without a promise (a promise leaves the request to
   * `verifyRequest`, which waits for it).
   */
  admitsSync(token: AccessToken, request: RequestLike | undefined, nowMs: number): boolean {
    if (!this.blocksTokens && !this.blocksClients && !this.blocksAddresses) return true;
    const keys = this.keysOf(token);
    const free = (key: string | undefined): boolean => {
      if (key === undefined) return true;
      const answer = this.blockedFor(key, nowMs);
      if (answer instanceof Promise) {
        answer.catch(() => undefined);
        return false;
      }
      return !(answer > 0);
    };
    return (
      (!this.blocksTokens || free(keys.blockToken)) &&
      (!this.blocksClients || free(keys.blockClient)) &&
      (!this.blocksAddresses || free(this.addressOf(request)?.block))
    );
  }

  /** An accepted request: its token's address joins the token's set (`tokenSpread`). */
  accepted(token: AccessToken, place: DecisionPlace, nowMs: number): void {
    const spread = this.plan.tokenSpread;
    if (spread === undefined) return;
    const address = this.addressOf(place.request)?.address;
    if (address === undefined) return;
    const keys = this.keysOf(token);
    const key = keys.spread;
    const pair = `${key}|${address}`;
    const seenUntil = this.seen.get(pair);
    if (seenUntil !== undefined && seenUntil > nowMs) return;
    this.seen.set(pair, nowMs + spread.windowMs);
    this.whenCounted(
      () => this.plan.store.addDistinct(key, address, spread.windowMs, nowMs),
      (count) => {
        if (count === 0) return;
        this.counts.set(key, Math.max(count, this.counts.get(key) ?? 0));
        if (count !== spread.threshold + 1) return;
        this.detect(
          'anomaly_token_spread',
          spread,
          count,
          'token',
          keys.blockToken,
          place,
          token,
          nowMs,
        );
      },
    );
  }

  /**
   * A refused request: a revoked token presented (`revokedTokenUse`), a replayed proof
   * (`replayedProof`), and one more denial of the token's client (`denialBurst`).
   */
  denied(
    error: TokenwardError,
    token: AccessToken | undefined,
    place: DecisionPlace,
    nowMs: number,
  ): void {
    const { revokedTokenUse, replayedProof, denialBurst } = this.plan;
    if (token === undefined) return;
    const keys = this.keysOf(token);
    if (error.code === 'ERR_TOKEN_REVOKED' && revokedTokenUse !== undefined) {
      this.detectOccurrence(
        'authn_token_reuse',
        revokedTokenUse.blockMs,
        'address',
        this.addressOf(place.request)?.block,
        place,
        token,
        nowMs,
      );
    } else if (error.code === 'ERR_DPOP_REPLAYED' && replayedProof !== undefined) {
      this.detectOccurrence(
        'anomaly_proof_replay',
        replayedProof.blockMs,
        'token',
        keys.blockToken,
        place,
        token,
        nowMs,
      );
    }
    if (denialBurst === undefined || error.status >= 500 || NOT_A_DENIAL.has(error.code)) return;
    const key = keys.denials;
    const blockKey = keys.blockClient;
    if (key === undefined || blockKey === undefined) return;
    this.whenCounted(
      () => this.plan.store.countEvent(key, denialBurst.windowMs, nowMs),
      (count) => {
        this.counts.set(key, Math.max(count, this.counts.get(key) ?? 0));
        if (count !== denialBurst.threshold + 1) return;
        this.detect(
          'anomaly_denial_burst',
          denialBurst,
          count,
          'client',
          blockKey,
          place,
          token,
          nowMs,
        );
      },
    );
  }

  /**
   * The request's risk score (docs/traffic-control.md, "Risk score"), from what this instance
   * has learnt: the distinct addresses of the token, the denials of its client, and whether the
   * token, the client or the address was flagged. `'unknown'` within
   * {@link RISK_STORE_FAILURE_MS} of a failed store call.
   */
  risk(token: AccessToken, request: RequestLike | undefined, nowMs: number): RiskScore {
    if (nowMs - this.storeFailedAt < RISK_STORE_FAILURE_MS) return 'unknown';
    const { tokenSpread, denialBurst } = this.plan;
    const keys = this.keysOf(token);
    let spread = 0;
    if (tokenSpread !== undefined) {
      spread = clamp(((this.counts.get(keys.spread) ?? 0) - 1) / tokenSpread.threshold);
    }
    let denials = 0;
    if (denialBurst !== undefined && keys.denials !== undefined) {
      denials = clamp((this.counts.get(keys.denials) ?? 0) / denialBurst.threshold);
    }
    const flagged = [keys.blockToken, keys.blockClient, this.addressOf(request)?.block].some(
      (key) => key !== undefined && (this.flags.get(key) ?? 0) > nowMs,
    );
    const safe =
      (1 - RISK_WEIGHTS.tokenSpread * spread) *
      (1 - RISK_WEIGHTS.denials * denials) *
      (1 - RISK_WEIGHTS.flagged * (flagged ? 1 : 0));
    return Math.round(100 * (1 - safe));
  }

  /** The token's store keys, computed on its first request. */
  private keysOf(token: AccessToken): TokenKeys {
    let keys = this.tokenKeys.get(token);
    if (keys === undefined) {
      const id = tokenKey(token);
      const client = identityKey('client', token, undefined);
      keys = {
        spread: `spread:${id}`,
        blockToken: `block:${id}`,
        denials: client && `denials:${client}`,
        blockClient: client && `block:${client}`,
      };
      this.tokenKeys.set(token, keys);
    }
    return keys;
  }

  /** The request address's keys, or `undefined` without a parsable address. */
  private addressOf(request: RequestLike | undefined): AddressKeys | undefined {
    const ip = clientAddressOf(request);
    if (typeof ip !== 'string') return undefined;
    let keys = this.addressKeys.get(ip);
    if (keys === undefined) {
      const address = addressKey(ip);
      // The same key as a rate limit's 'ip' key: an address is always a plain identifier.
      keys = address === undefined ? false : { address, block: `block:{ip:${address}}` };
      this.addressKeys.set(ip, keys);
    }
    return keys === false ? undefined : keys;
  }

  private refuseIfBlocked(key: string, kind: BlockKind, ms: number, nowMs: number): void {
    if (!(ms > 0)) return;
    this.flags.set(key, nowMs + ms);
    throw kind === 'token' ? new TokenQuarantinedError() : new AnomalyBlockedError(ms / 1000);
  }

  /** The store's block answer; a throw or a rejection counts as 0 (not blocked) and is noted. */
  private blockedFor(key: string, nowMs: number): number | Promise<number> {
    let answer: number | Promise<number>;
    try {
      answer = this.plan.store.blockedFor(key, nowMs);
    } catch {
      this.storeFailedAt = Date.now();
      return 0;
    }
    if (answer instanceof Promise) {
      return answer.then(
        (ms) => (typeof ms === 'number' ? ms : 0),
        () => {
          this.storeFailedAt = Date.now();
          return 0;
        },
      );
    }
    return typeof answer === 'number' ? answer : 0;
  }

  /** Runs `onCount` with the store's count, now or when it arrives; failures are noted only. */
  private whenCounted(call: () => number | Promise<number>, onCount: (n: number) => void): void {
    const failed = () => {
      this.storeFailedAt = Date.now();
    };
    let answer: number | Promise<number>;
    try {
      answer = call();
    } catch {
      failed();
      return;
    }
    if (answer instanceof Promise) {
      answer.then((n) => {
        if (typeof n === 'number') onCount(n);
      }, failed);
    } else if (typeof answer === 'number') onCount(answer);
  }

  private detect(
    event: AnomalyDetection['event'],
    detector: ThresholdPlan,
    count: number,
    kind: BlockKind,
    blockKey: string,
    place: DecisionPlace,
    token: AccessToken,
    nowMs: number,
  ): void {
    this.flags.set(blockKey, nowMs + Math.max(detector.blockMs, detector.windowMs));
    this.report(
      {
        event,
        ...this.action(detector.blockMs, kind, blockKey, nowMs),
        count,
        threshold: detector.threshold,
        window: detector.windowMs / 1000,
      },
      place,
      token,
    );
  }

  private detectOccurrence(
    event: AnomalyDetection['event'],
    blockMs: number,
    kind: BlockKind,
    blockKey: string | undefined,
    place: DecisionPlace,
    token: AccessToken,
    nowMs: number,
  ): void {
    if (blockKey !== undefined) this.flags.set(blockKey, nowMs + Math.max(blockMs, 60_000));
    const action =
      blockKey === undefined
        ? { action: 'alert' as const }
        : this.action(blockMs, kind, blockKey, nowMs);
    this.report({ event, ...action }, place, token);
  }

  /** Starts the block, if the detector blocks; the event's action fields. */
  private action(
    blockMs: number,
    kind: BlockKind,
    blockKey: string,
    nowMs: number,
  ): Pick<AnomalyDetection, 'action' | 'blocked' | 'blockSeconds'> {
    if (blockMs === 0) return { action: 'alert' };
    this.whenCounted(
      () => {
        const done = this.plan.store.block(blockKey, blockMs, nowMs);
        return done instanceof Promise ? done.then(() => 1) : 1;
      },
      () => undefined,
    );
    return { action: 'block', blocked: kind, blockSeconds: blockMs / 1000 };
  }

  private report(detection: AnomalyDetection, place: DecisionPlace, token: AccessToken): void {
    this.auditor?.anomaly(place, detection, token);
    this.metrics?.anomaly(detection.event, detection.action);
  }
}

const clamp = (value: number): number => (value <= 0 ? 0 : value >= 1 ? 1 : value);
