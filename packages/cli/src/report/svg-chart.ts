/** Inline SVG charts for the HTML report: no script, no external resource, printable. */
import { html } from './escape';

/** One bar of a stacked chart. */
export interface StackedBar {
  readonly label: string;
  readonly allow: number;
  readonly deny: number;
}

/**
 * Vertical stacked bars (allow below, deny on top), one per bucket.
 *
 * @example `stackedBars(report.decisions.timeline.map((t) => ({ label: t.at, allow: t.allow, deny: t.deny })))`
 */
export function stackedBars(bars: readonly StackedBar[], title: string): string {
  const width = 720;
  const height = 200;
  const pad = 30;
  const max = Math.max(1, ...bars.map((b) => b.allow + b.deny));
  const slot = bars.length === 0 ? 0 : (width - pad * 2) / bars.length;
  const scale = (n: number) => (n / max) * (height - pad * 2);
  const rects = bars
    .map((b, i) => {
      const x = pad + i * slot + slot * 0.1;
      const w = Math.max(1, slot * 0.8);
      const ha = scale(b.allow);
      const hd = scale(b.deny);
      const base = height - pad;
      return (
        `<g class="bar"><title>${html(b.label)}: ${b.allow} allowed, ${b.deny} denied</title>` +
        `<rect class="allow" x="${x.toFixed(1)}" y="${(base - ha).toFixed(1)}" width="${w.toFixed(1)}" height="${ha.toFixed(1)}"/>` +
        `<rect class="deny" x="${x.toFixed(1)}" y="${(base - ha - hd).toFixed(1)}" width="${w.toFixed(1)}" height="${hd.toFixed(1)}"/></g>`
      );
    })
    .join('');
  return (
    `<svg class="chart" role="img" aria-label="${html(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" class="axis"/>` +
    `<text x="${pad}" y="${pad - 10}" class="note">max ${max} per bucket</text>${rects}</svg>`
  );
}

/**
 * Horizontal bars with labels, for counts by reason.
 *
 * @example `horizontalBars([{ label: 'ERR_TOKEN_EXPIRED', value: 12 }], 'Denials by reason')`
 */
export function horizontalBars(
  rows: ReadonlyArray<{ label: string; value: number }>,
  title: string,
): string {
  const width = 720;
  const row = 22;
  const labelWidth = 260;
  const height = Math.max(row, rows.length * row) + 10;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const bars = rows
    .map((r, i) => {
      const y = 5 + i * row;
      const w = (r.value / max) * (width - labelWidth - 60);
      return (
        `<g class="hbar"><text x="0" y="${y + 15}" class="label">${html(r.label)}</text>` +
        `<rect class="deny" x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}"/>` +
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" class="value">${r.value}</text></g>`
      );
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="${html(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars}</svg>`;
}

/**
 * One bar filled to `share` (0–1), for coverage.
 *
 * @example `shareBar(0.93, 'Encryption coverage')`
 */
export function shareBar(share: number | null, title: string): string {
  const width = 720;
  const filled = (share ?? 0) * (width - 2);
  return (
    `<svg class="chart" role="img" aria-label="${html(title)}" viewBox="0 0 ${width} 24" width="${width}" height="24">` +
    `<rect class="track" x="1" y="1" width="${width - 2}" height="22"/>` +
    `<rect class="allow" x="1" y="1" width="${filled.toFixed(1)}" height="22"/></svg>`
  );
}
