/** Key files named on the command line. */
import { readFileSync } from 'node:fs';
import { UsageError } from './io';

/**
 * The trail keys from their files: the chain key file holds the key text exactly as the sink was
 * given it (a trailing newline is ignored), the public key file an Ed25519 public key in PEM.
 *
 * @throws UsageError naming the option when a file cannot be read.
 * @example `const keys = readTrailKeys({ chainKeyFile: 'chain.key', publicKeyFile: 'audit.pub.pem' })`
 */
export function readTrailKeys(options: { chainKeyFile: string; publicKeyFile: string }): {
  chainKey: string;
  publicKey: string;
} {
  return {
    chainKey: readText(options.chainKeyFile, '--chain-key-file').replace(/\r?\n$/, ''),
    publicKey: readText(options.publicKeyFile, '--public-key-file'),
  };
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
