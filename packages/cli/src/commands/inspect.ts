/**
 * `tokenward inspect <token|->`: what a token shows without any key. A JWS: its header and
 * claims, not verified. A JWE: its protected header; for a nested token the inner JWS header
 * and the claims are encrypted, and no key means no look at them.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io';
import {
  describeTimes,
  inspectToken,
  TokenShapeError,
  type Inspection,
} from '../tokens/inspect-token';
import { readTokenArgument } from '../tokens/token-input';

/** What a JWS does not tell without the issuer's key. */
const JWS_UNSEEN = [
  'whether the signature is valid (tokenward explain --config <file> checks it)',
  'whether a verifier would accept the token',
];
/** What a nested JWE does not tell without the decryption key. */
const NESTED_UNSEEN = [
  'the inner JWS header: it is encrypted and cannot be seen without the decryption key (tokenward decrypt --key <file>)',
  'the claims: they are encrypted and cannot be seen without the decryption key',
  'whether the signature is valid',
];
/** What a JWE that does not announce a nested JWT does not tell. */
const OPAQUE_UNSEEN = [
  'the content: it is encrypted and cannot be seen without the decryption key (tokenward decrypt --key <file>)',
  'whether it is a signed JWT: the header has no cty "JWT"',
];

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

function unseen(seen: Inspection): string[] {
  if (seen.kind === 'JWS') return JWS_UNSEEN;
  return seen.nested ? NESTED_UNSEEN : OPAQUE_UNSEEN;
}

function render(seen: Inspection): string {
  const lines: string[] = [];
  if (seen.kind === 'JWS') {
    lines.push('JWS (compact, 3 segments): signed, not encrypted');
    lines.push('header:', pretty(seen.header));
    lines.push('claims (NOT VERIFIED: the signature was not checked):', pretty(seen.claims));
    lines.push(...describeTimes(seen.claims));
    lines.push(`signature: ${seen.signatureBytes} bytes, not checked`);
  } else {
    lines.push('JWE (compact, 5 segments): encrypted');
    lines.push('protected header:', pretty(seen.header));
    lines.push(
      `encrypted key: ${seen.encryptedKeyBytes} bytes, ciphertext: ${seen.ciphertextBytes} bytes`,
    );
    if (seen.nested) {
      lines.push(
        `inner: a nested JWT (cty ${JSON.stringify(seen.header.cty)}): without the decryption key the inner JWS header and the claims cannot be seen`,
      );
    }
  }
  lines.push('cannot see:', ...unseen(seen).map((what) => `  - ${what}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `inspect`. Exit code 0: a JWS or JWE was read; 1: the input is not a compact token (or its
 * header does not decode); 2: a usage error (an empty or over-long input).
 *
 * @example `tokenward inspect "$TOKEN"` or `pbpaste | tokenward inspect -`
 */
export function registerInspect(program: Command, io: CliIo): void {
  program
    .command('inspect')
    .description(
      "Show what a token reveals without a key: headers, and a JWS's claims (not verified).",
    )
    .argument('<token>', 'the token, or - to read it from stdin')
    .option(
      '--json',
      'print { kind, segments, header, claims, verified, nested, cannotSee } as JSON',
    )
    .action(async (argument: string, flags: { json?: boolean }) => {
      const token = await readTokenArgument(argument, io.stdin);
      let seen: Inspection;
      try {
        seen = inspectToken(token);
      } catch (error) {
        if (!(error instanceof TokenShapeError)) throw error;
        if (flags.json === true) io.stdout(`${pretty({ kind: null, error: error.message })}\n`);
        else io.stdout(`not a token: ${error.message}\n`);
        io.exit(1);
        return;
      }
      if (flags.json === true) {
        const { kind, segments, header } = seen;
        io.stdout(
          `${pretty({
            kind,
            segments,
            header,
            ...(seen.kind === 'JWS'
              ? { claims: seen.claims, verified: false }
              : { nested: seen.nested }),
            cannotSee: unseen(seen),
          })}\n`,
        );
      } else io.stdout(render(seen));
      io.exit(0);
    });
}
