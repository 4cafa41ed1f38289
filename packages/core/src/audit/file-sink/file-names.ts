/** Names of trail files: `<prefix>-<YYYYMMDD>-<index>.jsonl`, sortable by name. */
import { readdir } from 'node:fs/promises';

const INDEX_DIGITS = 6;

/** The UTC day of a time, as `YYYYMMDD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * The file name of the trail file with that index, opened on that day.
 *
 * @example `trailFileName('audit', '20261202', 7) // 'audit-20261202-000007.jsonl'`
 */
export function trailFileName(prefix: string, day: string, index: number): string {
  return `${prefix}-${day}-${String(index).padStart(INDEX_DIGITS, '0')}.jsonl`;
}

/**
 * The trail files of `prefix` in `directory`, in sequence order (by index), as names.
 *
 * @example `const names = await listTrailFiles('/var/log/audit', 'audit')`
 */
export async function listTrailFiles(directory: string, prefix: string): Promise<string[]> {
  const pattern = new RegExp(`^${escape(prefix)}-(\\d{8})-(\\d{${INDEX_DIGITS},})\\.jsonl$`);
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  return entries
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((e): e is { name: string; match: RegExpExecArray } => e.match !== null)
    .sort((a, b) => Number(a.match[2]) - Number(b.match[2]))
    .map((e) => e.name);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
