/**
 * The file sink's chain worker: the lines it writes are byte for byte the lines `chainLine` makes
 * (the format the trail verifier checks), including non-ASCII text and escaped newlines inside
 * values, at the offset it is given; a failed write rejects with its system code; a worker that
 * dies fails the batch in flight, and the next batch gets a new worker that continues the chain.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainWorker } from '../../src/audit/file-sink/chain-worker';
import { chainLine } from '../../src/audit/file-sink/line-format';

const chainKey = createSecretKey(randomBytes(32));
const values: Record<string, unknown>[] = [
  { schema: 'tokenward.audit/1', event: 'authn_token_valid', status: 200 },
  { schema: 'tokenward.audit/1', route: '/api/ünïcödé/😀', reason: 'ok' },
  { schema: 'tokenward.audit/1', requestId: 'line\nbreak "quoted" \\ back', scopes: ['a', 'b'] },
];

/** The expected text from the in-process chainLine, starting at `mac` and `seq`. */
function inProcess(mac: string, seq: number) {
  let text = '';
  for (const value of values) {
    const next = chainLine(chainKey, mac, value, seq);
    text += `${next.line}\n`;
    mac = next.mac;
    seq += 1;
  }
  return { text, mac, seq };
}

const jsons = values.map((v) => JSON.stringify(v)).join('\n');

describe('ChainWorker', () => {
  const chainer = new ChainWorker(chainKey);
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-chain-'));
  let n = 0;
  /** A new file opened for writing, and a reader of its text. */
  const file = (initial = '') => {
    const path = join(dir, `f${n++}`);
    writeFileSync(path, initial);
    const fd = openSync(path, 'r+');
    return { fd, text: () => readFileSync(path, 'utf8'), close: () => closeSync(fd) };
  };
  afterAll(async () => {
    await chainer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same lines as chainLine at the offset given, from the first line and from a head', async () => {
    for (const [mac, seq] of [
      ['', 0],
      ['x'.repeat(43), 41],
    ] as const) {
      const f = file('head\n');
      const chained = await chainer.append({ fd: f.fd, position: 5 }, mac, seq, jsons);
      const expected = inProcess(mac, seq);
      expect(f.text()).toBe(`head\n${expected.text}`);
      expect(chained.written).toBe(Buffer.byteLength(expected.text));
      expect(chained.mac).toBe(expected.mac);
      expect(chained.seq).toBe(expected.seq);
      f.close();
    }
  });

  it('a write that fails rejects with its system code, and the next batch is written', async () => {
    const path = join(dir, 'read-only');
    writeFileSync(path, '');
    const readOnly = openSync(path, 'r');
    await expect(chainer.append({ fd: readOnly, position: 0 }, '', 0, jsons)).rejects.toMatchObject(
      { code: 'EBADF' },
    );
    closeSync(readOnly);
    const f = file();
    await chainer.append({ fd: f.fd, position: 0 }, '', 0, jsons);
    expect(f.text()).toBe(inProcess('', 0).text);
    f.close();
  });

  it('fails the batch in flight when the worker is stopped, and starts a new one after', async () => {
    const f = file();
    const inFlight = chainer.append({ fd: f.fd, position: 0 }, '', 0, jsons);
    await chainer.close();
    await expect(inFlight).rejects.toThrow(/closed/);
    const g = file();
    await chainer.append({ fd: g.fd, position: 0 }, '', 0, jsons);
    expect(g.text()).toBe(inProcess('', 0).text);
    f.close();
    g.close();
  });

  it('answers concurrent batches each with its own result', async () => {
    const heads = ['', 'a'.repeat(43), 'b'.repeat(43)];
    const files = heads.map(() => file());
    const results = await Promise.all(
      heads.map((mac, i) => chainer.append({ fd: files[i]!.fd, position: 0 }, mac, i * 10, jsons)),
    );
    results.forEach((result, i) => {
      expect(result.mac).toBe(inProcess(heads[i]!, i * 10).mac);
      expect(files[i]!.text()).toBe(inProcess(heads[i]!, i * 10).text);
      files[i]!.close();
    });
  });
});
