/**
 * The stage-by-stage account of one verification, from what the real verifier reported: the
 * stages it completed (stage-observer.ts), what each established, and the error it refused the
 * token with. Nothing here verifies anything; it only says what the verifier did. One account
 * for every tool that explains a token (`tokenward explain`, the sample app's dev console).
 */
import type { VerifierOptions } from '../config/verifier-options';
import type { TokenwardError } from '../errors/errors';
import type { AccessToken } from './access-token';
import { TOKEN_STAGE_NAMES, type TokenStageReport } from './stage-observer';

/**
 * What the token shows without a key, when the caller looked (a JWS's header and unverified
 * claims; a JWE's kind): refusals before the signature check can then say what the token
 * claimed, marked as not verified.
 */
export type UnverifiedView =
  | {
      readonly kind: 'JWS';
      readonly header: Readonly<Record<string, unknown>>;
      readonly claims: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'JWE' };

/** How one stage went. */
export type ExplainStageStatus = 'ok' | 'skipped' | 'refused' | 'not reached';

/** One line of the account. */
export interface ExplainLine {
  /** A token stage (compact, jwe, jws, replicated-claims, claims) or a later check. */
  readonly stage: string;
  readonly status: ExplainStageStatus;
  /** What the stage established, or why it refused. */
  readonly detail: string;
}

/** What the verification gave: the accepted token, or the refusal. */
export type ExplainOutcome =
  | { readonly accepted: true; readonly token: AccessToken }
  | { readonly accepted: false; readonly error: TokenwardError };

/** The checks after the token stages, by the error codes they refuse with. */
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

/** The audience a token from `issuer` is held to. */
function expectedAudience(options: VerifierOptions, issuer: unknown): unknown {
  const entry = options.issuers?.find((i) => i.issuer === issuer);
  return entry?.audience ?? options.audience;
}

/** What the claims say about the claim an error names: the value, and what was expected. */
function claimDetail(
  error: TokenwardError,
  claims: Readonly<Record<string, unknown>> | undefined,
  options: VerifierOptions,
  nowMs: number,
): string {
  const name = error.claim;
  if (name === undefined) return '';
  if (name === 'iss') {
    const expected = options.issuers?.map((i) => i.issuer) ?? options.issuer;
    return `: expected ${show(expected)}, got ${claims === undefined ? '(not visible)' : show(claims.iss)}`;
  }
  if (claims === undefined) return '';
  if (name === 'aud') {
    return `: expected ${show(expectedAudience(options, claims.iss))}, got ${show(claims.aud)}`;
  }
  if (name === 'exp' || name === 'nbf' || name === 'iat') {
    return `: ${name} ${instant(claims[name])}, now ${new Date(nowMs).toISOString()}`;
  }
  return name in claims ? `: ${name} is ${show(claims[name])}` : `: no ${name} claim`;
}

/** What explain could not present for a sender-constrained token. */
function bindingHint(cnf: unknown, options: VerifierOptions, proofGiven: boolean): string {
  if (typeof cnf !== 'object' || cnf === null) return '';
  if ('x5t#S256' in cnf) {
    return ' (explain has no TLS connection: a certificate-bound token is accepted only with the client certificate, by verifyRequest)';
  }
  if ('jkt' in cnf && options.dpop !== undefined && !proofGiven) {
    return ' (explain has no request: give --dpop-proof, --method and --url)';
  }
  return '';
}

