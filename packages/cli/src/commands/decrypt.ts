/**
 * `tokenward decrypt --key <file> <token|->`: opens a JWE with the resource server's private key
 * and shows the inner JWS header and claims, not verified.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io';
import { readKeyFile } from '../key-files/read-keys';
import {
  decodeSegmentJson,
  describeTimes,
  inspectToken,
  TokenShapeError,
  withoutKeyMaterial,
} from '../tokens/inspect-token';
import { DecryptionError, openJWE } from '../tokens/open-jwe';
import { readTokenArgument } from '../tokens/token-input';

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/** What the plaintext of a JWE is. */
type Content =
  | { kind: 'JWS'; header: Record<string, unknown>; claims: Record<string, unknown> }
  | { kind: 'claims'; claims: Record<string, unknown> }
  | { kind: 'other'; bytes: number };

function readContent(plaintext: string): Content {
  const segments = plaintext.split('.');
  if (segments.length === 3) {
    try {
      return {
        kind: 'JWS',
        header: withoutKeyMaterial(decodeSegmentJson(segments[0] as string, 'inner header')),
        claims: decodeSegmentJson(segments[1] as string, 'claims'),
      };
    } catch {
      // Not a JWS after all: described as other content below.
    }
  }
  try {
    const claims = JSON.parse(plaintext) as unknown;
    if (typeof claims === 'object' && claims !== null && !Array.isArray(claims)) {
      return { kind: 'claims', claims: claims as Record<string, unknown> };
    }
  } catch {
    // Neither a JWS nor JSON.
  }
  return { kind: 'other', bytes: Buffer.byteLength(plaintext) };
}

function render(
  header: Record<string, unknown>,
  kid: string | undefined,
  content: Content,
): string {
  const lines = [
    'JWE protected header:',
    pretty(header),
    `decrypted with: ${kid === undefined ? 'the key' : `kid ${kid}`} (alg ${String(header.alg)}, enc ${String(header.enc)})`,
  ];
  if (content.kind === 'JWS') {
    lines.push('inner JWS header:', pretty(content.header));
    lines.push('claims (NOT VERIFIED: the signature was not checked):', pretty(content.claims));
    lines.push(...describeTimes(content.claims));
  } else if (content.kind === 'claims') {
    lines.push('content: a bare claims set, not signed (NOT VERIFIED):', pretty(content.claims));
  } else lines.push(`content: ${content.bytes} bytes, neither a JWS nor JSON`);
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `decrypt`. Exit code 0: opened; 1: not a JWE, an algorithm tokenward refuses, or no key
 * in the file opens it; 2: a usage error or an unreadable key file.
 *
 * @example `tokenward decrypt --key api-enc-key.json "$TOKEN"`
 */
export function registerDecrypt(program: Command, io: CliIo): void {
  program
    .command('decrypt')
    .description(
      'Open a JWE with a private key and show the inner JWS header and claims (not verified).',
    )
    .argument('<token>', 'the token, or - to read it from stdin')
    .requiredOption('--key <file>', 'the private decryption key: JWK, private JWK Set or PEM')
    .option('--json', 'print { encryption, kid, kind, header, claims, verified } as JSON')
    .action(async (argument: string, flags: { key: string; json?: boolean }) => {
      const keys = readKeyFile(flags.key, '--key');
      const token = await readTokenArgument(argument, io.stdin);
      const refuse = (message: string) => {
        if (flags.json === true) io.stdout(`${pretty({ decrypted: false, error: message })}\n`);
        else io.stdout(`cannot decrypt: ${message}\n`);
        io.exit(1);
      };
      try {
        const seen = inspectToken(token);
        if (seen.kind !== 'JWE') {
          refuse('not a JWE: a JWS is not encrypted (tokenward inspect shows it)');
          return;
        }
        const { plaintext, kid } = await openJWE(
          token,
          decodeSegmentJson(token.split('.')[0] as string),
          keys,
        );
        const content = readContent(plaintext);
        if (flags.json === true) {
          io.stdout(
            `${pretty({
              decrypted: true,
              encryption: seen.header,
              ...(kid !== undefined && { kid }),
              kind: content.kind,
              ...(content.kind === 'JWS' && { header: content.header }),
              ...(content.kind !== 'other' && { claims: content.claims, verified: false }),
            })}\n`,
          );
        } else io.stdout(render(seen.header, kid, content));
        io.exit(0);
      } catch (error) {
        if (error instanceof TokenShapeError || error instanceof DecryptionError) {
          refuse(error.message);
          return;
        }
        throw error;
      }
    });
}
