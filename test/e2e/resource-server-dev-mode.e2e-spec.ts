/**
 * The sample resource server's start-up rules: dev mode (an issuer that mints admin tokens for
 * anyone) stays on loopback and out of production, and a bad environment is one line naming the
 * variable, exit code 1 — checked on `loadConfig` and on the built `dist/main.js`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import {
  ConfigError,
  loadConfig,
  remoteDevWarning,
  startupMessage,
} from '../../apps/resource-server/src';

const ROOT = resolve(__dirname, '../..');
/** The dev-mode audit trail: on by default, in ./.audit, keys generated there. */
const DEV_AUDIT = { directory: '.audit', generateKeys: true };
const MAIN = join(ROOT, 'apps/resource-server/dist/main.js');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('dev mode configuration', () => {
  it.each(['0.0.0.0', '::', '10.0.0.7', '192.168.1.2', 'example.com', '::ffff:10.0.0.1'])(
    'refuses HOST=%s, naming HOST and the variable that would allow it',
    (host) => {
      const problems = problemsOf({ HOST: host });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^HOST: dev mode mints tokens for anyone, so it listens on a loopback host only/,
      );
      expect(problems[0]).toContain('TOKENWARD_DEV_ALLOW_REMOTE=1');
    },
  );

  it.each(['127.0.0.1', '127.4.5.6', '::1', 'localhost', 'LocalHost', '::ffff:127.0.0.1'])(
    'accepts the loopback HOST=%s',
    (host) => {
      expect(loadConfig({ HOST: host })).toEqual({
        mode: 'dev',
        host,
        port: 3000,
        audit: DEV_AUDIT,
      });
    },
  );

  it('allows a non-loopback host only with TOKENWARD_DEV_ALLOW_REMOTE=1, with a loud warning', () => {
    const config = loadConfig({ HOST: '0.0.0.0', TOKENWARD_DEV_ALLOW_REMOTE: '1' });
    expect(config).toEqual({
      mode: 'dev',
      host: '0.0.0.0',
      port: 3000,
      allowRemote: true,
      audit: DEV_AUDIT,
    });
    expect(remoteDevWarning(config)).toContain('WARNING: DEV MODE on HOST=0.0.0.0');
    expect(startupMessage(config, 'http://127.0.0.1:3000')).toContain('WARNING');
    expect(remoteDevWarning(loadConfig({}))).toBeUndefined();
    expect(problemsOf({ HOST: '0.0.0.0', TOKENWARD_DEV_ALLOW_REMOTE: 'yes' })).toEqual([
      'TOKENWARD_DEV_ALLOW_REMOTE: expected 1 (or unset), got "yes"',
      expect.stringMatching(/^HOST: dev mode/),
    ]);
  });

  it('refuses TOKENWARD_DEV_ALLOW_REMOTE with an issuer (it means nothing there)', () => {
    expect(
      problemsOf({
        TOKENWARD_ISSUER: 'https://issuer.example',
        TOKENWARD_AUDIENCE: 'api',
        TOKENWARD_DEV_ALLOW_REMOTE: '1',
      }),
    ).toEqual([expect.stringMatching(/^TOKENWARD_DEV_ALLOW_REMOTE: applies to dev mode only/)]);
  });

  it.each(['production', 'Production', ' production', 'PRODUCTION ', '\tproduction\n'])(
    'refuses dev mode with NODE_ENV=%j',
    (nodeEnv) => {
      expect(problemsOf({ NODE_ENV: nodeEnv })).toEqual([
        expect.stringMatching(/^TOKENWARD_ISSUER: required when NODE_ENV=production/),
      ]);
    },
  );

  it.each(['development', 'test', 'productions'])('runs dev mode with NODE_ENV=%s', (nodeEnv) => {
    expect(loadConfig({ NODE_ENV: nodeEnv }).mode).toBe('dev');
  });

  it('documents the demo parameters in the banner', () => {
    const banner = startupMessage(loadConfig({}), 'http://127.0.0.1:3000');
    for (const kind of ['expired', 'not-yet-valid', 'wrong-audience']) {
      expect(banner).toContain(`invalid=${kind}`);
    }
  });
});