/** The line of a stage that completed. */
function okDetail(report: TokenStageReport, inspection: UnverifiedView | undefined): ExplainLine {
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
        status: inspection?.kind === 'JWE' ? 'ok' : 'skipped',
        detail:
          inspection?.kind === 'JWE'
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

/** The stage that refused the token: the first token stage not reported, or a later check. */
function refusingStage(reports: readonly TokenStageReport[], code: string): string {
  if (reports.length < TOKEN_STAGE_NAMES.length) {
    // Without any report the token never reached the stages: an opaque token sent to
    // introspection (or refused for not being a JWS or JWE).
    if (reports.length === 0 && LATER_CHECKS[2]![1].test(code)) return 'introspection';
    return TOKEN_STAGE_NAMES[reports.length] as string;
  }
  return LATER_CHECKS.find(([, codes]) => codes.test(code))?.[0] ?? 'after verification';
}

/**
 * The account of one verification.
 *
 * @param reports The stages the verifier completed, in order, from `observeTokenStages`.
 * @param inspection What the token shows without a key (undefined when not looked at, or when it
 *   is not a JWS or JWE).
 * @param options The options the verifier ran with, for the expected values of a refused claim.
 * @param nowMs The instant of the verification.
 * @param proofGiven Whether the verification was given a DPoP proof (`--dpop-proof`).
 * @example `const lines = explainStages(reports, outcome, inspectToken(token), options, Date.now())`
 */
export function explainStages(
  reports: readonly TokenStageReport[],
  outcome: ExplainOutcome,
  inspection: UnverifiedView | undefined,
  options: VerifierOptions,
  nowMs: number,
  proofGiven = false,
): ExplainLine[] {
  const lines = reports.map((r) => okDetail(r, inspection));
  if (outcome.accepted) {
    const { binding } = outcome.token;
    const bound =
      binding.scheme === 'dpop'
        ? `DPoP proof checked, jkt ${String(binding.jkt)}`
        : binding.scheme === 'mtls'
          ? `client certificate checked, x5t#S256 ${String(binding.x5t)}`
          : 'bearer (not sender-constrained)';
    if (reports.length === 0) {
      lines.push({ stage: 'introspection', status: 'ok', detail: 'active' });
    }
    lines.push({ stage: 'binding', status: 'ok', detail: bound });
    return lines;
  }
  const { error } = outcome;
  const stage = refusingStage(reports, error.code);
  // The claims the verifier had vouched for (signature checked) before the refusal; for a
  // signed-only token refused before that, the unverified ones it shows anyway.
  const vouched = reports.findLast((r) => r.claims !== undefined)?.claims;
  const visible = vouched ?? (inspection?.kind === 'JWS' ? inspection.claims : undefined);
  let detail = `${error.code}: ${error.message}${claimDetail(error, visible, options, nowMs)}`;
  if (vouched === undefined && visible !== undefined && error.claim !== undefined) {
    detail += ' (claims not verified)';
  }
  if (stage === 'jws' && inspection?.kind === 'JWS') {
    const { alg, kid } = inspection.header;
    detail += ` (header alg ${show(alg)}${kid === undefined ? '' : `, kid ${show(kid)}`}, not verified)`;
  }
  if (stage === 'binding') detail += bindingHint(vouched?.cnf, options, proofGiven);
  lines.push({ stage, status: 'refused', detail });
  const at = TOKEN_STAGE_NAMES.indexOf(stage as (typeof TOKEN_STAGE_NAMES)[number]);
  if (at >= 0) {
    for (const later of TOKEN_STAGE_NAMES.slice(at + 1)) {
      if (later === 'replicated-claims' && inspection?.kind !== 'JWE') continue;
      lines.push({ stage: later, status: 'not reached', detail: 'not reached' });
    }
  }
  return lines;
}

/**
 * The lines as text: `stage: detail`, the refusal upper-cased, ending in the verdict (ACCEPTED,
 * REFUSED, or UNAVAILABLE when the verifier could not say).
 *
 * @example `io.stdout(renderStages(lines, outcome))`
 */
export function renderStages(lines: readonly ExplainLine[], outcome: ExplainOutcome): string {
  const text = lines
    .filter((l) => !(l.stage === 'replicated-claims' && l.status === 'skipped'))
    .map((l) => `${l.stage}: ${l.status === 'refused' ? `REFUSED ${l.detail}` : l.detail}`);
  if (outcome.accepted) text.push('verdict: ACCEPTED');
  else {
    const { error } = outcome;
    const attribute = error.error === undefined ? '' : ` ${error.error}`;
    // A 503 is no verdict on the token: a key source or another dependency could not answer.
    const verdict = error.status >= 500 ? 'UNAVAILABLE' : 'REFUSED';
    text.push(`verdict: ${verdict} (${error.status}${attribute}, ${error.code})`);
  }
  return `${text.join('\n')}\n`;
}
