/**
 * `tokenward keygen`: a signing or encryption key pair for an issuer or a resource server. The
 * private key goes to a file (mode 0600), the public key to stdout.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { calculateJwkThumbprint } from 'jose';
import { UsageError, type CliIo } from '../io';
import { publicJwkOf } from '../key-files/public-jwk';
import { writePrivateFile } from '../key-files/write-private';

/** Options of `keygen`. */
interface KeygenFlags {
  type: string;
  curve?: string;
  use: string;
  alg?: string;
  kid?: string;
  bits: string;
  format: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

/** ECDH-ES key agreement, for EC and X25519 encryption keys (RFC 7518 §4.6, RFC 8037). */
const ECDH = ['ECDH-ES+A256KW', 'ECDH-ES+A192KW', 'ECDH-ES+A128KW', 'ECDH-ES'] as const;

/** The algorithms each key fits, the first being the default (RFC 7518 §3.1, §4.1). */
const ALGORITHMS: Readonly<Record<string, { sig: readonly string[]; enc: readonly string[] }>> = {
  rsa: {
    sig: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    enc: ['RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512', 'RSA-OAEP'],
  },
  'P-256': { sig: ['ES256'], enc: ECDH },
  'P-384': { sig: ['ES384'], enc: ECDH },
  'P-521': { sig: ['ES512'], enc: ECDH },
  Ed25519: { sig: ['EdDSA'], enc: [] },
  X25519: { sig: [], enc: ECDH },
};

const CURVES: Readonly<Record<string, readonly string[]>> = {
  ec: ['P-256', 'P-384', 'P-521'],
  okp: ['Ed25519', 'X25519'],
};

function generate(type: string, curve: string, bits: number): KeyObject {
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
  return curve === 'Ed25519'
    ? generateKeyPairSync('ed25519').privateKey
    : generateKeyPairSync('x25519').privateKey;
}

/** The checked choices: key type, curve, use and algorithm. */
function choose(flags: KeygenFlags): { curve: string; alg: string; bits: number } {
  if (!['rsa', 'ec', 'okp'].includes(flags.type)) {
    throw new UsageError(`--type: expected rsa, ec or okp, not ${flags.type}`);
  }
  if (flags.use !== 'sig' && flags.use !== 'enc') {
    throw new UsageError(`--use: expected sig or enc, not ${flags.use}`);
  }
  const use = flags.use;
  let curve = 'rsa';
  if (flags.type === 'rsa') {
    if (flags.curve !== undefined) throw new UsageError('--curve: applies to ec and okp keys');
  } else {
    const curves = CURVES[flags.type] as readonly string[];
    curve = flags.curve ?? (flags.type === 'okp' && use === 'enc' ? 'X25519' : curves[0]!);
    if (!curves.includes(curve)) {
      throw new UsageError(`--curve: a ${flags.type} key takes ${curves.join(', ')}`);
    }
  }
  const fitting = (ALGORITHMS[curve] as { sig: readonly string[]; enc: readonly string[] })[use];
  if (fitting.length === 0) {
    throw new UsageError(
      `--use: a ${curve} key cannot be used for ${use === 'sig' ? 'signing' : 'encryption'}`,
    );
  }
  const alg = flags.alg ?? (fitting[0] as string);
  if (!fitting.includes(alg)) {
    throw new UsageError(
      `--alg: a ${curve === 'rsa' ? 'RSA' : curve} ${use} key takes ${fitting.join(', ')}`,
    );
  }
  const bits = Number(flags.bits);
  if (![2048, 3072, 4096].includes(bits))
    throw new UsageError('--bits: expected 2048, 3072 or 4096');
  return { curve, alg, bits };
}

/**
 * Adds `keygen`. Exit code 0: written; 2: a usage error, an existing `--out` without `--force`,
 * or an unwritable file.
 *
 * @example `tokenward keygen --type ec --curve P-256 --use sig --out issuer-key.json > issuer-key.pub.json`
 */
export function registerKeygen(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description(
      'Generate a signing or encryption key pair: private key to a file (0600), public key to stdout.',
    )
    .requiredOption('--type <type>', 'rsa, ec or okp')
    .option('--curve <curve>', 'P-256 (default for ec), P-384, P-521; Ed25519 or X25519 for okp')
    .option('--use <use>', 'sig or enc', 'sig')
    .option('--alg <alg>', 'the algorithm the key is for (default by type, curve and use)')
    .option('--kid <kid>', 'the key id (default: the RFC 7638 thumbprint)')
    .option('--bits <bits>', 'RSA modulus length: 2048, 3072 or 4096', '2048')
    .option('--format <format>', 'jwk (private JWK with kid, use, alg) or pem (PKCS#8)', 'jwk')
    .requiredOption('--out <file>', 'where to write the private key (mode 0600)')
    .option('--force', 'replace an existing --out file')
    .option('--json', 'print { kid, alg, use, file, jwk } as JSON')
    .action(async (flags: KeygenFlags) => {
      if (flags.format !== 'jwk' && flags.format !== 'pem') {
        throw new UsageError(`--format: expected jwk or pem, not ${flags.format}`);
      }
      if (flags.kid === '') throw new UsageError('--kid: must not be empty');
      const { curve, alg, bits } = choose(flags);
      const privateKey = generate(flags.type, curve, bits);
      const privateJwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
      const kid = flags.kid ?? (await calculateJwkThumbprint(privateJwk));
      const content =
        flags.format === 'jwk'
          ? `${JSON.stringify({ ...privateJwk, kid, use: flags.use, alg }, null, 2)}\n`
          : (privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
      writePrivateFile(flags.out, content, { force: flags.force === true });
      const jwk = await publicJwkOf({ key: privateKey, kid, alg, use: flags.use });
      if (flags.json === true) {
        io.stdout(
          `${JSON.stringify({ kid, alg, use: flags.use, file: flags.out, format: flags.format, jwk }, null, 2)}\n`,
        );
      } else if (flags.format === 'pem') {
        io.stdout(createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }) as string);
      } else io.stdout(`${JSON.stringify(jwk, null, 2)}\n`);
      io.exit(0);
    });
}
