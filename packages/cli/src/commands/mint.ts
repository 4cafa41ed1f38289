/**
 * `tokenward mint`: a development access token, signed or nested (signed, then encrypted to the
 * resource server's key), through core's createIssuer, so it is exactly what the verifier
 * expects of an RFC 9068 token.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createIssuer, type IssueClaims, type IssuerOptions } from '@tokenward/core';
import { UsageError, type CliIo } from '../io';
import { thumbprintOf } from '../key-files/public-jwk';
import { readKeyFile, readSingleKey, type FileKey } from '../key-files/read-keys';
import { decodeSegmentJson } from '../tokens/inspect-token';

/** Options of `mint`. */
interface MintFlags {
  key: string;
  alg?: string;
  kid?: string;
  encryptTo?: string;
  encryptKid?: string;
  encAlg?: string;
  enc?: string;
  issuer: string;
  audience: string[];
  subject?: string;
  clientId?: string;
  scope?: string;
  role: string[];
  claim: string[];
  validFor: string;
  dpopJkt?: string;
  dpopKey?: string;
  x5t?: string;
  json?: boolean;
}

/** Claims that have their own option: `--claim` cannot set them behind its back. */
const OWN_OPTION: Readonly<Record<string, string>> = {
  iss: '--issuer',
  aud: '--audience',
  sub: '--subject',
  client_id: '--client-id',
  scope: '--scope',
  roles: '--role',
  exp: '--valid-for',
  iat: '--valid-for',
  cnf: '--dpop-jkt, --dpop-key or --x5t',
};

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds of a duration such as `90`, `90s`, `15m`, `12h` or `7d`.
 *
 * @throws UsageError naming `--valid-for` for anything else.
 */
export function parseDuration(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value);
  const seconds = match === null ? 0 : Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 0);
  if (seconds < 1) {
    throw new UsageError(
      `--valid-for: expected a duration such as 90s, 15m, 12h or 7d, not ${value}`,
    );
  }
  return seconds;
}

/** A `--claim name=json` pair: the value as JSON when it parses, else the text itself. */
function parseClaim(pair: string): [string, unknown] {
  const at = pair.indexOf('=');
  const name = at < 0 ? '' : pair.slice(0, at);
  if (name === '') throw new UsageError(`--claim: expected name=value, not ${pair}`);
  const own = OWN_OPTION[name];
  if (own !== undefined) throw new UsageError(`--claim: set ${name} with ${own}`);
  const text = pair.slice(at + 1);
  try {
    return [name, JSON.parse(text)];
  } catch {
    return [name, text];
  }
}

const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

/** The `cnf` claim of a DPoP- or certificate-bound token, or none. */
async function confirmation(flags: MintFlags): Promise<Record<string, string> | undefined> {
  if (flags.dpopJkt !== undefined && flags.dpopKey !== undefined) {
    throw new UsageError('--dpop-jkt and --dpop-key: give one');
  }
  const cnf: Record<string, string> = {};
  if (flags.dpopJkt !== undefined) {
    if (!BASE64URL_SHA256.test(flags.dpopJkt)) {
      throw new UsageError(
        '--dpop-jkt: expected an RFC 7638 SHA-256 thumbprint (43 base64url characters)',
      );
    }
    cnf.jkt = flags.dpopJkt;
  }
  if (flags.dpopKey !== undefined) {
    cnf.jkt = await thumbprintOf(readSingleKey(flags.dpopKey, '--dpop-key'), '--dpop-key');
  }
  if (flags.x5t !== undefined) {
    if (!BASE64URL_SHA256.test(flags.x5t)) {
      throw new UsageError(
        '--x5t: expected a certificate SHA-256 thumbprint (43 base64url characters)',
      );
    }
    cnf['x5t#S256'] = flags.x5t;
  }
  return Object.keys(cnf).length === 0 ? undefined : cnf;
}

/** The key to encrypt to: the file's one key, the one `--encrypt-kid` names, or its one `enc` key. */
function encryptionKey(path: string, kid: string | undefined): FileKey {
  if (kid !== undefined) return readSingleKey(path, '--encrypt-to', kid);
  const keys = readKeyFile(path, '--encrypt-to');
  const candidates = keys.length === 1 ? keys : keys.filter((k) => k.use === 'enc');
  if (candidates.length !== 1) {
    throw new UsageError(
      `--encrypt-to: ${path} holds ${keys.length} keys, ${candidates.length} with use "enc": name one with --encrypt-kid`,
    );
  }
  return candidates[0] as FileKey;
}

