/**
 * Builds a {@link ComplianceReport} from trail files in one streaming pass: each line is parsed,
 * counted into bounded tallies and dropped, so memory does not grow with the number of events.
 */
import { basename } from 'node:path';
import { AUDIT_SCHEMA, readAuditLines, verifyAuditTrail } from '@tokenward/core';
import { UsageError } from '../io';
import { CappedCounter } from './capped-counter';
import { WEAK_ALGORITHMS } from './controls';
import type { ComplianceReport, ReportOptions, Tally } from './model';

/** Distinct values tracked per table before the rest count as "other". */
const MAX_DISTINCT = 10_000;
const LIFETIME_BUCKETS = [300, 900, 3600, 86_400] as const;
const LIFECYCLE = /REVOKED|REPLAY|RATE_LIMIT|ANOMAL|BLOCKED|QUARANTINED|RISK/;
/** The anomaly detectors' events: counted by what they did, not as decisions. */
const ANOMALIES = new Set([
  'anomaly_token_spread',
  'anomaly_denial_burst',
  'authn_token_reuse',
  'anomaly_proof_replay',
]);

const tally = (): Tally => ({ allow: 0, deny: 0 });
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v.slice(0, 256) : undefined;

/**
 * Reads `files` and builds the report.
 *
 * @throws UsageError when a file cannot be read.
 * @example
 * ```ts
 * const report = await buildComplianceReport(['audit-20261202-000000.jsonl'], { maxTokenLifetime: 900 })
 * ```
 */
