/**
 * `tokenward dpop key | thumbprint | proof`: the key file is private (0600), never overwritten,
 * and the proofs it signs pass a real verifier's DPoP checks for the method, URL and token given.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier, TokenwardError } from '@tokenward/core';
import { createTestIssuer } from '@tokenward/testing';
import { run } from './trail-fixture';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenward-cli-dpop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenward dpop', () => {
  it.each(['ES256', 'EdDSA', 'PS256'])(
    'key --alg %s writes a private key file and prints its thumbprint; proofs pass the verifier',
    async (alg) => {
      const file = join(dir, `key-${alg}.json`);
      const made = await run(['dpop', 'key', '--alg', alg, '--out', file]);
      expect(made).toMatchObject({ code: 0, stderr: '' });
      const jkt = made.stdout.trim();
      expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await run(['dpop', 'thumbprint', '--key', file])).stdout.trim()).toBe(jkt);

      const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
      const verifier = createVerifier(
        issuer.verifierOptions({ dpop: { origin: 'https://api.test' }, metrics: false }),
      );
      const token = await issuer.issueSigned({ cnf: { jkt } });
      const proof = (
        await run([
          'dpop',
          'proof',
          '--key',
          file,
          '--method',
          'POST',
          '--url',
          'https://api.test/pay?x=1',
          '--token',
          token,
        ])
      ).stdout.trim();
      const request = (method: string) => ({
        method,
        url: '/pay',
        headers: { authorization: `DPoP ${token}`, dpop: proof },
        rawHeaders: ['Authorization', `DPoP ${token}`, 'DPoP', proof],
      });
      await expect(verifier.verifyRequest(request('POST'))).resolves.toMatchObject({
        binding: { scheme: 'dpop', jkt },
      });
      const replay = await verifier.verifyRequest(request('POST')).catch((e: unknown) => e);
      expect((replay as TokenwardError).code).toBe('ERR_DPOP_REPLAYED');
    },
  );

  it('puts the nonce in the proof', async () => {
    const file = join(dir, 'nonce-key.json');
    await run(['dpop', 'key', '--out', file]);
    const proof = (
      await run([
        'dpop',
        'proof',
        '--key',
        file,
        '--method',
        'GET',
        '--url',
        'http://a.test/',
        '--nonce',
        'n.1',
      ])
    ).stdout.trim();
    const claims = JSON.parse(
      Buffer.from(proof.split('.')[1] as string, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({ htm: 'GET', htu: 'http://a.test/', nonce: 'n.1' });
    expect(claims).not.toHaveProperty('ath');
  });

  it('refuses to overwrite a key file, bad algorithms, bad key files and bad URLs (exit 2)', async () => {
    const file = join(dir, 'existing.json');
    writeFileSync(file, 'x');
    expect(await run(['dpop', 'key', '--out', file])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--out: cannot create'),
    });
    expect(
      await run(['dpop', 'key', '--alg', 'HS256', '--out', join(dir, 'h.json')]),
    ).toMatchObject({ code: 2, stderr: expect.stringContaining('--alg: expected one of') });
    expect(await run(['dpop', 'thumbprint', '--key', file])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('is not a key file'),
    });
    expect(await run(['dpop', 'thumbprint', '--key', join(dir, 'missing.json')])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read'),
    });
    const good = join(dir, 'good.json');
    await run(['dpop', 'key', '--out', good]);
    expect(
      await run(['dpop', 'proof', '--key', good, '--method', 'GET', '--url', 'not a url']),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--url: expected an absolute URL'),
    });
  });
});
