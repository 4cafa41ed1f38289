/**
 * The built binary's key and token commands: `keygen` (private file 0600, never overwritten
 * without --force), `jwks` (public members only), `mint` (tokens core's verifier accepts),
 * `inspect` (what is visible without a key, and what is not), `decrypt` (right and wrong keys),
 * `completion`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createVerifier, type AccessToken } from '@tokenward/core';
import { calculateJwkThumbprint } from 'jose';
import { createProgram } from '../src';
import { buildCli, cli, cliJson } from './built-cli';

/** The members a public JWK may carry: anything else could be private material. */
const PUBLIC_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'use', 'alg']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

let dir: string;
const file = (name: string) => join(dir, name);
const readJson = (name: string) =>
  JSON.parse(readFileSync(file(name), 'utf8')) as Record<string, string>;

beforeAll(() => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'tokenward-cli-keys-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISSUER = 'https://issuer.test';

describe('tokenward keygen', () => {
  it.each([
    [['--type', 'rsa'], 'RSA', 'RS256', 'sig'],
    [['--type', 'ec', '--curve', 'P-384'], 'EC', 'ES384', 'sig'],
    [['--type', 'okp', '--curve', 'Ed25519'], 'OKP', 'EdDSA', 'sig'],
    [['--type', 'rsa', '--use', 'enc'], 'RSA', 'RSA-OAEP-256', 'enc'],
    [['--type', 'ec', '--use', 'enc', '--alg', 'ECDH-ES'], 'EC', 'ECDH-ES', 'enc'],
    [['--type', 'okp', '--use', 'enc'], 'OKP', 'ECDH-ES+A256KW', 'enc'],
  ])(
    '%j writes a private JWK (mode 0600) and prints the public one',
    async (args, kty, alg, use) => {
      const out = file(`gen-${args.join('')}.json`);
      // The built binary, as a user runs it: the file mode is the process's doing.
      const result = await cli(['keygen', ...args, '--out', out], { binary: true });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const publicJwk = JSON.parse(result.stdout) as Record<string, string>;
      const privateJwk = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
      expect(privateJwk).toMatchObject({ kty, alg, use, d: expect.any(String) });
      expect(publicJwk).toMatchObject({ kty, alg, use, kid: privateJwk.kid });
      for (const member of Object.keys(publicJwk)) expect(PUBLIC_MEMBERS).toContain(member);
      const { kid: _kid, alg: _alg, use: _use, ...material } = publicJwk;
      expect(publicJwk.kid).toBe(await calculateJwkThumbprint(material));
    },
  );

  it('--format pem writes PKCS#8 and prints SPKI; --json gives kid, alg, use, file, jwk', async () => {
    const out = file('pem-key.pem');
    const pem = await cli(['keygen', '--type', 'ec', '--format', 'pem', '--out', out]);
    expect(pem.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pem.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const json = await cliJson([
      'keygen',
      '--type',
      'rsa',
      '--kid',
      'k-1',
      '--json',
      '--out',
      file('j.json'),
    ]);
    expect(json.json).toEqual({
      kid: 'k-1',
      alg: 'RS256',
      use: 'sig',
      file: file('j.json'),
      format: 'jwk',
      jwk: { kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: 'k-1', use: 'sig', alg: 'RS256' },
    });
  });

  it('refuses to overwrite without --force; --force replaces the key and narrows the mode to 0600', async () => {
    const out = file('existing.json');
    writeFileSync(out, 'keep me');
    chmodSync(out, 0o644);
    const refused = await cli(['keygen', '--type', 'ec', '--out', out]);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(`tokenward: --out: ${out} exists; give --force to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const forced = await cli(['keygen', '--type', 'ec', '--force', '--out', out]);
    expect(forced.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      kty: 'EC',
      d: expect.any(String),
    });
  });

  it.each([
    [['--type', 'dsa'], '--type: expected rsa, ec or okp'],
    [['--type', 'rsa', '--curve', 'P-256'], '--curve: applies to ec and okp keys'],
    [['--type', 'ec', '--curve', 'Ed25519'], '--curve: a ec key takes P-256, P-384, P-521'],
    [['--type', 'ec', '--alg', 'RS256'], '--alg: a P-256 sig key takes ES256'],
    [['--type', 'okp', '--curve', 'Ed25519', '--use', 'enc'], 'cannot be used for encryption'],
    [['--type', 'rsa', '--bits', '1024'], '--bits: expected 2048, 3072 or 4096'],
    [['--type', 'rsa', '--format', 'der'], '--format: expected jwk or pem'],
    [['--type', 'rsa', '--use', 'both'], '--use: expected sig or enc'],
  ])('usage error %j: exit 2, no file', async (args, message) => {
    const out = file(`never-${args.join('')}.json`);
    const result = await cli(['keygen', ...args, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(() => statSync(out)).toThrow();
  });
});

describe('tokenward jwks', () => {
  it('publishes every key of JWK, PEM and JWK Set files, public members only, kid given or the thumbprint', async () => {
    await cli(['keygen', '--type', 'rsa', '--kid', 'rsa-1', '--out', file('s-rsa.json')]);
    await cli(['keygen', '--type', 'okp', '--format', 'pem', '--out', file('s-ed.pem')]);
    await cli([
      'keygen',
      '--type',
      'ec',
      '--use',
      'enc',
      '--kid',
      'ec-enc',
      '--out',
      file('s-ec.json'),
    ]);
    writeFileSync(file('set.json'), JSON.stringify({ keys: [readJson('s-ec.json')] }));
    const result = await cliJson<{ keys: Record<string, string>[] }>([
      'jwks',
      file('s-rsa.json'),
      file('s-ed.pem'),
      file('set.json'),
    ]);
    expect(result.code).toBe(0);
    const [rsa, ed, ec] = result.json.keys;
    expect(rsa).toMatchObject({ kty: 'RSA', kid: 'rsa-1', use: 'sig', alg: 'RS256' });
    expect(ec).toMatchObject({ kty: 'EC', kid: 'ec-enc', use: 'enc', alg: 'ECDH-ES+A256KW' });
    expect(ed).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: expect.any(String),
    });
    expect(ed?.kid).toBe(
      await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: ed?.x as string }),
    );
    for (const key of result.json.keys) {
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
      for (const member of Object.keys(key)) expect(PUBLIC_MEMBERS).toContain(member);
    }
    expect(result.stdout).not.toContain(readJson('s-rsa.json').d);
    const compact = await cli(['jwks', '--json', file('s-rsa.json')]);
    expect(compact.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a symmetric key, a file without a key and a missing file: exit 2, contents never echoed', async () => {
    writeFileSync(
      file('oct.json'),
      JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' }),
    );
    writeFileSync(file('junk.json'), '{"not": "a key", "secret": "hunter2"}');
    for (const [name, message] of [
      ['oct.json', 'a symmetric key has no public part'],
      ['junk.json', 'holds no key (expected a JWK, a JWK Set or PEM)'],
      ['missing.json', 'cannot read'],
    ] as const) {
      const result = await cli(['jwks', file(name)]);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain('hunter2');
    }
  });
});

describe('tokenward mint', () => {
  let jwks: { keys: unknown[] };
  beforeAll(async () => {
    await cli(['keygen', '--type', 'ec', '--kid', 'sig-1', '--out', file('issuer.json')]);
    await cli([
      'keygen',
      '--type',
      'rsa',
      '--use',
      'enc',
      '--kid',
      'enc-1',
      '--out',
      file('api-enc.json'),
    ]);
    jwks = (await cliJson<{ keys: unknown[] }>(['jwks', file('issuer.json')])).json;
    writeFileSync(file('api-enc.pub.json'), (await cli(['jwks', file('api-enc.json')])).stdout);
  });
  const verify = (token: string, extra: Record<string, unknown> = {}): Promise<AccessToken> =>
    createVerifier({
      issuer: ISSUER,
      audience: 'api',
      keys: jwks as never,
      metrics: false,
      ...extra,
    }).verify(token);

  it("a signed token with the claims asked for passes core's verifier", async () => {
    const minted = await cli([
      'mint',
      '--key',
      file('issuer.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
      '--subject',
      'alice',
      '--client-id',
      'cli',
      '--scope',
      'messages:read messages:write',
      '--role',
      'admin',
      '--role',
      'ops',
      '--claim',
      'tenant=acme',
      '--claim',
      'level=3',
      '--claim',
      'flags={"beta":true}',
      '--valid-for',
      '90s',
    ]);
    expect(minted).toMatchObject({ code: 0, stderr: '' });
    const token = await verify(minted.stdout.trim());
    expect(token.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'sig-1' });
    expect(token.claims).toMatchObject({
      sub: 'alice',
      client_id: 'cli',
      tenant: 'acme',
      level: 3,
      flags: { beta: true },
    });
    expect([...token.scopes]).toEqual(['messages:read', 'messages:write']);
    expect([...token.roles]).toEqual(['admin', 'ops']);
    expect((token.claims.exp as number) - (token.claims.iat as number)).toBe(90);
    expect(token.binding).toEqual({ scheme: 'bearer' });
  });

  it('--encrypt-to nests the token: the verifier decrypts it with the API key', async () => {
    const minted = await cliJson<Record<string, unknown>>([
      'mint',
      '--key',
      file('issuer.json'),
      '--encrypt-to',
      file('api-enc.pub.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
      '--audience',
      'other',
      '--json',
    ]);
    expect(minted.code).toBe(0);
    const token = await verify(minted.json.token as string, {
      decryptionKeys: readJson('api-enc.json'),
      encryption: 'required',
    });
    expect(token.encryption).toEqual({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: 'enc-1',
    });
    expect(token.audience).toEqual(['api', 'other']);
    expect(minted.json).toEqual({
      token: expect.stringMatching(/^[\w-]+(\.[\w-]*){4}$/),
      nested: true,
      encryption: token.encryption,
      header: token.header,
      claims: token.claims,
    });
  });

  it('--dpop-key and --dpop-jkt bind to a DPoP key (cnf.jkt), --x5t to a certificate', async () => {
    const jkt = (await cli(['dpop', 'key', '--out', file('dpop.json')])).stdout.trim();
    const base = [
      'mint',
      '--key',
      file('issuer.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
      '--json',
    ];
    const byKey = await cliJson<{ claims: Record<string, unknown> }>([
      ...base,
      '--dpop-key',
      file('dpop.json'),
    ]);
    expect(byKey.json.claims.cnf).toEqual({ jkt });
    const byJkt = await cliJson<{ claims: Record<string, unknown> }>([...base, '--dpop-jkt', jkt]);
    expect(byJkt.json.claims.cnf).toEqual({ jkt });
    const x5t = 'A'.repeat(43);
    const byCert = await cliJson<{ token: string }>([...base, '--x5t', x5t]);
    await expect(verify(byCert.json.token, { mtls: {} })).rejects.toMatchObject({
      code: 'ERR_MTLS_CERTIFICATE_MISSING',
    });
  });

  it.each([
    [['--valid-for', '15 minutes'], '--valid-for: expected a duration'],
    [['--valid-for', '0s'], '--valid-for: expected a duration'],
    [['--claim', 'iss=https://evil.test'], '--claim: set iss with --issuer'],
    [['--claim', 'novalue'], '--claim: expected name=value'],
    [['--dpop-jkt', 'short'], '--dpop-jkt: expected an RFC 7638'],
    [['--dpop-jkt', 'A'.repeat(43), '--dpop-key', 'x.json'], '--dpop-jkt and --dpop-key: give one'],
    [['--enc', 'A128GCM'], '--encrypt-kid, --enc-alg and --enc need --encrypt-to'],
    [['--alg', 'RS256'], 'cannot mint: '],
  ])('usage error %j: exit 2', async (args, message) => {
    const result = await cli([
      'mint',
      '--key',
      file('issuer.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
      ...args,
    ]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it('refuses a public key or an encryption key as the signing key', async () => {
    writeFileSync(file('issuer.pub.json'), JSON.stringify((jwks.keys as object[])[0]));
    const pub = await cli([
      'mint',
      '--key',
      file('issuer.pub.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
    ]);
    expect(pub).toMatchObject({ code: 2 });
    expect(pub.stderr).toContain('holds a public key; signing needs the private key');
    const enc = await cli([
      'mint',
      '--key',
      file('api-enc.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
    ]);
    expect(enc.stderr).toContain('is an encryption key (use "enc")');
  });
});

describe('tokenward inspect and decrypt', () => {
  let signed: string;
  let nested: string;
  beforeAll(async () => {
    await cli(['keygen', '--type', 'rsa', '--kid', 'sig-2', '--out', file('i-sig.json')]);
    await cli([
      'keygen',
      '--type',
      'rsa',
      '--use',
      'enc',
      '--kid',
      'enc-2',
      '--out',
      file('i-enc.json'),
    ]);
    const mint = [
      'mint',
      '--key',
      file('i-sig.json'),
      '--issuer',
      ISSUER,
      '--audience',
      'api',
      '--subject',
      'bob-the-subject',
    ];
    signed = (await cli(mint)).stdout.trim();
    nested = (await cli([...mint, '--encrypt-to', file('i-enc.json')])).stdout.trim();
  });

  it('inspect of a JWS: header and claims, marked not verified', async () => {
    const text = await cli(['inspect', signed]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^JWS \(compact, 3 segments\): signed, not encrypted\nheader:\n/);
    expect(text.stdout).toContain('claims (NOT VERIFIED: the signature was not checked):');
    expect(text.stdout).toContain('"sub": "bob-the-subject"');
    expect(text.stdout).toMatch(/\nexp: \d{4}-\d\d-\d\dT[\d:.]+Z \(not expired\)\n/);
    const json = await cliJson(['inspect', '--json', signed]);
    expect(json.json).toEqual({
      kind: 'JWS',
      segments: 3,
      header: { alg: 'RS256', typ: 'at+jwt', kid: 'sig-2' },
      claims: expect.objectContaining({ sub: 'bob-the-subject', iss: ISSUER }),
      verified: false,
      cannotSee: expect.arrayContaining([
        expect.stringContaining('whether the signature is valid'),
      ]),
    });
  });

  it('inspect of a nested token: the JWE header only, and it says the inner header cannot be seen without the key', async () => {
    const text = await cli(['inspect', '-'], { input: `${nested}\n`, binary: true });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('JWE (compact, 5 segments): encrypted');
    expect(text.stdout).toContain('"kid": "enc-2"');
    expect(text.stdout).toContain(
      'inner: a nested JWT (cty "JWT"): without the decryption key the inner JWS header and the claims cannot be seen',
    );
    expect(text.stdout).not.toContain('bob-the-subject');
    expect(text.stdout).not.toContain('sig-2');
    const json = await cliJson(['inspect', '--json', nested]);
    expect(json.json).toEqual({
      kind: 'JWE',
      segments: 5,
      header: { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-2' },
      nested: true,
      cannotSee: [
        'the inner JWS header: it is encrypted and cannot be seen without the decryption key (tokenward decrypt --key <file>)',
        'the claims: they are encrypted and cannot be seen without the decryption key',
        'whether the signature is valid',
      ],
    });
  });

  it("inspect never prints key material a header carries (a DPoP proof's jwk)", async () => {
    await cli(['dpop', 'key', '--out', file('i-dpop.json')]);
    const proof = (
      await cli([
        'dpop',
        'proof',
        '--key',
        file('i-dpop.json'),
        '--method',
        'GET',
        '--url',
        'https://a.test/',
      ])
    ).stdout.trim();
    const { jwk } = JSON.parse(readFileSync(file('i-dpop.json'), 'utf8')) as {
      jwk: Record<string, string>;
    };
    const text = await cli(['inspect', proof]);
    expect(text.stdout).toContain('"jwk": "(key material: not shown)"');
    expect(text.stdout).not.toContain(jwk.x as string);
  });

  it('inspect of garbage: exit 1 with what is wrong; empty input: exit 2', async () => {
    expect(await cli(['inspect', 'not-a-token'])).toMatchObject({
      code: 1,
      stdout: 'not a token: not a compact JWS (3 segments) or JWE (5 segments): 1 segment\n',
    });
    expect(await cli(['inspect', 'a.b.c'])).toMatchObject({
      code: 1,
      stdout: 'not a token: the header is not base64url-encoded JSON\n',
    });
    const json = await cliJson(['inspect', '--json', 'x.y']);
    expect(json).toMatchObject({
      code: 1,
      json: { kind: null, error: expect.stringContaining('2 segments') },
    });
    expect(await cli(['inspect', '-'], { input: '\n' })).toMatchObject({
      code: 2,
      stderr: 'tokenward: token: empty (stdin)\n',
    });
  });

  it('decrypt with the right key: the inner header and claims, not verified', async () => {
    const text = await cli(['decrypt', '--key', file('i-enc.json'), '-'], { input: nested });
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain('decrypted with: kid enc-2 (alg RSA-OAEP-256, enc A256GCM)');
    expect(text.stdout).toContain(
      'inner JWS header:\n{\n  "alg": "RS256",\n  "typ": "at+jwt",\n  "kid": "sig-2"\n}',
    );
    expect(text.stdout).toContain('claims (NOT VERIFIED: the signature was not checked):');
    expect(text.stdout).toContain('"sub": "bob-the-subject"');
    const json = await cliJson(['decrypt', '--json', '--key', file('i-enc.json'), nested]);
    expect(json.json).toEqual({
      decrypted: true,
      encryption: { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-2' },
      kid: 'enc-2',
      kind: 'JWS',
      header: { alg: 'RS256', typ: 'at+jwt', kid: 'sig-2' },
      claims: expect.objectContaining({ sub: 'bob-the-subject' }),
      verified: false,
    });
  });

  it('decrypt with a wrong key, a JWS, or a key of another kid: exit 1 and a clear reason', async () => {
    // Another key under the same kid: only the decryption itself can tell.
    await cli([
      'keygen',
      '--type',
      'rsa',
      '--use',
      'enc',
      '--kid',
      'enc-2',
      '--out',
      file('i-other.json'),
    ]);
    expect(await cli(['decrypt', '--key', file('i-other.json'), nested])).toMatchObject({
      code: 1,
      stdout:
        'cannot decrypt: the key does not open this token (alg RSA-OAEP-256, enc A256GCM, kid enc-2): a wrong key, or a tampered token\n',
    });
    expect(await cli(['decrypt', '--key', file('i-sig.json'), nested])).toMatchObject({
      code: 1,
      stdout: 'cannot decrypt: no key in the file has the token\'s kid "enc-2"\n',
    });
    expect(await cli(['decrypt', '--key', file('i-enc.json'), signed])).toMatchObject({
      code: 1,
      stdout: 'cannot decrypt: not a JWE: a JWS is not encrypted (tokenward inspect shows it)\n',
    });
    const json = await cliJson(['decrypt', '--json', '--key', file('i-other.json'), nested]);
    expect(json.json).toEqual({
      decrypted: false,
      error: expect.stringContaining('does not open this token'),
    });
    expect(await cli(['decrypt', '--key', file('nope.json'), nested])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--key: cannot read'),
    });
  });
});

describe('tokenward completion', () => {
  const commandPaths = (): string[] =>
    createProgram().commands.flatMap((c) => [
      c.name(),
      ...c.commands.map((s) => `${c.name()} ${s.name()}`),
    ]);

  it.each(['bash', 'zsh'])('%s: a script naming every command and subcommand', async (shell) => {
    const result = await cli(['completion', shell]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.length).toBeGreaterThan(500);
    for (const path of commandPaths()) expect(result.stdout).toContain(`"${path}")`);
    expect(result.stdout).toContain('--encrypt-to');
  });

  it('the bash script parses, and completes subcommands and options', () => {
    const script = execFileSync(
      process.execPath,
      [join(__dirname, '..', 'dist', 'bin.js'), 'completion', 'bash'],
      { encoding: 'utf8' },
    );
    const complete = (line: string) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _tokenward; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete("tokenward ''").split(' ')).toEqual([
      ...createProgram().commands.map((c) => c.name()),
      '--help',
    ]);
    expect(complete('tokenward d').split(' ').sort()).toEqual(['decrypt', 'dpop']);
    expect(complete("tokenward dpop ''")).toBe('key thumbprint proof --help');
    expect(complete('tokenward mint --encrypt')).toBe('--encrypt-to --encrypt-kid');
  });

  it('another shell: exit 2', async () => {
    expect(await cli(['completion', 'fish'])).toMatchObject({
      code: 2,
      stderr: 'tokenward: completion: expected bash or zsh, not fish\n',
    });
  });
});
