/**
 * The stage-by-stage account the console shows for a token, in the words `tokenward explain`
 * prints: `stage: detail` per stage, the refusing one as `REFUSED <code>: <message>`, then the
 * verdict. The CLI's formatter is not part of its public API and the app does not depend on the
 * CLI, so the same fields are formatted here from the same stage reports.
 */
import type { TokenwardError, VerifierOptions } from '@tokenward/core';
import { TOKEN_STAGE_NAMES, type TokenStageReport } from '@tokenward/core/internal';

/** How one stage went. */
export type StageStatus = 'ok' | 'skipped' | 'refused' | 'not reached';

/** One line of the account. */
export interface StageLine {
  /** A token stage (compact, jwe, jws, replicated-claims, claims) or a later check. */
  readonly stage: string;
  /** How it went. */
  readonly status: StageStatus;
  /** What the stage established, or why it refused. */
  readonly detail: string;
}

/** The checks after the token stages, by the error codes they refuse with (as the CLI's). */
const LATER_CHECKS: ReadonlyArray<[string, RegExp]> = [
  ['binding', /^ERR_(TOKEN_BOUND|DPOP_.*|MTLS_.*|BINDING_REQUIRED|REPLAY_STORE_UNAVAILABLE)$/],
  ['revocation', /^ERR_(TOKEN_REVOKED|REVOCATION_UNAVAILABLE)$/],
  ['introspection', /^ERR_(TOKEN_INACTIVE|INTROSPECTION_UNAVAILABLE)$/],
];

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

const instant = (value: unknown): string =>
  typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 8.64e12
    ? new Date(value * 1000).toISOString()
    : show(value);

function okLine(report: TokenStageReport, encrypted: boolean): StageLine {
  switch (report.stage) {
    case 'compact':
      return {
        stage: 'compact',
        status: 'ok',
        detail: report.kind === 'JWE' ? 'JWE (5 segments)' : 'JWS (3 segments)',
      };
    case 'jwe': {
      const e = report.encryption;
      if (e === undefined) return { stage: 'jwe', status: 'skipped', detail: 'not encrypted' };
      const kid = typeof e.kid === 'string' ? `kid ${e.kid}` : 'a configured key (no kid)';
      return {
        stage: 'jwe',
        status: 'ok',
        detail: `decrypted with ${kid}, alg ${String(e.alg)}, enc ${String(e.enc)}`,
      };
    }
    case 'jws': {
      const h = report.header;
      if (h !== undefined && h === report.encryption) {
        return {
          stage: 'jws',
          status: 'skipped',
          detail: 'not signed: an encrypted claims set, vouched for by the shared key',
        };
      }
      const kid = typeof h?.kid === 'string' ? `, kid ${h.kid}` : '';
      return { stage: 'jws', status: 'ok', detail: `${String(h?.alg)} signature ok${kid}` };
    }
    case 'replicated-claims':
      return {
        stage: 'replicated-claims',
        status: encrypted ? 'ok' : 'skipped',
        detail: encrypted
          ? 'claims copied into the JWE header match the signed ones'
          : 'not encrypted',
      };
    default: {
      const c = report.claims ?? {};
      const parts = [`iss ${show(c.iss)}`, `aud ${show(c.aud)}`];
      if (c.sub !== undefined) parts.push(`sub ${show(c.sub)}`);
      parts.push(`exp ${instant(c.exp)}`);
      return { stage: 'claims', status: 'ok', detail: parts.join(', ') };
    }
  }
}

/** What the vouched-for claims say about the claim an error names. */
function claimDetail(
  error: TokenwardError,
  claims: Readonly<Record<string, unknown>> | undefined,
  options: VerifierOptions,
  nowMs: number,
): string {
  const name = error.claim;
  if (name === undefined || claims === undefined) return '';
  if (name === 'iss') return `: expected ${show(options.issuer)}, got ${show(claims.iss)}`;
  if (name === 'aud') return `: expected ${show(options.audience)}, got ${show(claims.aud)}`;
  if (name === 'exp' || name === 'nbf' || name === 'iat') {
    return `: ${name} ${instant(claims[name])}, now ${new Date(nowMs).toISOString()}`;
  }
  return name in claims ? `: ${name} is ${show(claims[name])}` : `: no ${name} claim`;
}

/** The stage that refused: the first token stage not reported, or a later check. */
function refusingStage(reports: readonly TokenStageReport[], code: string): string {
  if (reports.length < TOKEN_STAGE_NAMES.length) {
    if (reports.length === 0 && LATER_CHECKS[2]![1].test(code)) return 'introspection';
    return TOKEN_STAGE_NAMES[reports.length] as string;
  }
  return LATER_CHECKS.find(([, codes]) => codes.test(code))?.[0] ?? 'after verification';
}

/**
 * The account of one verification, from the stages it completed and its refusal (if any).
 *
 * @param reports The stages the verifier completed, in order, from `observeTokenStages`.
 * @param error The refusal; undefined when the token was accepted.
 * @param options The verifier's options, for the expected `iss` and `aud` of a refused claim.
 * @param nowMs The instant of the verification.
 * @example `const lines = explainStages(reports, undefined, options, Date.now())`
 */
export function explainStages(
  reports: readonly TokenStageReport[],
  error: TokenwardError | undefined,
  options: VerifierOptions,
  nowMs: number,
): StageLine[] {
  const encrypted = reports[0]?.kind === 'JWE';
  const lines = reports.map((r) => okLine(r, encrypted));
  if (error === undefined) return lines;
  const stage = refusingStage(reports, error.code);
  const vouched = reports.findLast((r) => r.claims !== undefined)?.claims;
  const detail = `${error.code}: ${error.message}${claimDetail(error, vouched, options, nowMs)}`;
  lines.push({ stage, status: 'refused', detail });
  const at = TOKEN_STAGE_NAMES.indexOf(stage as (typeof TOKEN_STAGE_NAMES)[number]);
  if (at >= 0) {
    for (const later of TOKEN_STAGE_NAMES.slice(at + 1)) {
      if (later === 'replicated-claims' && !encrypted) continue;
      lines.push({ stage: later, status: 'not reached', detail: 'not reached' });
    }
  }
  return lines;
}

/**
 * The lines as `tokenward explain` prints them: `stage: detail`, the refusal as
 * `REFUSED <detail>`, ending in the verdict (ACCEPTED, REFUSED, or UNAVAILABLE for a 5xx).
 *
 * @example `renderStages(lines, error)`
 */
export function renderStages(
  lines: readonly StageLine[],
  error: TokenwardError | undefined,
): string {
  const text = lines
    .filter((l) => !(l.stage === 'replicated-claims' && l.status === 'skipped'))
    .map((l) => `${l.stage}: ${l.status === 'refused' ? `REFUSED ${l.detail}` : l.detail}`);
  if (error === undefined) text.push('verdict: ACCEPTED');
  else {
    const attribute = error.error === undefined ? '' : ` ${error.error}`;
    const verdict = error.status >= 500 ? 'UNAVAILABLE' : 'REFUSED';
    text.push(`verdict: ${verdict} (${error.status}${attribute}, ${error.code})`);
  }
  return `${text.join('\n')}\n`;
}