/** The issuer options from the key files and flags. */
function issuerOptions(flags: MintFlags): IssuerOptions {
  const signing = readSingleKey(flags.key, '--key');
  if (signing.use === 'enc')
    throw new UsageError(`--key: ${flags.key} is an encryption key (use "enc")`);
  if (signing.key.type === 'public') {
    throw new UsageError(`--key: ${flags.key} holds a public key; signing needs the private key`);
  }
  const options: IssuerOptions = {
    issuer: flags.issuer,
    ...(signing.key.type === 'secret'
      ? { secret: signing.key.export() }
      : { signingKey: signing.key }),
  };
  const alg = flags.alg ?? signing.alg;
  if (alg !== undefined) options.algorithm = alg;
  const kid = flags.kid ?? signing.kid;
  if (kid !== undefined) options.kid = kid;
  if (flags.encryptTo !== undefined) {
    const target = encryptionKey(flags.encryptTo, flags.encryptKid);
    if (target.use === 'sig') {
      throw new UsageError(`--encrypt-to: the key is a signing key (use "sig")`);
    }
    options.encryptionKey =
      target.key.type === 'secret'
        ? target.key.export()
        : target.key.type === 'private'
          ? createPublicKey(target.key)
          : target.key;
    const keyAlg = flags.encAlg ?? target.alg;
    if (keyAlg !== undefined) options.keyManagementAlgorithm = keyAlg;
    if (flags.enc !== undefined) options.contentEncryptionAlgorithm = flags.enc;
    if (target.kid !== undefined) options.encryptionKid = target.kid;
  } else if (
    flags.encryptKid !== undefined ||
    flags.encAlg !== undefined ||
    flags.enc !== undefined
  ) {
    throw new UsageError('--encrypt-kid, --enc-alg and --enc need --encrypt-to');
  }
  return options;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Adds `mint`. Prints the token (or, with `--json`, the token with its header and claims). Exit
 * code 0: minted; 2: a usage error or a key file that cannot sign (or be encrypted to).
 *
 * @example `tokenward mint --key issuer-key.json --encrypt-to api-enc.pub.json --issuer https://issuer.example --audience api --scope "messages:read"`
 */
export function registerMint(program: Command, io: CliIo): void {
  program
    .command('mint')
    .description(
      'Mint a development access token (RFC 9068 at+jwt), signed or nested (signed, then encrypted).',
    )
    .requiredOption(
      '--key <file>',
      'the private signing key (JWK, JWK Set of one, PEM) or an oct JWK for HS*',
    )
    .option('--alg <alg>', "JWS algorithm (default: the key's alg, else by key type)")
    .option('--kid <kid>', "signing kid (default: the key's kid, else its RFC 7638 thumbprint)")
    .option(
      '--encrypt-to <file>',
      "the resource server's public encryption key or JWK Set: nest the token",
    )
    .option('--encrypt-kid <kid>', 'which key of the --encrypt-to JWK Set')
    .option(
      '--enc-alg <alg>',
      "JWE alg (default: the key's alg, else RSA-OAEP-256 / ECDH-ES+A256KW)",
    )
    .option('--enc <enc>', 'JWE enc (default A256GCM)')
    .requiredOption('--issuer <iss>', 'the iss claim')
    .requiredOption('--audience <aud>', 'the aud claim (repeat for several)', collect, [])
    .option('--subject <sub>', 'the sub claim')
    .option('--client-id <id>', 'the client_id claim')
    .option('--scope <scopes>', 'the scope claim: space-separated scopes ("a b")')
    .option('--role <role>', 'a role for the roles claim (repeat for several)', collect, [])
    .option(
      '--claim <name=json>',
      'another claim; its value as JSON, else as text (repeat)',
      collect,
      [],
    )
    .option('--valid-for <duration>', 'lifetime: 90s, 15m, 12h, 7d', '15m')
    .option('--dpop-jkt <thumbprint>', 'bind to a DPoP key: cnf.jkt')
    .option(
      '--dpop-key <file>',
      'bind to the DPoP key in this file (its thumbprint becomes cnf.jkt)',
    )
    .option('--x5t <thumbprint>', 'bind to a client certificate: cnf["x5t#S256"]')
    .option('--json', 'print { token, header, claims, encryption } as JSON')
    .action(async (flags: MintFlags) => {
      const expiresIn = parseDuration(flags.validFor);
      const extra = Object.fromEntries(flags.claim.map(parseClaim));
      const cnf = await confirmation(flags);
      const options = issuerOptions(flags);
      let issuer;
      try {
        issuer = await createIssuer(options);
      } catch (error) {
        // createIssuer's messages name the option (algorithm, secret, encryptionKey) and never a key.
        throw new UsageError(`cannot mint: ${(error as Error).message}`);
      }
      const iat = Math.floor(Date.now() / 1000);
      // iat, exp and jti are set here rather than by the issuer, so --json can show every claim.
      const claims: IssueClaims = {
        ...extra,
        aud: flags.audience.length === 1 ? (flags.audience[0] as string) : flags.audience,
        ...(flags.subject !== undefined && { sub: flags.subject }),
        ...(flags.clientId !== undefined && { client_id: flags.clientId }),
        ...(flags.scope !== undefined && { scope: flags.scope }),
        ...(flags.role.length > 0 && { roles: flags.role }),
        ...(cnf !== undefined && { cnf }),
        iat,
        exp: iat + expiresIn,
        jti: randomUUID(),
      };
      let token: string;
      try {
        token = await issuer.issue(claims);
      } catch (error) {
        throw new UsageError(`cannot mint: ${(error as Error).message}`);
      }
      if (flags.json === true) {
        const segments = token.split('.');
        const nested = segments.length === 5;
        const published = issuer.jwks.keys[0];
        const header = nested
          ? {
              alg: published?.alg ?? options.algorithm ?? 'HS256',
              typ: 'at+jwt',
              ...((published?.kid ?? options.kid) !== undefined && {
                kid: published?.kid ?? options.kid,
              }),
            }
          : decodeSegmentJson(segments[0] as string);
        const result = {
          token,
          nested,
          ...(nested && { encryption: decodeSegmentJson(segments[0] as string) }),
          header,
          claims: { iss: flags.issuer, ...claims },
        };
        io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      } else io.stdout(`${token}\n`);
      io.exit(0);
    });
}
