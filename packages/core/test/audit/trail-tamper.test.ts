/**
 * The tamper matrix: real trails written by createFileAuditSink (several files, checkpoints,
 * seals), each tampered one way, verified by verifyAuditTrail. The untouched trail verifies; every
 * tampering is found, and the first problem names the right file, line and kind.
 */
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileAuditSink,
  verifyAuditTrail,
  type AuditDecisionEvent,
  type AuditTrailProblemKind,
} from '@tokenward/core';
import { CHECKPOINT_LINE, chainLine, signHead } from '../../src/audit/file-sink/line-format';

const chainKey = randomBytes(32);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

const event = (i: number): AuditDecisionEvent => ({
  schema: 'tokenward.audit/1',
  time: new Date(Date.UTC(2026, 11, 2, 10, 0, i)).toISOString(),
  event: i % 3 === 0 ? 'authn_token_invalid' : 'authn_token_valid',
  stage: 'authentication',
  outcome: i % 3 === 0 ? 'deny' : 'allow',
  reason: i % 3 === 0 ? 'ERR_TOKEN_EXPIRED' : 'ok',
  status: i % 3 === 0 ? 401 : 200,
  route: '/messages/:id',
  ip: '203.0.113.7',
});

let pristine: string;
const work: string[] = [];

beforeAll(async () => {
  pristine = mkdtempSync(join(tmpdir(), 'tokenward-trail-'));
  const sink = createFileAuditSink({
    directory: pristine,
    chainKey,
    signingKey: privateKey,
    maxFileBytes: 3000,
    checkpointEvery: 5,
  });
  for (let batch = 0; batch < 8; batch++) {
    await sink.write(Array.from({ length: 4 }, (_, i) => event(batch * 4 + i)));
  }
  await sink.close();
});
afterAll(() => {
  for (const dir of [pristine, ...work]) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the pristine trail: its directory and its files in order. */
function copy(): { dir: string; files: () => string[]; names: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-trail-copy-'));
  work.push(dir);
  cpSync(pristine, dir, { recursive: true });
  const files = () =>
    readdirSync(dir)
      .sort()
      .map((n) => join(dir, n));
  return { dir, files, names: readdirSync(dir).sort() };
}
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const writeLines = (file: string, lines: string[]) => writeFileSync(file, `${lines.join('\n')}\n`);
const verify = (files: string[], extra = {}) =>
  verifyAuditTrail(files, { chainKey, publicKey, ...extra });

describe('the trail as written', () => {
  it('spans several files with checkpoints and verifies', async () => {
    const { files } = copy();
    expect(files().length).toBeGreaterThanOrEqual(3);
    const verdict = await verify(files());
    expect(verdict).toMatchObject({ ok: true, events: 32, sealed: true, problems: [] });
    const checkpointLines = files()
      .flatMap(linesOf)
      .filter((l) => l.startsWith('{"type":"tokenward.audit.checkpoint"'));
    expect(checkpointLines.length).toBeGreaterThan(0);
    expect(verdict.checkpoints).toBe(checkpointLines.length);
  });

  it('every line is JSON with seq and mac; events keep their fields', () => {
    const { files } = copy();
    const parsed = files()
      .flatMap(linesOf)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.seq)).toEqual(parsed.map((_, i) => i));
    const events = parsed.filter((p) => p.schema === 'tokenward.audit/1');
    expect(events[0]).toMatchObject({
      ...event(0),
      seq: expect.any(Number),
      mac: expect.any(String),
    });
  });
});

type Tamper = (
  t: ReturnType<typeof copy>,
) => { file: number; line: number } | { file: number; line: number }[];

