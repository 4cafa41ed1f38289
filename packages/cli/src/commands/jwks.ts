/** `tokenward jwks <files…>`: the public JWK Set of key files, to publish or to configure a verifier with. */
import type { Command } from 'commander';
import type { CliIo } from '../io';
import { publicJwkOf, type PublicJwk } from '../key-files/public-jwk';
import { readKeyFile } from '../key-files/read-keys';

/**
 * Adds `jwks`. Every key of every file (JWK, JWK Set, PEM, `dpop key` file) becomes one public
 * member, `kid` kept or set to the RFC 7638 thumbprint; private members are never copied, since
 * the public members come from node:crypto's export of the public key alone. Exit code 0: printed;
 * 2: an unreadable file, a file without a key, or a symmetric key (which has no public part).
 *
 * @example `tokenward jwks issuer-key.json next-issuer-key.json > jwks.json`
 */
export function registerJwks(program: Command, io: CliIo): void {
  program
    .command('jwks')
    .description(
      'Print the public JWK Set of private (or public) key files; never a private member.',
    )
    .argument('<files...>', 'key files: JWK, JWK Set or PEM')
    .option('--json', 'print compact JSON on one line')
    .action(async (files: string[], flags: { json?: boolean }) => {
      const keys: PublicJwk[] = [];
      for (const file of files) {
        for (const key of readKeyFile(file, 'jwks'))
          keys.push(await publicJwkOf(key, `jwks: ${file}`));
      }
      io.stdout(`${JSON.stringify({ keys }, null, flags.json === true ? undefined : 2)}\n`);
      io.exit(0);
    });
}
