/**
 * `tokenward dpop key` and `tokenward dpop proof`: a DPoP key pair and proofs for it (RFC 9449),
 * so a DPoP-bound API can be called from a shell (`curl -H "DPoP: $(tokenward dpop proof …)"`).
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { jwkThumbprint } from '@tokenward/core';
import { importJWK, SignJWT } from 'jose';
import { UsageError, type CliIo } from '../io';

/** Proof algorithms the CLI makes keys for. */
const ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const;
type ProofAlgorithm = (typeof ALGORITHMS)[number];

/** The key file: the private JWK with the algorithm it signs with. */
interface KeyFile {
  readonly alg: ProofAlgorithm;
  readonly jwk: Record<string, string>;
}

function generate(alg: ProofAlgorithm): KeyObject {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    default:
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};

/** The public members of a private JWK. */
function publicJwk(jwk: Record<string, string>): Record<string, string> {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''] ?? [];
  return Object.fromEntries(members.map((m) => [m, jwk[m] as string]));
}

function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--key: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the file: never echo a file that may hold a secret.
    parsed = undefined;
  }
  const file = parsed as Partial<KeyFile>;
  if (
    typeof file !== 'object' ||
    file === null ||
    !ALGORITHMS.includes(file.alg as ProofAlgorithm) ||
    typeof file.jwk !== 'object' ||
    file.jwk === null ||
    typeof file.jwk.d !== 'string'
  ) {
    throw new UsageError(`--key: ${path} is not a key file written by tokenward dpop key`);
  }
  return file as KeyFile;
}

/**
 * Adds `dpop key` and `dpop proof` to the program.
 *
 * @example `tokenward dpop key --out dpop-key.json && tokenward dpop proof --key dpop-key.json --method GET --url https://api.example.com/messages --token "$TOKEN"`
 */
export function registerDPoP(program: Command, io: CliIo): void {
  const dpop = program.command('dpop').description('DPoP keys and proofs (RFC 9449).');
  dpop
    .command('key')
    .description('Generate a DPoP key pair; prints its thumbprint (the cnf.jkt to bind tokens to).')
    .requiredOption('--out <path>', 'where to write the key file (private: mode 0600)')
    .option('--alg <alg>', `signature algorithm (${ALGORITHMS.join(', ')})`, 'ES256')
    .action((flags: { out: string; alg: string }) => {
      if (!ALGORITHMS.includes(flags.alg as ProofAlgorithm)) {
        throw new UsageError(`--alg: expected one of ${ALGORITHMS.join(', ')}`);
      }
      const alg = flags.alg as ProofAlgorithm;
      const jwk = generate(alg).export({ format: 'jwk' }) as Record<string, string>;
      try {
        writeFileSync(flags.out, `${JSON.stringify({ alg, jwk })}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        throw new UsageError(`--out: cannot create ${flags.out} (${(error as Error).message})`);
      }
      io.stdout(`${jwkThumbprint(publicJwk(jwk)) as string}\n`);
      io.exit(0);
    });
  dpop
    .command('thumbprint')
    .description('Print the RFC 7638 thumbprint (cnf.jkt) of a key file.')
    .requiredOption('--key <path>', 'a key file written by tokenward dpop key')
    .action((flags: { key: string }) => {
      io.stdout(`${jwkThumbprint(publicJwk(readKeyFile(flags.key).jwk)) as string}\n`);
      io.exit(0);
    });
  dpop
    .command('proof')
    .description('Print a fresh DPoP proof for one request.')
    .requiredOption('--key <path>', 'a key file written by tokenward dpop key')
    .requiredOption('--method <method>', 'the request method (htm)')
    .requiredOption('--url <url>', 'the request URL (htu; its query and fragment are dropped)')
    .option('--token <token>', 'the access token, for ath')
    .option('--nonce <nonce>', "the server's DPoP-Nonce")
    .action(
      async (flags: {
        key: string;
        method: string;
        url: string;
        token?: string;
        nonce?: string;
      }) => {
        const { alg, jwk } = readKeyFile(flags.key);
        let url: URL;
        try {
          url = new URL(flags.url);
        } catch {
          throw new UsageError(`--url: expected an absolute URL, got ${flags.url}`);
        }
        const claims: Record<string, unknown> = {
          jti: randomUUID(),
          htm: flags.method,
          htu: `${url.protocol}//${url.host}${url.pathname}`,
          iat: Math.floor(Date.now() / 1000),
          ...(flags.token !== undefined && {
            ath: createHash('sha256').update(flags.token, 'latin1').digest('base64url'),
          }),
          ...(flags.nonce !== undefined && { nonce: flags.nonce }),
        };
        const proof = await new SignJWT(claims)
          .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: publicJwk(jwk) })
          .sign(await importJWK(jwk, alg));
        io.stdout(`${proof}\n`);
        io.exit(0);
      },
    );
}
