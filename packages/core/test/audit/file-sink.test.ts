/**
 * createFileAuditSink beyond the tamper matrix: restarts continue the trail, a crash leaves a
 * warning (not a failure), files rotate by UTC day, write failures are counted by the verifier's
 * queue and reported in the trail once writing works again, options are checked, and the pino
 * sink writes one log line per event.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  createFileAuditSink,
  createVerifier,
  pinoAuditSink,
  verifyAuditTrail,
  type AuditDecisionEvent,
} from '@tokenward/core';
import { createTestIssuer } from '@tokenward/testing';

const chainKey = randomBytes(32);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tokenward-sink-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const event = (i: number): AuditDecisionEvent => ({
  schema: 'tokenward.audit/1',
  time: new Date(Date.UTC(2026, 11, 2, 10, 0, i)).toISOString(),
  event: 'authn_token_valid',
  stage: 'authentication',
  outcome: 'allow',
  reason: 'ok',
  status: 200,
});
const filesIn = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((n) => join(dir, n));
const sinkIn = (directory: string, extra = {}) =>
  createFileAuditSink({ directory, chainKey, signingKey: privateKey, ...extra });

describe('createFileAuditSink', () => {
  it('continues the same trail after a clean restart, in a new file', async () => {
    const dir = tempDir();
    const first = sinkIn(dir);
    await first.write([event(1), event(2)]);
    await first.close();
    const second = sinkIn(dir);
    await second.write([event(3)]);
    await second.close();
    const files = filesIn(dir);
    expect(files).toHaveLength(2);
    const header = JSON.parse(readFileSync(files[1] as string, 'utf8').split('\n')[0] as string);
    expect(header).toMatchObject({ type: 'tokenward.audit.file', index: 1 });
    const verdict = await verifyAuditTrail(files, { chainKey, publicKey });
    expect(verdict).toMatchObject({ ok: true, events: 3, sealed: true, warnings: [] });
  });

  it('after a crash (no close) the next start names the unsealed file: a warning, not a failure', async () => {
    const dir = tempDir();
    const crashed = sinkIn(dir);
    await crashed.write([event(1), event(2)]);
    // The process dies here: no close(), no seal.
    const next = sinkIn(dir);
    await next.write([event(3)]);
    await next.close();
    const verdict = await verifyAuditTrail(filesIn(dir), { chainKey, publicKey });
    expect(verdict.ok).toBe(true);
    expect(verdict.events).toBe(3);
    expect(verdict.warnings).toEqual([
      expect.objectContaining({ kind: 'unsealed', file: readdirSync(dir).sort()[0], line: 4 }),
    ]);
  });

  it('a crash mid-line: the next start continues from the last complete line; the cut line is named', async () => {
    const dir = tempDir();
    const crashed = sinkIn(dir);
    await crashed.write([event(1), event(2)]);
    const [file] = filesIn(dir);
    // What a process killed during a write can leave: half a line, no newline.
    appendFileSync(file as string, '{"schema":"tokenward.audit/1","time":"2026-12-');
    const next = sinkIn(dir);
    await next.write([event(3)]);
    await next.close();
    const verdict = await verifyAuditTrail(filesIn(dir), { chainKey, publicKey });
    expect(verdict.problems[0]).toMatchObject({
      file: readdirSync(dir).sort()[0],
      line: 4,
      kind: 'malformed',
    });
    // Every complete line still verifies: the cut line is the only problem.
    expect(verdict.problems).toHaveLength(1);
    expect(verdict.events).toBe(3);
  });

  it('an unsealed last file fails unless allowUnsealed (a live trail)', async () => {
    const dir = tempDir();
    const live = sinkIn(dir);
    await live.write([event(1)]);
    const files = filesIn(dir);
    expect((await verifyAuditTrail(files, { chainKey, publicKey })).problems[0]?.kind).toBe(
      'unsealed',
    );
    expect((await verifyAuditTrail(files, { chainKey, publicKey, allowUnsealed: true })).ok).toBe(
      true,
    );
    await live.close();
  });

  it('rotates when the UTC day changes', async () => {
    const dir = tempDir();
    jest.useFakeTimers({
      now: Date.UTC(2026, 11, 2, 23, 59, 59),
      doNotFake: [
        'setImmediate',
        'nextTick',
        'queueMicrotask',
        'setTimeout',
        'setInterval',
        'clearInterval',
        'clearTimeout',
      ],
    });
    try {
      const sink = sinkIn(dir);
      await sink.write([event(1)]);
      jest.setSystemTime(Date.UTC(2026, 11, 3, 0, 0, 1));
      await sink.write([event(2)]);
      await sink.close();
    } finally {
      jest.useRealTimers();
    }
    expect(readdirSync(dir).sort()).toEqual([
      'audit-20261202-000000.jsonl',
      'audit-20261203-000001.jsonl',
    ]);
    expect((await verifyAuditTrail(filesIn(dir), { chainKey, publicKey })).ok).toBe(true);
  });

  it('a directory that cannot be written: requests are answered, losses counted, then reported in the trail', async () => {
    const base = tempDir();
    const blocked = join(base, 'trail');
    // A regular file where the folder should be: every open fails (ENOTDIR / EEXIST), as a full
    // or read-only disk would.
    writeFileSync(blocked, 'not a folder');
    const issuer = await createTestIssuer({ keyManagementAlgorithm: false });
    // batchDelay 0: each decision is its own write, so the failures are deterministic.
    const sink = sinkIn(blocked, { batchDelay: 0 });
    const verifier = createVerifier(issuer.verifierOptions({ audit: { sink } }));
    const token = await issuer.issueSigned();
    for (let i = 0; i < 3; i++) await expect(verifier.verify(token)).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 20));
    rmSync(blocked);
    await verifier.verify(token);
    await verifier.close();
    const lines = filesIn(blocked)
      .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
      .filter((l) => l.includes('"schema"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The batch that failed is lost and counted; events queued behind it waited and were written:
    // four decisions, every one accounted for.
    const drop = lines.find((l) => l.event === 'audit_events_dropped');
    expect(drop).toMatchObject({ cause: 'write_failed', dropped: expect.any(Number) });
    const written = lines.filter((l) => l.event === 'authn_token_valid').length;
    expect(written + (drop?.dropped as number)).toBe(4);
    expect(drop?.dropped).toBeGreaterThanOrEqual(1);
    expect((await verifyAuditTrail(filesIn(blocked), { chainKey, publicKey })).ok).toBe(true);
  });

  it('refuses bad options with a TypeError naming them', () => {
    const dir = tempDir();
    const ok = { directory: dir, chainKey, signingKey: privateKey };
    expect(() => createFileAuditSink({ ...ok, chainKey: 'short' })).toThrow(
      /chainKey: must be at least 32 bytes/,
    );
    expect(() => createFileAuditSink({ ...ok, signingKey: publicKey })).toThrow(
      /signingKey: expected an Ed25519 private key/,
    );
    expect(() =>
      createFileAuditSink({
        ...ok,
        signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      }),
    ).toThrow(/signingKey: expected an Ed25519 key/);
    expect(() => createFileAuditSink({ ...ok, directory: '' })).toThrow(/directory/);
    expect(() => createFileAuditSink({ ...ok, prefix: '../x' })).toThrow(/prefix/);
    expect(() => createFileAuditSink({ ...ok, maxFileBytes: 0 })).toThrow(/maxFileBytes/);
    expect(() => createFileAuditSink({ ...ok, rotateDaily: 'yes' as never })).toThrow(
      /rotateDaily/,
    );
  });

  it('accepts PEM and JWK keys, and a closed sink refuses writes', async () => {
    const dir = tempDir();
    const sink = createFileAuditSink({
      directory: dir,
      chainKey: chainKey.toString('base64'),
      signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    });
    await sink.write([event(1)]);
    await sink.close();
    await expect(sink.write([event(2)])).rejects.toThrow(/closed/);
    const verdict = await verifyAuditTrail(filesIn(dir), {
      chainKey: chainKey.toString('base64'),
      publicKey: publicKey.export({ format: 'jwk' }),
    });
    expect(verdict.ok).toBe(true);
  });
});

describe('pinoAuditSink', () => {
  it('logs each event under `audit` at info, as JSON lines through a real pino logger', async () => {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        out.push(chunk.toString());
        done();
      },
    });
    const sink = pinoAuditSink(pino({ base: undefined }, stream));
    await sink.write([event(1), event(2)]);
    await sink.flush?.();
    const logged = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ level: 30, msg: 'tokenward.audit', audit: event(1) });
    expect(() => pinoAuditSink({} as never)).toThrow(/pino logger/);
  });
});
