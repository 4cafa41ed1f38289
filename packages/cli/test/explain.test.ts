/**
 * `tokenward explain`: the real verifier's verdict, stage by stage, from the built binary: an
 * accepted nested token, an audience mismatch, an expired token, a wrong decryption key, a wrong
 * signing key, garbage; configs as JSON (key files by path), ES module and the sample app's
 * environment (keys from a JWKS server on 127.0.0.1); a DPoP-bound token with its proof.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIssuer } from '@tokenward/core';
import { buildCli, cli, cliJson } from './built-cli';
import { run } from './trail-fixture';

const ISSUER = 'https://issuer.test';
let dir: string;
const file = (name: string) => join(dir, name);
const writeConfig = (name: string, options: Record<string, unknown>) => {
  writeFileSync(file(name), JSON.stringify(options));
  return file(name);
};
let nested: string;
let signed: string;
let config: string;

beforeAll(async () => {
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'tokenward-cli-explain-'));
  await cli(['keygen', '--type', 'rsa', '--kid', 'sig-1', '--out', file('sig.json')]);
  await cli([
    'keygen',
    '--type',
    'rsa',
    '--use',
    'enc',
    '--kid',
    'enc-1',
    '--out',
    file('enc.json'),
  ]);
  writeFileSync(file('sig.pub.json'), (await cli(['jwks', file('sig.json')])).stdout);
  const mint = [
    'mint',
    '--key',
    file('sig.json'),
    '--issuer',
    ISSUER,
    '--audience',
    'api',
    '--subject',
    'alice',
  ];
  signed = (await cli(mint)).stdout.trim();
  nested = (await cli([...mint, '--encrypt-to', file('enc.json')])).stdout.trim();
  config = writeConfig('verifier.json', {
    issuer: ISSUER,
    audience: 'api',
    keys: { file: 'sig.pub.json' },
    decryptionKeys: { file: 'enc.json' },
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (stdout: string) => stdout.trimEnd().split('\n');

describe('tokenward explain', () => {
  it('an accepted nested token: every stage and ACCEPTED, exit 0', async () => {
    const result = await cli(['explain', '--config', config, nested]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines(result.stdout)).toEqual([
      'compact: JWE (5 segments)',
      'jwe: decrypted with kid enc-1, alg RSA-OAEP-256, enc A256GCM',
      'jws: RS256 signature ok, kid sig-1',
      'replicated-claims: claims copied into the JWE header match the signed ones',
      expect.stringMatching(
        /^claims: iss "https:\/\/issuer.test", aud "api", sub "alice", exp \d{4}-[\d-]+T[\d:.]+Z$/,
      ),
      'binding: bearer (not sender-constrained)',
      'verdict: ACCEPTED',
    ]);
  });

  it('an audience mismatch: claims refused with the expected and the actual aud, exit 1', async () => {
    const other = writeConfig('other-aud.json', {
      issuer: ISSUER,
      audience: 'payments',
      keys: { file: 'sig.pub.json' },
      decryptionKeys: { file: 'enc.json' },
    });
    const result = await cli(['explain', '--config', other, nested]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).slice(2)).toEqual([
      'jws: RS256 signature ok, kid sig-1',
      'replicated-claims: claims copied into the JWE header match the signed ones',
      'claims: REFUSED ERR_AUDIENCE_INVALID: the token is meant for another audience (option audience): expected "payments", got "api"',
      'verdict: REFUSED (401 invalid_token, ERR_AUDIENCE_INVALID)',
    ]);
  });

  it('an expired token: claims refused with exp and now; --at moves now', async () => {
    const issuer = await createIssuer({
      issuer: ISSUER,
      signingKey: JSON.parse(readFileSync(file('sig.json'), 'utf8')) as never,
      audience: 'api',
    });
    const iat = new Date('2026-01-01T10:00:00Z');
    const expired = await issuer.issue({ sub: 'alice' }, { currentDate: iat, expiresIn: 300 });
    const result = await cli(['explain', '--config', config, '-'], {
      input: `${expired}\n`,
      binary: true,
    });
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      'compact: JWS (3 segments)',
      'jwe: not encrypted',
      'jws: RS256 signature ok, kid sig-1',
      expect.stringMatching(
        /^claims: REFUSED ERR_TOKEN_EXPIRED: the token has expired: exp 2026-01-01T10:05:00.000Z, now \d{4}-/,
      ),
      'verdict: REFUSED (401 invalid_token, ERR_TOKEN_EXPIRED)',
    ]);
    const then = await cli([
      'explain',
      '--config',
      config,
      '--at',
      '2026-01-01T10:01:00Z',
      expired,
    ]);
    expect(then.code).toBe(0);
    expect(then.stdout).toContain('verdict: ACCEPTED');
  });

  it('a wrong decryption key: jwe refused, later stages not reached; --json gives the shape', async () => {
    await cli([
      'keygen',
      '--type',
      'rsa',
      '--use',
      'enc',
      '--kid',
      'enc-1',
      '--out',
      file('other-enc.json'),
    ]);
    const wrong = writeConfig('wrong-enc.json', {
      issuer: ISSUER,
      audience: 'api',
      keys: { file: 'sig.pub.json' },
      decryptionKeys: [{ file: 'other-enc.json' }],
    });
    const result = await cliJson(['explain', '--json', '--config', wrong, nested]);
    expect(result.code).toBe(1);
    expect(result.json).toEqual({
      accepted: false,
      stages: [
        { stage: 'compact', status: 'ok', detail: 'JWE (5 segments)' },
        {
          stage: 'jwe',
          status: 'refused',
          detail: expect.stringMatching(/^ERR_JWE_DECRYPTION_FAILED: /),
        },
        { stage: 'jws', status: 'not reached', detail: 'not reached' },
        { stage: 'replicated-claims', status: 'not reached', detail: 'not reached' },
        { stage: 'claims', status: 'not reached', detail: 'not reached' },
      ],
      error: {
        code: 'ERR_JWE_DECRYPTION_FAILED',
        status: 401,
        error: 'invalid_token',
        message: expect.any(String),
      },
    });
  });

  it('a wrong signing key: jws refused with the unverified header', async () => {
    await cli(['keygen', '--type', 'rsa', '--kid', 'sig-1', '--out', file('impostor.json')]);
    const forged = (
      await cli(['mint', '--key', file('impostor.json'), '--issuer', ISSUER, '--audience', 'api'])
    ).stdout.trim();
    const result = await cli(['explain', '--config', config, forged]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      'compact: JWS (3 segments)',
      'jwe: not encrypted',
      'jws: REFUSED ERR_JWS_SIGNATURE_INVALID: the token signature is invalid (header alg "RS256", kid "sig-1", not verified)',
      'claims: not reached',
      'verdict: REFUSED (401 invalid_token, ERR_JWS_SIGNATURE_INVALID)',
    ]);
  });

  it('an untrusted issuer: refused at jws, before the signature, with the expected issuer', async () => {
    const stranger = (
      await cli([
        'mint',
        '--key',
        file('sig.json'),
        '--issuer',
        'https://stranger.test',
        '--audience',
        'api',
      ])
    ).stdout.trim();
    const result = await cli(['explain', '--config', config, stranger]);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)[2]).toBe(
      'jws: REFUSED ERR_ISSUER_INVALID: the token was issued by an issuer this verifier does not trust (option issuer): expected "https://issuer.test", got "https://stranger.test" (claims not verified) (header alg "RS256", kid "sig-1", not verified)',
    );
  });

  it('garbage: compact refused, exit 1', async () => {
    const result = await cli(['explain', '--config', config, 'garbage']);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      'compact: REFUSED ERR_TOKEN_MALFORMED: the token is not a compact JWS (3 segments) or JWE (5 segments) in base64url',
      'jwe: not reached',
      'jws: not reached',
      'claims: not reached',
      'verdict: REFUSED (401 invalid_token, ERR_TOKEN_MALFORMED)',
    ]);
  });

  it('a DPoP-bound token: refused without a proof (the binding stage says why), accepted with one', async () => {
    await cli(['dpop', 'key', '--out', file('dpop.json')]);
    const bound = (
      await cli([
        'mint',
        '--key',
        file('sig.json'),
        '--issuer',
        ISSUER,
        '--audience',
        'api',
        '--dpop-key',
        file('dpop.json'),
      ])
    ).stdout.trim();
    const dpopConfig = writeConfig('dpop.json.config.json', {
      issuer: ISSUER,
      audience: 'api',
      keys: { file: 'sig.pub.json' },
      dpop: {},
    });
    const without = await cli(['explain', '--config', dpopConfig, bound]);
    expect(without.code).toBe(1);
    expect(lines(without.stdout)[4]).toBe(
      'binding: REFUSED ERR_TOKEN_BOUND: the token is DPoP-bound (cnf.jkt): present it under the DPoP scheme with a DPoP proof (explain has no request: give --dpop-proof, --method and --url)',
    );
    const url = 'https://api.test/messages';
    const proof = (
      await cli([
        'dpop',
        'proof',
        '--key',
        file('dpop.json'),
        '--method',
        'GET',
        '--url',
        url,
        '--token',
        bound,
      ])
    ).stdout.trim();
    const withProof = await cli([
      'explain',
      '--config',
      dpopConfig,
      '--dpop-proof',
      proof,
      '--method',
      'GET',
      '--url',
      url,
      bound,
    ]);
    expect(withProof.code).toBe(0);
    expect(withProof.stdout).toMatch(
      /\nbinding: DPoP proof checked, jkt [\w-]{43}\nverdict: ACCEPTED\n$/,
    );
  });

  it('an ES module config (default export, a function) works like the JSON one', async () => {
    writeFileSync(
      file('verifier.mjs'),
      `import { readFileSync } from 'node:fs';
export default async () => ({
  issuer: ${JSON.stringify(ISSUER)},
  audience: ['api'],
  keys: JSON.parse(readFileSync(${JSON.stringify(file('sig.pub.json'))}, 'utf8')),
  decryptionKeys: { file: 'enc.json' },
});
`,
    );
    const result = await cli(['explain', '--config', file('verifier.mjs'), nested]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('verdict: ACCEPTED');
  });

  it("--env reads the sample app's variables: keys from its JWKS URI (a server on 127.0.0.1)", async () => {
    const jwks = readFileSync(file('sig.pub.json'), 'utf8');
    const keySet = JSON.parse(readFileSync(file('enc.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(file('decryption-keys.json'), JSON.stringify({ keys: [keySet] }));
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const env = {
      PATH: process.env.PATH,
      TOKENWARD_ISSUER: ISSUER,
      TOKENWARD_AUDIENCE: 'api',
      TOKENWARD_JWKS_URI: `http://127.0.0.1:${port}/jwks`,
      TOKENWARD_DECRYPTION_KEYS: file('decryption-keys.json'),
      TOKENWARD_ENCRYPTION: 'required',
    };
    try {
      const accepted = await cli(['explain', '--env', nested], { env });
      expect(accepted).toMatchObject({ code: 0, stderr: '' });
      expect(accepted.stdout).toContain('jws: RS256 signature ok, kid sig-1');
      const refused = await cli(['explain', '--env', signed], { env });
      expect(refused.code).toBe(1);
      expect(lines(refused.stdout)[0]).toBe(
        'compact: REFUSED ERR_JWE_REQUIRED: the token is not encrypted and this verifier requires encryption (option encryption)',
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // The JWKS server is gone: the verifier cannot say (503), which is not a verdict: exit 2.
    const unavailable = await cli(['explain', '--env', nested], { env });
    expect(unavailable.code).toBe(2);
    expect(lines(unavailable.stdout).at(-1)).toBe(
      'verdict: UNAVAILABLE (503, ERR_KEYS_UNAVAILABLE)',
    );
  });

  it('usage and config errors: exit 2 with one line', async () => {
    const cases: Array<[string[], string | RegExp, NodeJS.ProcessEnv?]> = [
      [['explain', nested], 'give one of --config <file> and --env'],
      [['explain', '--config', config, '--env', nested], 'give one of --config <file> and --env'],
      [
        ['explain', '--config', file('missing.json'), nested],
        /--config: cannot read .*missing\.json \(ENOENT\)/,
      ],
      [
        ['explain', '--config', file('sig.pub.json').replace('.json', '.yaml'), nested],
        '--config: expected a .json, .mjs',
      ],
      [
        ['explain', '--config', writeConfig('bad.json', { issuer: ISSUER }), nested],
        /^tokenward: config: /,
      ],
      [['explain', '--config', config, '--at', 'tomorrow', nested], '--at: not an ISO 8601 date'],
      [
        ['explain', '--config', config, '--method', 'GET', nested],
        '--dpop-proof, --method and --url go together',
      ],
      [
        ['explain', '--env', nested],
        'TOKENWARD_ISSUER and TOKENWARD_AUDIENCE must be set',
        { PATH: process.env.PATH },
      ],
    ];
    for (const [args, message, env] of cases) {
      const result = await cli(args, env === undefined ? {} : { env });
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(message);
    }
    writeFileSync(file('broken.json'), '{"secret": "hunter2",');
    const broken = await cli(['explain', '--config', file('broken.json'), nested]);
    expect(broken).toMatchObject({
      code: 2,
      stderr: `tokenward: --config: ${file('broken.json')} is not valid JSON\n`,
    });
  });

  it('in process, through the program: the stages come from the verifier itself', async () => {
    const result = await run(['explain', '--json', '--config', config, signed]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { stages, token } = JSON.parse(result.stdout) as {
      stages: Array<{ stage: string; status: string }>;
      token: Record<string, unknown>;
    };
    expect(stages.map((s) => `${s.stage} ${s.status}`)).toEqual([
      'compact ok',
      'jwe skipped',
      'jws ok',
      'replicated-claims skipped',
      'claims ok',
      'binding ok',
    ]);
    expect(token).toMatchObject({
      header: { alg: 'RS256', kid: 'sig-1' },
      binding: { scheme: 'bearer' },
    });
    expect(token).not.toHaveProperty('token');
  });
});
