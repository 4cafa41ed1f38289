/**
 * The compliance report as one self-contained HTML page: inline CSS and SVG, no script, no
 * external resource, readable on screen and on paper. Every trail value is escaped.
 */
import { CONTROLS, type ReportSection } from './controls';
import { html, percent } from './escape';
import type { ComplianceReport } from './model';
import { horizontalBars, shareBar, stackedBars } from './svg-chart';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;max-width:900px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:2rem 0 .4rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.controls{color:#57606a;font-size:.85rem;margin:.1rem 0 .6rem}.controls span{border:1px solid #d0d7de;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
table{border-collapse:collapse;margin:.4rem 0;min-width:50%}th,td{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}.muted{color:#57606a}
.chart .allow{fill:#2da44e}.chart .deny{fill:#cf222e}.chart .track{fill:#eaeef2}.chart .axis{stroke:#8c959f}.chart text{font-size:11px;fill:#57606a}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}section{break-inside:avoid}}
`;

const section = (id: ReportSection, body: string): string => {
  const { title, controls } = CONTROLS[id];
  return (
    `<section id="${id}"><h2>${html(title)}</h2>` +
    `<p class="controls">Evidence for ${controls.map((c) => `<span>${html(c)}</span>`).join('')}</p>${body}</section>`
  );
};

const table = (
  head: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  empty = 'none recorded',
): string =>
  rows.length === 0
    ? `<p class="muted">${html(empty)}</p>`
    : `<table><thead><tr>${head.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map(
          (r) =>
            `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="n">${c}</td>` : `<td>${html(c)}</td>`)).join('')}</tr>`,
        )
        .join('')}</tbody></table>`;

/** Encryption coverage per issuer or per client. */
const coverageTable = (
  label: string,
  rows: ReadonlyArray<{ name: string; accepted: number; encrypted: number }>,
): string =>
  table(
    [label, 'Accepted', 'Encrypted', 'Coverage'],
    rows.map((x) => [
      x.name,
      x.accepted,
      x.encrypted,
      percent(x.accepted === 0 ? null : x.encrypted / x.accepted),
    ]),
  );

/**
 * Renders `report` as HTML.
 *
 * @example `writeFileSync('report.html', renderHtml(await buildComplianceReport(files)))`
 */
export function renderHtml(report: ComplianceReport): string {
  const r = report;
  const parts: string[] = [];
  parts.push(
    section(
      'summary',
      table(
        ['', ''],
        [
          ['Period', `${r.period.from ?? 'start of trail'} – ${r.period.to ?? 'end of trail'}`],
          ['Events in period', r.sources.events],
          ['First / last event', `${r.period.firstEvent ?? '—'} / ${r.period.lastEvent ?? '—'}`],
          ['Files', r.sources.files.join(', ')],
          ['Lines read', r.sources.lines],
          ['Outside the period', r.sources.outsidePeriod],
          ['Unknown schema version', r.sources.unknownSchema],
          ['Malformed lines', r.sources.malformed],
          ['Over-long lines', r.sources.tooLong],
        ],
      ),
    ),
  );
  parts.push(
    section(
      'decisions',
      `<p>Allowed <strong id="allowed">${r.decisions.total.allow}</strong>, denied <strong id="denied">${r.decisions.total.deny}</strong>, per ${r.decisions.bucket}.</p>` +
        stackedBars(
          r.decisions.timeline.map((t) => ({ label: t.at, allow: t.allow, deny: t.deny })),
          'Decisions over time',
        ) +
        table(
          ['Stage', 'Allowed', 'Denied'],
          Object.entries(r.decisions.byStage).map(([stage, t]) => [stage, t.allow, t.deny]),
        ),
    ),
  );
  parts.push(
    section(
      'invalid',
      `<p>Denied attempts: <strong id="invalid-total">${r.invalid.total}</strong>.</p>` +
        horizontalBars(
          r.invalid.byReason.map((x) => ({ label: x.reason, value: x.count })),
          'Denials by reason',
        ) +
        table(
          ['Reason', 'Status', 'Count'],
          r.invalid.byReason.map((x) => [x.reason, x.status, x.count]),
        ) +
        table(
          ['Client address', 'Denied'],
          r.invalid.byIp.map((x) => [x.ip, x.count]),
        ) +
        (r.invalid.otherIps > 0
          ? `<p class="muted">${r.invalid.otherIps} more addresses not listed.</p>`
          : ''),
    ),
  );
  parts.push(
    section(
      'access',
      table(
        ['Client (pseudonym)', 'Allowed', 'Denied'],
        r.access.byClient.map((x) => [x.client, x.allow, x.deny]),
      ) +
        table(
          ['Route', 'Allowed', 'Denied'],
          r.access.byRoute.map((x) => [x.route, x.allow, x.deny]),
        ) +
        `<p class="muted">${r.access.withoutClient} decisions name no client (no token, or no pseudonymisation key).</p>`,
    ),
  );
  parts.push(
    section(
      'encryption',
      `<p>Encrypted: <strong id="coverage">${percent(r.encryption.coverage)}</strong> of ${r.encryption.accepted} accepted tokens (${r.encryption.encrypted} encrypted).</p>` +
        shareBar(r.encryption.coverage, 'Encryption coverage') +
        coverageTable(
          'Issuer',
          r.encryption.byIssuer.map((x) => ({ ...x, name: x.issuer })),
        ) +
        coverageTable(
          'Client (pseudonym)',
          r.encryption.byClient.map((x) => ({ ...x, name: x.client })),
        ) +
        table(
          ['Layer', 'Algorithm', 'Tokens', 'Flag'],
          r.encryption.algorithms.map((x) => [x.kind.toUpperCase(), x.alg, x.count, x.weak ?? '']),
        ),
    ),
  );
  parts.push(
    section(
      'keys',
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
    ),
  );
  parts.push(
    section(
      'lifetimes',
      `<p>${r.lifetimes.counted} accepted tokens state their lifetime; longest ${r.lifetimes.max ?? '—'} s. ` +
        (r.lifetimes.policy === null
          ? 'No lifetime policy given (--max-token-lifetime).'
          : `Over the ${r.lifetimes.policy} s policy: <strong id="over-policy" class="${r.lifetimes.overPolicy > 0 ? 'bad' : 'ok'}">${r.lifetimes.overPolicy}</strong>.`) +
        '</p>' +
        table(
          ['Lifetime up to', 'Tokens'],
          r.lifetimes.buckets.map((b) => [b.upTo, b.count]),
        ),
    ),
  );
  parts.push(
    section(
      'lifecycle',
      table(
        ['Event', 'Reason', 'Count'],
        r.lifecycle.map((x) => [x.kind, x.reason, x.count]),
      ),
    ),
  );
  parts.push(
    section(
      'pipeline',
      `<p>Events lost before reaching the trail: <strong id="dropped" class="${r.pipeline.droppedEvents > 0 ? 'bad' : 'ok'}">${r.pipeline.droppedEvents}</strong> (${r.pipeline.reports} reports).</p>` +
        table(
          ['Cause', 'Events'],
          Object.entries(r.pipeline.byCause).map(([c, n]) => [c, n]),
          'no loss recorded',
        ),
    ),
  );
  const integrity = r.integrity;
  parts.push(
    section(
      'integrity',
      !integrity.checked
        ? '<p id="integrity-verdict" class="muted">Not checked: no keys given (--chain-key-file, --public-key-file).</p>'
        : integrity.ok
          ? `<p id="integrity-verdict" class="ok">Intact: ${integrity.events} events, ${integrity.sealed ? 'sealed' : 'not sealed (live)'}${integrity.warnings > 0 ? `, ${integrity.warnings} warning(s)` : ''}.</p>`
          : `<p id="integrity-verdict" class="bad">Tampered: ${integrity.problems} problem(s); first: ${html(integrity.firstProblem)}</p>`,
    ),
  );
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tokenward compliance report</title>` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head><body>` +
    `<h1>Access token compliance report</h1><p class="muted">Generated ${html(r.generatedAt)} by tokenward from ${r.sources.files.length} audit file(s).</p>` +
    `${parts.join('')}</body></html>\n`
  );
}
