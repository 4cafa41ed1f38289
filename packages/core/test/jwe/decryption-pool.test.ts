/**
 * The bound on concurrent JWE private-key work (lib/crypto-pool.ts; options
 * maxConcurrentDecryptions, maxQueuedDecryptions): never more in flight than the bound, FIFO
 * waiting up to the queue bound, 503 ERR_VERIFIER_BUSY with Retry-After past it, and cache hits
 * that never wait for a slot.
 */
import { randomBytes } from 'node:crypto';
import { VerifierBusyError } from '@tokenward/core';
import { CryptoPool, resolveCryptoPool } from '../../src/lib/crypto-pool';
import {
  b64u,
  claims,
  encryptJWE,
  keyPair,
  makeVerifier,
  NOW,
  rejection,
  signJWS,
} from '../helpers/keys';

const at = { currentDate: NOW };

describe('CryptoPool', () => {
  test('never runs more than maxConcurrent tasks, and every queued task completes', async () => {
    const pool = new CryptoPool(2, 10);
    let inFlight = 0;
    let peak = 0;
    const task = async (value: number): Promise<number> => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return value;
    };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.run(() => task(i))),
    );
    expect(peak).toBe(2);
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(pool.stats).toEqual({ active: 0, queued: 0 });
  });

  test('past the queue bound a task is refused with 503 ERR_VERIFIER_BUSY and Retry-After', async () => {
    const pool = new CryptoPool(1, 1);
    let release!: () => void;
    const held = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = pool.run(async () => 'queued');
    const shed = pool.run(async () => 'never');
    await expect(shed).rejects.toBeInstanceOf(VerifierBusyError);
    const error = (await shed.catch((e: unknown) => e)) as VerifierBusyError;
    expect(error.code).toBe('ERR_VERIFIER_BUSY');
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({ 'Retry-After': '1' });
    expect(error.toJSON()).toEqual({ error_description: expect.stringContaining('retry later') });
    release();
    await expect(held).resolves.toBeUndefined();
    await expect(queued).resolves.toBe('queued');
  });

  test('a failing task frees its slot', async () => {
    const pool = new CryptoPool(1, 0);
    await expect(pool.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run(async () => 'next')).resolves.toBe('next');
  });

  test.each([
    [{ maxConcurrentDecryptions: 0 }, 'maxConcurrentDecryptions'],
    [{ maxConcurrentDecryptions: 1.5 }, 'maxConcurrentDecryptions'],
    [{ maxQueuedDecryptions: -1 }, 'maxQueuedDecryptions'],
    [{ maxQueuedDecryptions: '8' }, 'maxQueuedDecryptions'],
  ])('%j is a TypeError naming the option', (options, name) => {
    expect(() => resolveCryptoPool(options)).toThrow(new RegExp(`^${name}: expected an integer`));
  });

  test('defaults: 4 at once, 256 waiting', () => {
    const pool = resolveCryptoPool({});
    expect([pool.maxConcurrent, pool.maxQueued]).toEqual([4, 256]);
  });
});

describe('a verifier under a flood of expensive garbage', () => {
  test('sheds the overflow with 503 while a cached valid token is answered at once', async () => {
    const [issuerKey, apiKey] = await Promise.all([keyPair('rsa'), keyPair('p521', 'api')]);
    const verifier = await makeVerifier({
      decryptionKeys: apiKey.privateJwk,
      maxConcurrentDecryptions: 1,
      maxQueuedDecryptions: 2,
      cache: { admission: 'always' },
    });
    const valid = await encryptJWE(await signJWS(claims(), issuerKey), apiKey);
    await expect(verifier.verify(valid, at)).resolves.toMatchObject({ subject: 'user-123' });
    const epk = (await keyPair('p521', 'attacker')).publicJwk;
    const { kid: _kid, ...point } = epk;
    const header = b64u(
      JSON.stringify({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
        cty: 'JWT',
        kid: apiKey.kid,
        epk: point,
      }),
    );
    const r = (n: number) => randomBytes(n).toString('base64url');
    const flood = Array.from({ length: 10 }, () =>
      rejection(verifier.verify([header, r(40), r(12), r(64), r(16)].join('.'), at)),
    );
    // The cache hit resolves while the pool is full (it never takes a slot).
    let cachedFirst = false;
    const cached = verifier.verify(valid, at).then(() => (cachedFirst = true));
    const errors = await Promise.all(flood);
    await cached;
    expect(cachedFirst).toBe(true);
    const codes = errors.map((e) => e.code).sort();
    // 1 running + 2 waiting were decrypted (and failed); the other 7 were shed before any work.
    expect(codes).toEqual([
      ...Array.from({ length: 3 }, () => 'ERR_JWE_DECRYPTION_FAILED'),
      ...Array.from({ length: 7 }, () => 'ERR_VERIFIER_BUSY'),
    ]);
    const busy = errors.find((e) => e.code === 'ERR_VERIFIER_BUSY') as VerifierBusyError;
    expect([busy.status, busy.headers]).toEqual([503, { 'Retry-After': '1' }]);
  });
});
