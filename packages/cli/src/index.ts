/**
 * @tokenward/cli — the `tokenward` command line, also usable as a library.
 */
export { createProgram } from './program';
export { PROCESS_IO, UsageError } from './io';
export type { CliIo } from './io';
export { buildComplianceReport } from './report/read-report';
export type { ComplianceReport, ReportOptions, Tally } from './report/model';
export { renderHtml } from './report/render-html';
export { renderMarkdown } from './report/render-markdown';
export { CONTROLS } from './report/controls';
export type { ReportSection } from './report/controls';
