/**
 * The first and the last line of a trail file, read from its two ends only: resuming a trail
 * after a restart costs two small reads, not a read of a file of up to `maxFileBytes`.
 */
import { open } from 'node:fs/promises';

/** Bytes read at each end; every line the sink writes is far shorter. */
const END_BYTES = 64 * 1024;

/**
 * The first line and the last newline-terminated line of `path` (a line cut by a crash is not
 * complete, so it is skipped), or undefined for an empty file.
 *
 * @example `const { first, last } = (await readFileEnds(path)) ?? {}`
 */
export async function readFileEnds(
  path: string,
): Promise<{ readonly first: string; readonly last: string } | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return undefined;
    const headLength = Math.min(size, END_BYTES);
    const head = Buffer.alloc(headLength);
    await handle.read(head, 0, headLength, 0);
    const tailStart = Math.max(0, size - END_BYTES);
    const tail = Buffer.alloc(size - tailStart);
    await handle.read(tail, 0, tail.length, tailStart);
    const first = head.toString('utf8').split('\n', 1)[0] as string;
    const text = tail.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { first, last: '' };
    const start = text.lastIndexOf('\n', end - 1);
    return { first, last: text.slice(start + 1, end) };
  } finally {
    await handle.close();
  }
}
