/** The compliance report as Markdown: the same sections and control mapping as the HTML. */
import { CONTROLS, type ReportSection } from './controls';
import { md, percent } from './escape';
import type { ComplianceReport } from './model';

const heading = (id: ReportSection) =>
  `## ${CONTROLS[id].title}\n\nEvidence for: ${CONTROLS[id].controls.join(', ')}\n\n`;

const table = (head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string =>
  rows.length === 0
    ? '_none recorded_\n\n'
    : `| ${head.map(md).join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |\n${rows
        .map((r) => `| ${r.map(md).join(' | ')} |`)
        .join('\n')}\n\n`;

/**
 * Renders `report` as Markdown.
 *
 * @example `process.stdout.write(renderMarkdown(report))`
 */
export function renderMarkdown(report: ComplianceReport): string {
  const r = report;
  const i = r.integrity;
  return [
    `# Access token compliance report\n\nGenerated ${r.generatedAt} from ${r.sources.files.length} audit file(s).\n\n`,
    heading('summary'),
    table(
      ['', ''],
      [
        ['Period', `${r.period.from ?? 'start of trail'} – ${r.period.to ?? 'end of trail'}`],
        ['Events in period', r.sources.events],
        [
          'Unknown schema / malformed / over-long lines',
          `${r.sources.unknownSchema} / ${r.sources.malformed} / ${r.sources.tooLong}`,
        ],
      ],
    ),
    heading('decisions'),
    `Allowed ${r.decisions.total.allow}, denied ${r.decisions.total.deny}.\n\n`,
    table(
      ['Stage', 'Allowed', 'Denied'],
      Object.entries(r.decisions.byStage).map(([s, t]) => [s, t.allow, t.deny]),
    ),
    heading('invalid'),
    table(
      ['Reason', 'Status', 'Count'],
      r.invalid.byReason.map((x) => [x.reason, x.status, x.count]),
    ),
    table(
      ['Client address', 'Denied'],
      r.invalid.byIp.map((x) => [x.ip, x.count]),
    ),
    heading('access'),
    table(
      ['Client (pseudonym)', 'Allowed', 'Denied'],
      r.access.byClient.map((x) => [x.client, x.allow, x.deny]),
    ),
    table(
      ['Route', 'Allowed', 'Denied'],
      r.access.byRoute.map((x) => [x.route, x.allow, x.deny]),
    ),
    heading('encryption'),
    `Encrypted: ${percent(r.encryption.coverage)} of ${r.encryption.accepted} accepted tokens.\n\n`,
    table(
      ['Issuer', 'Accepted', 'Encrypted'],
      r.encryption.byIssuer.map((x) => [x.issuer, x.accepted, x.encrypted]),
    ),
    table(
      ['Layer', 'Algorithm', 'Tokens', 'Flag'],
      r.encryption.algorithms.map((x) => [x.kind.toUpperCase(), x.alg, x.count, x.weak ?? '']),
    ),
    heading('keys'),
    table(
      ['Kind', 'Key id', 'Tokens', 'First seen', 'Last seen', 'Days in use', 'State', 'Flag'],
      r.keys.map((k) => [
        k.kind,
        k.kid,
        k.count,
        k.firstSeen,
        k.lastSeen,
        k.daysInUse,
        k.state ?? '',
        k.flag ?? '',
      ]),
    ),
    heading('lifetimes'),
    `${r.lifetimes.counted} tokens, longest ${r.lifetimes.max ?? '—'} s; over policy (${r.lifetimes.policy ?? 'none given'}): ${r.lifetimes.overPolicy}.\n\n`,
    table(
      ['Lifetime up to', 'Tokens'],
      r.lifetimes.buckets.map((b) => [b.upTo, b.count]),
    ),
    heading('lifecycle'),
    table(
      ['Event', 'Reason', 'Count'],
      r.lifecycle.map((x) => [x.kind, x.reason, x.count]),
    ),
    heading('pipeline'),
    `Events lost before reaching the trail: ${r.pipeline.droppedEvents}.\n\n`,
    heading('integrity'),
    !i.checked
      ? 'Not checked: no keys given.\n'
      : i.ok
        ? `Intact: ${i.events} events, ${i.sealed ? 'sealed' : 'not sealed'}.\n`
        : `TAMPERED: ${i.problems} problem(s); first: ${md(i.firstProblem)}\n`,
  ].join('');
}
