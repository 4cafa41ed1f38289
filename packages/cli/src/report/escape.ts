/** Escaping for the report's HTML and Markdown: every value from a trail is untrusted text. */

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML elements and quoted attributes. */
export function html(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML[c] as string);
}

/** Text safe inside a Markdown table cell (no pipes, no line breaks, no inline HTML). */
export function md(value: unknown): string {
  return String(value)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
}

/** A share as a percentage with one decimal (`93.3 %`), or `n/a`. */
export function percent(share: number | null): string {
  return share === null ? 'n/a' : `${(share * 100).toFixed(1)} %`;
}