export async function buildComplianceReport(
  files: readonly string[],
  options: ReportOptions = {},
): Promise<ComplianceReport> {
  const top = options.top ?? 20;
  const fromMs = options.from?.getTime() ?? -Infinity;
  const toMs = options.to?.getTime() ?? Infinity;
  const sorted = [...files].sort((a, b) => basename(a).localeCompare(basename(b)));

  let lines = 0;
  let events = 0;
  let outsidePeriod = 0;
  let unknownSchema = 0;
  let malformed = 0;
  let tooLong = 0;
  let first: number | undefined;
  let last: number | undefined;
  const total = tally();
  const byStage = new Map<string, Tally>();
  const hourly = new CappedCounter<Tally>(MAX_DISTINCT, tally);
  let invalidTotal = 0;
  const byReason = new CappedCounter<{ count: number; status: number }>(500, () => ({
    count: 0,
    status: 0,
  }));
  const invalidByIp = new CappedCounter<{ count: number }>(MAX_DISTINCT, () => ({ count: 0 }));
  const byClient = new CappedCounter<Tally>(MAX_DISTINCT, tally);
  const byRoute = new CappedCounter<Tally>(MAX_DISTINCT, tally);
  let withoutClient = 0;
  let accepted = 0;
  let encrypted = 0;
  const encByIssuer = new CappedCounter<{ accepted: number; encrypted: number }>(1000, () => ({
    accepted: 0,
    encrypted: 0,
  }));
  const encByClient = new CappedCounter<{ accepted: number; encrypted: number }>(
    MAX_DISTINCT,
    () => ({ accepted: 0, encrypted: 0 }),
  );
  const algorithms = new CappedCounter<{ count: number }>(500, () => ({ count: 0 }));
  const keys = new CappedCounter<{ count: number; first: number; last: number }>(1000, () => ({
    count: 0,
    first: Infinity,
    last: -Infinity,
  }));
  let lifetimesCounted = 0;
  let overPolicy = 0;
  let maxLifetime: number | undefined;
  const lifetimeBuckets = new Array<number>(LIFETIME_BUCKETS.length + 1).fill(0);
  const lifecycle = new CappedCounter<{ count: number }>(500, () => ({ count: 0 }));
  let dropped = 0;
  let dropReports = 0;
  const dropCauses: Record<string, number> = {};

  try {
    for await (const entry of readAuditLines(sorted)) {
      lines += 1;
      if (entry.text === undefined) {
        tooLong += 1;
        continue;
      }
      let value: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(entry.text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        value = parsed as Record<string, unknown>;
      } catch {
        malformed += 1;
        continue;
      }
      if (value.type !== undefined && value.schema === undefined) continue; // a control line
      if (value.schema !== AUDIT_SCHEMA) {
        unknownSchema += 1;
        continue;
      }
      const time = typeof value.time === 'string' ? Date.parse(value.time) : NaN;
      if (Number.isNaN(time)) {
        malformed += 1;
        continue;
      }
      if (time < fromMs || time >= toMs) {
        outsidePeriod += 1;
        continue;
      }
      events += 1;
      first = first === undefined ? time : Math.min(first, time);
      last = last === undefined ? time : Math.max(last, time);

      if (value.event === 'audit_events_dropped') {
        const n = typeof value.dropped === 'number' ? value.dropped : 0;
        dropped += n;
        dropReports += 1;
        const cause = str(value.cause) ?? 'unknown';
        dropCauses[cause] = (dropCauses[cause] ?? 0) + n;
        continue;
      }
      if (typeof value.event === 'string' && ANOMALIES.has(value.event)) {
        // `block token`, `block client`, `block address` or `alert`.
        const action =
          value.action === 'block' ? `block ${str(value.blocked) ?? 'unknown'}` : 'alert';
        const a = lifecycle.at(`${value.event}\0${action}`);
        if (a) a.count += 1;
        continue;
      }
      const outcome =
        value.outcome === 'allow' ? 'allow' : value.outcome === 'deny' ? 'deny' : undefined;
      if (outcome === undefined) {
        malformed += 1;
        continue;
      }
      total[outcome] += 1;
      const stage = str(value.stage) ?? 'unknown';
      let s = byStage.get(stage);
      if (s === undefined && byStage.size < 10) byStage.set(stage, (s = tally()));
      if (s) s[outcome] += 1;
      const hour = hourly.at(new Date(time - (time % 3_600_000)).toISOString());
      if (hour) hour[outcome] += 1;

      const reason = str(value.reason) ?? 'unknown';
      const ip = str(value.ip);
      const client = str(value.client);
      const route = str(value.route);
      if (outcome === 'deny') {
        invalidTotal += 1;
        const r = byReason.at(reason);
        if (r) {
          r.count += 1;
          if (typeof value.status === 'number') r.status = value.status;
        }
        if (ip !== undefined) {
          const i = invalidByIp.at(ip);
          if (i) i.count += 1;
        }
      }
      if (LIFECYCLE.test(reason)) {
        const l = lifecycle.at(`${str(value.event) ?? 'event'}\0${reason}`);
        if (l) l.count += 1;
      }
      if (client !== undefined) {
        const c = byClient.at(client);
        if (c) c[outcome] += 1;
      } else withoutClient += 1;
      if (route !== undefined) {
        const r = byRoute.at(route);
        if (r) r[outcome] += 1;
      }

      if (value.event !== 'authn_token_valid') continue;
      // Accepted tokens: encryption, algorithms, keys, lifetimes (each token once per request).
      accepted += 1;
      const enc = value.encryption;
      const isEncrypted = typeof enc === 'object' && enc !== null;
      if (isEncrypted) {
        encrypted += 1;
        const { alg, enc: content } = enc as { alg?: unknown; enc?: unknown };
        const a = algorithms.at(`jwe\0${str(alg) ?? '?'}\0${str(content) ?? '?'}`);
        if (a) a.count += 1;
      }
      const signingAlg = str(value.signingAlg);
      if (signingAlg !== undefined) {
        const a = algorithms.at(`jws\0${signingAlg}`);
        if (a) a.count += 1;
      }
      const issuer = str(value.issuer) ?? 'unknown';
      const ei = encByIssuer.at(issuer);
      if (ei) {
        ei.accepted += 1;
        if (isEncrypted) ei.encrypted += 1;
      }
      if (client !== undefined) {
        const ec = encByClient.at(client);
        if (ec) {
          ec.accepted += 1;
          if (isEncrypted) ec.encrypted += 1;
        }
      }
      for (const [kind, kid] of [
        ['signing', str(value.signingKeyId)],
        ['decryption', str(value.decryptionKeyId)],
      ] as const) {
        if (kid === undefined) continue;
        const k = keys.at(`${kind}\0${kid}`);
        if (k) {
          k.count += 1;
          k.first = Math.min(k.first, time);
          k.last = Math.max(k.last, time);
        }
      }
      if (typeof value.lifetime === 'number' && Number.isFinite(value.lifetime)) {
        const lifetime = value.lifetime;
        lifetimesCounted += 1;
        maxLifetime = maxLifetime === undefined ? lifetime : Math.max(maxLifetime, lifetime);
        if (options.maxTokenLifetime !== undefined && lifetime > options.maxTokenLifetime)
          overPolicy += 1;
        const b = LIFETIME_BUCKETS.findIndex((limit) => lifetime <= limit);
        lifetimeBuckets[b < 0 ? LIFETIME_BUCKETS.length : b]! += 1;
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new UsageError(
        `cannot read a trail file (${code}): ${(error as { path?: string }).path ?? ''}`,
      );
    }
    throw error;
  }

  const span = first !== undefined && last !== undefined ? last - first : 0;
  const bucket: 'hour' | 'day' = span <= 3 * 86_400_000 ? 'hour' : 'day';
  const timeline = new Map<string, Tally>();
  for (const [at, t] of hourly.top(() => 0, Number.MAX_SAFE_INTEGER)) {
    const key = bucket === 'hour' ? at : `${at.slice(0, 10)}T00:00:00.000Z`;
    const b = timeline.get(key) ?? tally();
    b.allow += t.allow;
    b.deny += t.deny;
    timeline.set(key, b);
  }
  const integrity: ComplianceReport['integrity'] =
    options.keys === undefined
      ? { checked: false }
      : await verifyAuditTrail(sorted, options.keys).then((v) => ({
          checked: true as const,
          ok: v.ok,
          events: v.events,
          sealed: v.sealed,
          firstProblem:
            v.problems[0] === undefined
              ? null
              : `${v.problems[0].file}:${v.problems[0].line}: ${v.problems[0].kind}: ${v.problems[0].message}`,
          problems: v.problems.length,
          warnings: v.warnings.length,
        }));
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

  return {
    schema: 'tokenward.report/1',
    generatedAt: new Date().toISOString(),
    period: {
      from: options.from?.toISOString() ?? null,
      to: options.to?.toISOString() ?? null,
      firstEvent: iso(first),
      lastEvent: iso(last),
    },
    sources: {
      files: sorted.map((f) => basename(f)),
      lines,
      events,
      outsidePeriod,
      unknownSchema,
      malformed,
      tooLong,
    },
    decisions: {
      total,
      byStage: Object.fromEntries(byStage),
      bucket,
      timeline: [...timeline]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([at, t]) => ({ at, ...t })),
    },
    invalid: {
      total: invalidTotal,
      byReason: byReason.top((v) => v.count, 100).map(([reason, v]) => ({ reason, ...v })),
      byIp: invalidByIp.top((v) => v.count, top).map(([ip, v]) => ({ ip, count: v.count })),
      otherIps: Math.max(0, invalidByIp.size - top) + invalidByIp.other,
    },
    access: {
      byClient: byClient.top((v) => v.allow + v.deny, top).map(([client, t]) => ({ client, ...t })),
      byRoute: byRoute.top((v) => v.allow + v.deny, top).map(([route, t]) => ({ route, ...t })),
      withoutClient,
    },
    encryption: {
      accepted,
      encrypted,
      coverage: accepted === 0 ? null : encrypted / accepted,
      byIssuer: encByIssuer.top((v) => v.accepted, top).map(([issuer, v]) => ({ issuer, ...v })),
      byClient: encByClient.top((v) => v.accepted, top).map(([client, v]) => ({ client, ...v })),
      algorithms: algorithms
        .top((v) => v.count, 100)
        .map(([key, v]) => {
          const [kind, alg, enc] = key.split('\0') as ['jwe' | 'jws', string, string | undefined];
          const weak = WEAK_ALGORITHMS[alg] ?? null;
          return { kind, alg: enc === undefined ? alg : `${alg} / ${enc}`, count: v.count, weak };
        }),
    },
    keys: keys
      .top((v) => v.count, 100)
      .map(([key, v]) => {
        const [kind, kid] = key.split('\0') as ['signing' | 'decryption', string];
        const states = options.keyStates;
        const configured = kind === 'decryption' ? states?.get(kid) : undefined;
        let state: string | null = null;
        let flag: string | null = null;
        if (kind === 'decryption' && states !== undefined) {
          if (configured === undefined) {
            state = 'not configured';
            flag = 'a token was decrypted with a key the configuration does not name';
          } else {
            state = configured.until
              ? `${configured.state} until ${configured.until}`
              : configured.state;
            if (configured.until !== undefined && v.last > Date.parse(configured.until)) {
              flag = 'used after its until';
            }
          }
        }
        return {
          kind,
          kid,
          count: v.count,
          firstSeen: new Date(v.first).toISOString(),
          lastSeen: new Date(v.last).toISOString(),
          daysInUse: Math.round(((v.last - v.first) / 86_400_000) * 10) / 10,
          state,
          flag,
        };
      }),
    lifetimes: {
      policy: options.maxTokenLifetime ?? null,
      counted: lifetimesCounted,
      overPolicy,
      max: maxLifetime ?? null,
      buckets: [...LIFETIME_BUCKETS.map((l) => `${l} s`), 'longer'].map((upTo, i) => ({
        upTo,
        count: lifetimeBuckets[i] ?? 0,
      })),
    },
    lifecycle: lifecycle
      .top((v) => v.count, 100)
      .map(([key, v]) => {
        const [kind, reason] = key.split('\0') as [string, string];
        return { kind, reason, count: v.count };
      }),
    pipeline: { droppedEvents: dropped, byCause: dropCauses, reports: dropReports },
    integrity,
  };
}