describe('the built app (dist/main.js)', () => {
  beforeAll(() => {
    // What `pnpm start` does before running node: an incremental build of the app and its packages.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/resource-server'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  }, 120_000);

  const run = (env: Record<string, string>) => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      // AUDIT=off: these runs are about start-up checks; the audit trail has its own test.
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', AUDIT: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const listening = async (): Promise<string> => {
      for (let i = 0; i < 200; i += 1) {
        const match = /listening on (http:\/\/\S+)/.exec(out.stdout);
        if (match) return match[1] as string;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill();
      throw new Error(`did not start: ${out.stderr}`);
    };
    return { child, out, exited, listening };
  };

  /** Runs to completion; expects exit code 1 and exactly one line on stderr. */
  const refusal = async (env: Record<string, string>): Promise<string> => {
    const { child, out, exited } = run(env);
    // A process that started instead of refusing is stopped, and the test fails on its signal.
    const deadline = setTimeout(() => child.kill(), 15_000);
    const status = await exited;
    clearTimeout(deadline);
    expect(status).toEqual({ code: 1, signal: null });
    expect(out.stdout).not.toContain('listening');
    expect(out.stderr).not.toMatch(/^\s+at /m);
    const lines = out.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    return lines[0] as string;
  };

  const issuerEnv = { TOKENWARD_ISSUER: 'https://issuer.example', TOKENWARD_AUDIENCE: 'api' };

  it.each([
    ['ftp://keys.example/jwks', 'expected an http(s) URL, got "ftp://keys.example/jwks"'],
    ['not a url', 'expected an http(s) URL, got "not a url"'],
    [
      'http://keys.example/jwks',
      'must use https (plain http only for 127.0.0.1, ::1 and localhost), got "http://keys.example"',
    ],
    ['https://user:secret@keys.example/jwks', 'must not carry credentials (user:pass@)'],
    ['https://keys.example/jwks#frag', 'must not have a #fragment'],
  ])(
    'TOKENWARD_JWKS_URI=%s: one line naming the variable, exit 1',
    async (jwksUri, reason) => {
      const line = await refusal({ ...issuerEnv, TOKENWARD_JWKS_URI: jwksUri });
      expect(line).toBe(`Invalid configuration: TOKENWARD_JWKS_URI: ${reason}`);
      expect(line).not.toContain('secret');
    },
    30_000,
  );

  it.each([
    [
      { TOKENWARD_ISSUER: 'http://issuer.example', TOKENWARD_AUDIENCE: 'api' },
      'TOKENWARD_ISSUER: without TOKENWARD_JWKS_URI',
    ],
    [{ HOST: '0.0.0.0' }, 'HOST: dev mode mints tokens for anyone'],
    [{ HOST: 'bad host!' }, 'HOST: expected an IP address or a host name, got "bad host!"'],
    [{ NODE_ENV: ' Production' }, 'TOKENWARD_ISSUER: required when NODE_ENV=production'],
    [{ PORT: '3000\nx' }, 'PORT: expected an integer from 0 to 65535, got "3000\\nx"'],
  ])(
    '%j: one line naming the variable, exit 1',
    async (env, message) => {
      expect(await refusal(env)).toContain(`Invalid configuration: ${message}`);
    },
    30_000,
  );

  it('names the variable when the verifier refuses a value (a decryption key it cannot use)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tokenward-keys-')), 'keys.json');
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', n: 'AQAB', e: 'AQAB', d: 'AQAB' }] }),
    );
    const line = await refusal({ ...issuerEnv, TOKENWARD_DECRYPTION_KEYS: file });
    expect(line).toBe(
      'Invalid configuration: TOKENWARD_DECRYPTION_KEYS: decryptionKeys: no usable decryption key',
    );
  }, 30_000);

  it('a port in use is one line, exit 1', async () => {
    const busy: Server = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    const { port } = busy.address() as { port: number };
    try {
      expect(await refusal({ PORT: String(port) })).toMatch(
        /^Failed to start: HOST\/PORT: .*EADDRINUSE/,
      );
    } finally {
      busy.close();
    }
  }, 30_000);

  it('SIGTERM stops the app cleanly: shutdown hooks run, no error output', async () => {
    const app = run({ PORT: '0' });
    const url = await app.listening();
    await request(url).get('/health').expect(200);
    app.child.kill('SIGTERM');
    const { code, signal } = await app.exited;
    // Nest re-raises the signal after its hooks ran.
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(app.out.stdout).toMatch(/\[resource-server\] stopped \(SIGTERM\)/);
    expect(app.out.stderr).toBe('');
  }, 30_000);

  it('with TOKENWARD_DEV_ALLOW_REMOTE=1 listens on 0.0.0.0 and warns on stderr', async () => {
    const app = run({ PORT: '0', HOST: '0.0.0.0', TOKENWARD_DEV_ALLOW_REMOTE: '1' });
    const url = await app.listening();
    expect(app.out.stderr).toContain(
      'WARNING: DEV MODE on HOST=0.0.0.0, allowed by TOKENWARD_DEV_ALLOW_REMOTE=1',
    );
    expect(app.out.stdout).toContain('WARNING: dev mode reachable from other hosts');
    await request(url).get('/health').expect(200);
    app.child.kill('SIGTERM');
    await app.exited;
  }, 30_000);
});
