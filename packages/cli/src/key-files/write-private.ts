/** Writes a private key file: created with mode 0600, never overwritten without `--force`. */
import { closeSync, fchmodSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../io';

/**
 * Writes `content` to `path`, readable by its owner only. Without `force` an existing file is
 * refused (`wx`); with it the file is narrowed to 0600 before the key is written into it, so the
 * key never sits in a file others can read.
 *
 * @throws UsageError naming `--out` when the file cannot be created or written.
 * @example `writePrivateFile('key.json', json, { force: false })`
 */
export function writePrivateFile(path: string, content: string, options: { force: boolean }): void {
  let fd: number;
  try {
    fd = openSync(path, options.force ? 'w' : 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      code === 'EEXIST'
        ? `--out: ${path} exists; give --force to replace it`
        : `--out: cannot create ${path} (${code})`,
    );
  }
  try {
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    writeSync(fd, content);
  } catch (error) {
    throw new UsageError(
      `--out: cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    closeSync(fd);
  }
}