/** Line numbers are 1-based; `file` is the index among the copy's files before tampering. */
const matrix: Array<[string, AuditTrailProblemKind, Tamper]> = [
  [
    'a field edited in an event',
    'edited',
    ({ files }) => {
      const f = files()[1] as string;
      const lines = linesOf(f);
      lines[2] = (lines[2] as string)
        .replace('"status":200', '"status":201')
        .replace('"status":401', '"status":402');
      writeLines(f, lines);
      return { file: 1, line: 3 };
    },
  ],
  [
    'an event deleted',
    'deleted',
    ({ files }) => {
      const f = files()[1] as string;
      const lines = linesOf(f);
      lines.splice(2, 1);
      writeLines(f, lines);
      return { file: 1, line: 3 };
    },
  ],
  [
    'a line copied in again',
    'inserted',
    ({ files }) => {
      const f = files()[0] as string;
      const lines = linesOf(f);
      lines.splice(4, 0, lines[2] as string);
      writeLines(f, lines);
      return { file: 0, line: 5 };
    },
  ],
  [
    'two lines swapped',
    'reordered',
    ({ files }) => {
      const f = files()[0] as string;
      const lines = linesOf(f);
      [lines[2], lines[3]] = [lines[3] as string, lines[2] as string];
      writeLines(f, lines);
      return { file: 0, line: 3 };
    },
  ],
  [
    'the tail of the last file cut',
    'unsealed',
    ({ files }) => {
      const f = files().at(-1) as string;
      const lines = linesOf(f);
      writeLines(f, lines.slice(0, -2));
      return { file: files().length - 1, line: lines.length - 1 };
    },
  ],
  [
    'the tail of a middle file cut',
    'truncated',
    ({ files }) => {
      const f = files()[1] as string;
      const lines = linesOf(f);
      writeLines(f, lines.slice(0, -2));
      return { file: 1, line: lines.length - 1 };
    },
  ],
  [
    'a middle file deleted',
    'missing_file',
    ({ files }) => {
      unlinkSync(files()[1] as string);
      return { file: 2, line: 0 };
    },
  ],
  [
    'the first file deleted',
    'missing_file',
    ({ files }) => {
      unlinkSync(files()[0] as string);
      return { file: 1, line: 0 };
    },
  ],
  [
    'the newest file deleted',
    'missing_file',
    ({ files }) => {
      const all = files();
      unlinkSync(all.at(-1) as string);
      return { file: all.length - 2, line: 0 };
    },
  ],
  [
    // An insider holding the chain key (not the signing key) rewrites a checkpoint and re-MACs
    // the file: the chain holds, the signature does not.
    'a checkpoint forged with the chain key but not the signing key',
    'bad_signature',
    ({ files }) => {
      const f = files()[0] as string;
      const lines = linesOf(f);
      const i = lines.findIndex((l) => l.includes('tokenward.audit.checkpoint'));
      const forged = generateKeyPairSync('ed25519').privateKey;
      const rebuilt: string[] = [];
      let head = '';
      lines.forEach((line, n) => {
        const { mac: _mac, ...value } = JSON.parse(line) as Record<string, unknown>;
        if (n === i)
          value.sig = signHead(
            forged,
            CHECKPOINT_LINE,
            String(value.trail),
            Number(value.seq),
            head,
          );
        const next = chainLine(createSecretKey(chainKey), head, value);
        rebuilt.push(next.line);
        head = next.mac;
      });
      writeLines(f, rebuilt);
      return { file: 0, line: i + 1 };
    },
  ],
  [
    'garbage in a file',
    'malformed',
    ({ files }) => {
      const f = files()[1] as string;
      const lines = linesOf(f);
      lines.splice(1, 0, 'not json at all');
      writeLines(f, lines);
      return { file: 1, line: 2 };
    },
  ],
  [
    'a huge line',
    'malformed',
    ({ files }) => {
      const f = files()[0] as string;
      const lines = linesOf(f);
      lines.splice(1, 0, 'x'.repeat(2 * 1024 * 1024));
      writeLines(f, lines);
      return { file: 0, line: 2 };
    },
  ],
];

describe.each(matrix)('%s', (_label, kind, tamper) => {
  it(`is found: first problem ${kind} at the right line`, async () => {
    const t = copy();
    const before = t.names;
    const where = tamper(t);
    const at = Array.isArray(where) ? where[0]! : where;
    const verdict = await verify(t.files());
    expect(verdict.ok).toBe(false);
    expect(verdict.problems[0]).toMatchObject({ kind, file: before[at.file], line: at.line });
  });
});

describe('keys and order', () => {
  it('a file re-chained under another chain key fails at its first line, named', async () => {
    const t = copy();
    const target = t.files()[1] as string;
    const otherKey = randomBytes(32);
    let head = '';
    const rebuilt = linesOf(target).map((line) => {
      const { mac: _mac, ...value } = JSON.parse(line) as Record<string, unknown>;
      const next = chainLine(createSecretKey(otherKey), head, value);
      head = next.mac;
      return next.line;
    });
    writeLines(target, rebuilt);
    const verdict = await verify(t.files());
    expect(verdict.ok).toBe(false);
    expect(verdict.problems[0]).toMatchObject({ file: t.names[1], line: 1, kind: 'edited' });
  });

  it('a wrong public key fails every checkpoint; files given in any order are sorted', async () => {
    const t = copy();
    const wrong = await verifyAuditTrail(t.files(), {
      chainKey,
      publicKey: generateKeyPairSync('ed25519').publicKey,
    });
    expect(wrong.ok).toBe(false);
    expect(wrong.problems[0]?.kind).toBe('bad_signature');
    const shuffled = [...t.files()].reverse();
    expect((await verify(shuffled)).ok).toBe(true);
  });

  it('a missing file path is a problem, not a throw; allowMissingStart accepts retention', async () => {
    const t = copy();
    const all = t.files();
    const verdict = await verify([...all, join(t.dir, 'audit-20990101-999999.jsonl')]);
    expect(verdict.ok).toBe(false);
    unlinkSync(all[0] as string);
    expect((await verify(t.files(), { allowMissingStart: true })).ok).toBe(true);
  });
});
